"""Email campaigns and shopping carts of :func:`~retention_kpis.datasets.make_events`.

Both are drawn from the population and the purchase stream as numpy arrays, one
block per event type, without a loop per customer or per event.

* Email: every member is subscribed at signup and receives the weekly
  ``newsletter`` (sent in a ten-minute batch) until unsubscribing, death or the
  end of the window. Each member has a beta-distributed open propensity (mean
  20 %) and click-to-open propensity (mean 15 %, so about 3 % of emails are
  clicked); at most one open and one click is recorded per email, the open
  within hours of the send and the click minutes after the open. Each email may
  be the last: a member unsubscribes after it with probability 0.3 %, within
  six days. A click opens a site visit seconds later and, one time in ten, a
  purchase within the hour; both carry channel ``"email"`` and campaign
  ``"newsletter"``.
* Carts: every purchase follows a ``cart_add`` and a ``checkout`` in its
  session, in that order. On top, about 6 % of ordinary visits add to a cart
  that is abandoned (about 70 % of carts in all), a third of them after
  starting the checkout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention_kpis.datasets._frame import EventBlock, FloatArray, IntArray, follow
from retention_kpis.datasets._population import DAY, WEEK, Population

__all__ = ["EmailBlocks", "abandoned_carts", "emails", "purchase_carts"]

_HOUR = 3_600.0
_FIRST_SEND = DAY + 9.5 * _HOUR
"""The first newsletter leaves the day after ``start`` at 09:30, then one every week."""
_SEND_BATCH = 600.0
_OPEN_BETA = (2.0, 8.0)
_CLICK_BETA = (1.5, 8.5)
_UNSUBSCRIBE_PROBABILITY = 0.003
_EMAIL_PURCHASE_PROBABILITY = 0.1
_ABANDONED_CART_PER_VISIT = 0.06
_ABANDONED_CHECKOUT_PROBABILITY = 1 / 3


@dataclass(frozen=True)
class EmailBlocks:
    """Email events and the sessions they drive.

    ``purchase_session`` holds the landing time of each purchase's session, parallel
    to ``purchases``.
    """

    sent: EventBlock
    opens: EventBlock
    clicks: EventBlock
    unsubscribes: EventBlock
    visits: EventBlock
    purchases: EventBlock
    purchase_session: FloatArray


def _sends(pop: Population, rng: np.random.Generator) -> tuple[IntArray, FloatArray, IntArray]:
    """Owner and time of every email sent, and the index of each unsubscriber's last email."""
    members = np.flatnonzero(pop.signed_up)
    first = np.maximum(np.floor((pop.signup[members] - _FIRST_SEND) / WEEK) + 1, 0)
    last = np.floor((pop.end_of_activity[members] - _FIRST_SEND) / WEEK)
    possible = np.maximum(last - first + 1, 0).astype(np.int64)
    until_unsubscribe = rng.geometric(_UNSUBSCRIBE_PROBABILITY, members.size)
    sent = np.minimum(possible, until_unsubscribe)
    owner = np.repeat(np.arange(members.size), sent)
    ends = np.cumsum(sent)
    week = first[owner] + np.arange(owner.size) - np.repeat(ends - sent, sent)
    seconds = _FIRST_SEND + week * WEEK + rng.random(owner.size) * _SEND_BATCH
    quits = np.flatnonzero((until_unsubscribe <= possible) & (sent > 0))
    return members[owner], seconds, ends[quits] - 1


def emails(pop: Population, rng: np.random.Generator) -> EmailBlocks:
    """Draw newsletters, opens, clicks, unsubscribes and the visits and orders clicks bring."""
    customer, seconds, last_email = _sends(pop, rng)
    alive = seconds < pop.death[customer]
    sent = pop.block(customer, seconds, "email_sent", campaign="newsletter")
    opens_propensity = rng.beta(*_OPEN_BETA, pop.size)
    click_propensity = rng.beta(*_CLICK_BETA, pop.size)
    opened_at = seconds + rng.exponential(6 * _HOUR, seconds.size)
    opened = (rng.random(seconds.size) < opens_propensity[customer]) & (
        opened_at < pop.death[customer]
    )
    clicked_at = opened_at + rng.uniform(5.0, 600.0, seconds.size)
    clicked = (
        opened
        & (rng.random(seconds.size) < click_propensity[customer])
        & (clicked_at < pop.death[customer])
    )
    quit_at = np.full(seconds.size, np.inf)
    quit_at[last_email] = seconds[last_email] + np.minimum(
        rng.exponential(DAY, last_email.size), 6 * DAY
    )
    quits = quit_at < pop.death[customer]
    landing = clicked_at + rng.uniform(1.0, 30.0, seconds.size)
    buys = clicked & (rng.random(seconds.size) < _EMAIL_PURCHASE_PROBABILITY)
    bought_at = landing + 60.0 + rng.exponential(0.5 * _HOUR, seconds.size)
    buys &= bought_at < pop.death[customer]
    revenue = pop.order_value[customer[buys]] * rng.lognormal(-0.08, 0.4, int(buys.sum()))
    purchases = pop.block(
        customer[buys],
        bought_at[buys],
        "purchase",
        value=np.maximum(np.round(revenue, 2), 0.01),
        campaign="newsletter",
    )
    return EmailBlocks(
        sent=follow(sent, seconds, "email_sent", alive),
        opens=follow(sent, opened_at, "email_open", opened),
        clicks=follow(sent, clicked_at, "email_click", clicked),
        unsubscribes=follow(sent, quit_at, "unsubscribe", quits),
        visits=follow(sent, landing, "visit", clicked & (landing < pop.death[customer])),
        purchases=purchases,
        purchase_session=landing[buys],
    )


def purchase_carts(
    purchases: EventBlock, session: FloatArray, rng: np.random.Generator
) -> tuple[EventBlock, EventBlock]:
    """Draw a ``cart_add``, then a ``checkout``, between each purchase's session start and it."""
    span = purchases.seconds - session
    cart = session + span * rng.uniform(0.1, 0.4, span.size)
    checkout = session + span * rng.uniform(0.6, 0.9, span.size)
    return follow(purchases, cart, "cart_add"), follow(purchases, checkout, "checkout")


def abandoned_carts(
    pop: Population, visits: EventBlock, rng: np.random.Generator
) -> tuple[EventBlock, EventBlock]:
    """Carts added minutes into some visits and never bought; a third reach the checkout."""
    cart_at = visits.seconds + rng.uniform(30.0, 900.0, visits.seconds.size)
    checkout_at = cart_at + rng.uniform(30.0, 600.0, visits.seconds.size)
    death = pop.death[visits.customer]
    carts = (rng.random(visits.seconds.size) < _ABANDONED_CART_PER_VISIT) & (cart_at < death)
    checkouts = (
        carts
        & (rng.random(visits.seconds.size) < _ABANDONED_CHECKOUT_PROBABILITY)
        & (checkout_at < death)
    )
    return follow(visits, cart_at, "cart_add", carts), follow(
        visits, checkout_at, "checkout", checkouts
    )
