"""A seeded, vectorised synthetic event stream with every event type.

The generator draws one population of visitors (arrival, channel, latent
satisfaction, lifetime, rates), then builds each event type as a block of numpy
arrays from it; no Python loop runs per customer or per event. Email and cart
events are built in :mod:`retention_kpis.datasets._journeys`. To add an event
type, add its name to ``_frame.EVENT_TYPES``, write a
``_name(population, rng) -> EventBlock`` function and append its block in
:func:`make_events` (after the existing draws, so earlier blocks do not change).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from retention_kpis._core.checks import check_count, check_fraction, check_positive
from retention_kpis.datasets._frame import (
    CAMPAIGNS,
    CHANNELS,
    EVENT_TYPES,
    EventBlock,
    FloatArray,
    IntArray,
    assemble,
    concatenate,
    empty,
)
from retention_kpis.datasets._journeys import abandoned_carts, emails, purchase_carts
from retention_kpis.datasets._population import DAY, WEEK, Population, draw_population
from retention_kpis.exceptions import InvalidInputError

__all__ = ["make_events"]

_FUNC = "make_events"
_COST_PER_ARRIVAL = np.array([0.0, 40.0, 30.0, 5.0, 20.0, 0.0])
"""Mean marketing cost of one arriving visitor per channel (USD); organic and direct are free."""
_BUYER_PROBABILITY = 0.7
_PURCHASES_PER_WEEK = 0.25
_CHURN_EVENT_PROBABILITY = 0.5
_NPS_FIRST_WAVE_DAYS = 30.0
_NPS_WAVE_DAYS = 90.0
_NPS_RESPONSE_PROBABILITY = 0.25
_CSAT_RESPONSE_PROBABILITY = 0.2


def _repeat_uniform(
    owners: IntArray, low: FloatArray, span: FloatArray, counts: IntArray, rng: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    """``counts[i]`` uniform times in ``[low[i], low[i] + span[i]]`` for each owner ``i``."""
    repeated = np.repeat(np.arange(owners.size), counts)
    seconds = low[repeated] + rng.random(repeated.size) * span[repeated]
    return owners[repeated], seconds


def _visits(pop: Population, rng: np.random.Generator) -> EventBlock:
    """Draw a first visit at arrival, then a Poisson number of visits while active."""
    everyone = np.arange(pop.size)
    active = np.maximum(pop.end_of_activity - pop.arrival, 0.0)
    later, seconds = _repeat_uniform(
        everyone, pop.arrival, active, rng.poisson(pop.visit_rate * active), rng
    )
    return pop.block(
        np.concatenate([everyone, later]), np.concatenate([pop.arrival, seconds]), "visit"
    )


def _signups(pop: Population) -> EventBlock:
    who = np.flatnonzero(pop.signed_up)
    return pop.block(who, pop.signup[who], "signup")


def _purchases(pop: Population, rng: np.random.Generator) -> tuple[EventBlock, EventBlock]:
    """Purchases and the visit of each purchase's session.

    A buyer's first purchase follows signup by days (if the buyer is still alive), then
    repeat purchases arrive as a Poisson process with a gamma-heterogeneous rate until
    death. Order values are lognormal around the buyer's own lognormal mean.
    """
    buyers = np.flatnonzero(pop.signed_up & (rng.random(pop.size) < _BUYER_PROBABILITY))
    first = pop.signup[buyers] + rng.exponential(3 * DAY, buyers.size)
    rate = (
        _PURCHASES_PER_WEEK
        / WEEK
        * rng.gamma(0.8, 1 / 0.8, buyers.size)
        * np.exp(0.3 * pop.satisfaction[buyers] - 0.045)
    )
    alive = first < pop.death[buyers]
    buyers, first, rate = buyers[alive], first[alive], rate[alive]
    span = np.maximum(pop.end_of_activity[buyers] - first, 0.0)
    again, seconds = _repeat_uniform(buyers, first, span, rng.poisson(rate * span), rng)
    customer = np.concatenate([buyers, again])
    seconds = np.concatenate([first, seconds])
    revenue = pop.order_value[customer] * rng.lognormal(-0.08, 0.4, customer.size)
    revenue = np.maximum(np.round(revenue, 2), 0.01)
    session = np.maximum(seconds - rng.uniform(60.0, 1200.0, customer.size), pop.arrival[customer])
    return pop.block(customer, session, "visit"), pop.block(
        customer, seconds, "purchase", value=revenue
    )


def _csat(pop: Population, purchases: EventBlock, rng: np.random.Generator) -> EventBlock:
    """Draw 1-5 CSAT answers to a fifth of orders, a day or so later, higher when satisfied."""
    respond = rng.random(purchases.customer.size) < _CSAT_RESPONSE_PROBABILITY
    customer = purchases.customer[respond]
    seconds = purchases.seconds[respond] + rng.exponential(DAY, customer.size)
    score = np.clip(
        np.rint(3.9 + 0.8 * pop.satisfaction[customer] + rng.normal(0, 0.7, customer.size)), 1, 5
    )
    alive = seconds <= pop.death[customer]
    return pop.block(customer[alive], seconds[alive], "csat_response", value=score[alive])


def _nps(pop: Population, rng: np.random.Generator) -> EventBlock:
    """0-10 NPS answers to surveys sent 30 days after signup, then every 90 days while active."""
    first_wave = pop.signup + _NPS_FIRST_WAVE_DAYS * DAY
    span = np.maximum(pop.end_of_activity - first_wave, -1.0)
    waves = np.where(span >= 0, np.floor(span / (_NPS_WAVE_DAYS * DAY)) + 1, 0).astype(np.int64)
    customer = np.repeat(np.arange(pop.size), waves)
    wave = np.arange(customer.size) - np.repeat(np.cumsum(waves) - waves, waves)
    seconds = (
        first_wave[customer] + wave * _NPS_WAVE_DAYS * DAY + rng.exponential(2 * DAY, customer.size)
    )
    noise = rng.normal(0, 1.0, customer.size)
    score = np.clip(np.rint(8.3 + 1.8 * pop.satisfaction[customer] + noise), 0, 10)
    keep = (rng.random(customer.size) < _NPS_RESPONSE_PROBABILITY) & (
        seconds <= pop.death[customer]
    )
    return pop.block(customer[keep], seconds[keep], "nps_response", value=score[keep])


def _referrals(pop: Population, rng: np.random.Generator) -> EventBlock:
    """Each referral-channel arrival is referred by a random earlier, still-alive customer."""
    referred = np.flatnonzero(pop.channel == CHANNELS.index("referral"))
    members = np.flatnonzero(pop.signed_up)
    members = members[np.argsort(pop.signup[members], kind="stable")]
    earlier = np.searchsorted(pop.signup[members], pop.arrival[referred], side="left")
    pick = np.floor(rng.random(referred.size) * earlier).astype(np.int64)
    lag = rng.exponential(DAY, referred.size)
    has = earlier > 0
    referrer = members[pick[has]]
    seconds = np.maximum(pop.arrival[referred[has]] - lag[has], pop.signup[referrer])
    alive = seconds < pop.death[referrer]
    return pop.block(referrer[alive], seconds[alive], "referral")


def _churn(pop: Population, rng: np.random.Generator) -> EventBlock:
    """Record an explicit churn (cancellation) for half of the members dying in the window."""
    recorded = rng.random(pop.size) < _CHURN_EVENT_PROBABILITY
    who = np.flatnonzero(pop.signed_up & (pop.death <= pop.window) & recorded)
    return pop.block(who, pop.death[who], "churn")


def _spend(pop: Population, rng: np.random.Generator) -> EventBlock:
    """Daily cost per paid campaign: the cost of the visitors it brought that day."""
    paid = np.flatnonzero(pop.campaign >= 0)
    cost = _COST_PER_ARRIVAL[pop.channel[paid]] * rng.lognormal(-0.045, 0.3, paid.size)
    n_days = int(pop.window // DAY) + 1
    key = pop.campaign[paid] * n_days + np.floor(pop.arrival[paid] / DAY).astype(np.int64)
    total = np.bincount(key, weights=cost, minlength=len(CAMPAIGNS) * n_days)
    cell = np.flatnonzero(total > 0)
    campaign = cell // n_days
    owner = np.array([owner for _, owner in CAMPAIGNS])
    return EventBlock(
        customer=np.full(cell.size, -1, dtype=np.int64),
        seconds=((cell % n_days) * DAY).astype(np.float64),
        event=np.full(cell.size, EVENT_TYPES.index("spend"), dtype=np.int64),
        channel=owner[campaign],
        campaign=campaign,
        value=np.round(total[cell], 2),
    )


def _timestamp(value: object, name: str) -> pd.Timestamp:
    """Parse a tz-naive date or timestamp, raising with the library's template."""
    problem = (
        f"The {name!r} parameter of {_FUNC} must be a date or timestamp. Got {value!r} instead."
    )
    if not isinstance(value, (str, dt.date, np.datetime64)):
        raise InvalidInputError(problem)
    try:
        parsed: pd.Timestamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(problem) from exc
    if pd.isna(parsed):
        raise InvalidInputError(problem)
    if parsed.tzinfo is not None:
        msg = f"The {name!r} parameter of {_FUNC} must be timezone-naive. Got {value!r} instead."
        raise InvalidInputError(msg)
    return parsed


def make_events(
    n_customers: int = 1_000,
    *,
    start: str | dt.date | np.datetime64 = "2024-01-01",
    end: str | dt.date | np.datetime64 = "2025-12-31",
    seed: int = 0,
    visits_per_week: float = 7.0,
    signup_probability: float = 0.5,
    mean_lifetime_days: float = 365.0,
    mean_order_value: float = 60.0,
) -> pd.DataFrame:
    """Generate a realistic, seeded stream of customer and marketing events.

    ``n_customers`` visitors arrive over ``[start, end]`` (arrivals per day grow
    linearly, doubling over the window) through an acquisition channel (organic
    25 %, paid_search 25 %, social 15 %, email 10 %, referral 10 %, direct 15 %)
    and, for paid channels, a campaign. Each visitor has a latent satisfaction
    that lengthens life, raises purchase rates and raises survey scores.

    * ``visit``: at arrival, then a Poisson process (gamma-heterogeneous rate with
      mean ``visits_per_week``) while active, plus one visit 1-20 minutes before
      each purchase and one after each email click.
    * ``signup``: a share ``signup_probability`` of visitors sign up, days after
      their first visit. Visitors who do not sign up leave within days.
    * ``purchase``: 70 % of members buy: a first order days after signup, then
      repeat orders at a gamma-heterogeneous rate (mean 0.25 a week) until the
      member dies (exponential lifetime with a gamma-heterogeneous mean of
      ``mean_lifetime_days``): a Pareto/NBD-like buy-till-you-die process.
      ``revenue`` is lognormal around the member's own lognormal mean (overall
      mean ``mean_order_value``), rounded to cents, always > 0.
    * ``churn``: an explicit cancellation at death for half of the members whose
      lifetime ends inside the window. Nobody has an event after their churn.
    * ``referral``: each referral-channel arrival is credited to a random member
      who signed up earlier and is alive; the event belongs to the referrer (its
      ``customer_id`` is the referrer's), about a day before the referred
      visitor's first visit. The referred visitor is recognisable by the
      acquisition channel ``"referral"`` on their first event.
    * ``nps_response`` (0-10) to surveys 30 days after signup and every 90 days
      while active (25 % answer); ``csat_response`` (1-5) to 20 % of orders.
    * ``email_sent``, ``email_open``, ``email_click``, ``unsubscribe``: every
      member gets the weekly ``newsletter`` (a ten-minute batch every seven
      days from one day and 9.5 hours after ``start``) from signup until
      unsubscribing, death or ``end``; no bounces (every email sent is
      delivered). Each member has a beta-distributed open propensity (mean
      20 %) and click-to-open propensity (mean 15 %: about 3 % of emails are
      clicked); at most one open and one click per email (unique opens and
      clicks), the open hours after the send and the click minutes after the
      open. After each email a member unsubscribes with probability 0.3 %, within
      six days, and gets no more email. A click brings a ``visit`` 1-30 seconds
      later and, one click in ten, a ``purchase`` within about an hour; email
      events and these sessions carry channel ``"email"`` and campaign
      ``"newsletter"`` (all other rows carry the customer's acquisition channel).
    * ``cart_add`` and ``checkout``: every purchase is preceded, in its session,
      by one ``cart_add`` and then one ``checkout`` (same channel). About 6 % of
      other visits add to a cart that is abandoned minutes later (a third of
      those after a ``checkout``), so about 70 % of carts are abandoned.
    * ``spend``: one row per paid campaign and day with arrivals: the sum of a
      lognormal cost per arriving visitor (paid_search 40, social 30, email 5,
      referral bonus 20 USD on average), at the day's start; no customer.

    With the defaults the stream holds about 120 events per visitor over the
    two-year window (about 90 of them visits, 11 emails sent, 8 carts, 2.4
    purchases), so 100,000 customers give about 12 million events; the count
    scales linearly with ``n_customers`` and roughly with ``visits_per_week``
    and the window length.

    Parameters
    ----------
    n_customers : int, default=1_000
        Visitors to simulate (each gets a ``customer_id`` 1..n in arrival order,
        whether or not they sign up). ``0`` returns an empty frame with the
        columns and dtypes below and no rows at all (no spend either).
    start, end : str, datetime.date or numpy.datetime64
        Timezone-naive bounds of the window, ``start < end``. Every timestamp
        lies in the closed interval ``[start, end]`` (a date means its midnight),
        floored to whole seconds; events simulated after ``end`` are censored.
    seed : int, default=0
        Seed of :func:`numpy.random.default_rng`; the same arguments give an
        identical frame.
    visits_per_week : float, default=7.0
        Mean visit rate of an active visitor, > 0.
    signup_probability : float, default=0.5
        Share of visitors who sign up, in [0, 1].
    mean_lifetime_days : float, default=365.0
        Mean lifetime of a member after signup, in days, > 0.
    mean_order_value : float, default=60.0
        Mean revenue of an order, > 0.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``timestamp`` (stable: a visit comes before a signup, a
        cart_add before a checkout before a purchase in the same second),
        with a fresh RangeIndex and columns

        ``customer_id`` (Int64, NA on spend rows), ``timestamp``
        (datetime64[ns], tz-naive), ``event_type`` (string), ``revenue``
        (float64, purchases only, else nan), ``cost`` (float64, spend rows only),
        ``channel`` (string: the customer's acquisition channel, or the spend's),
        ``campaign`` (string, null for organic and direct), ``score`` (float64:
        whole 0-10 on nps_response, whole 1-5 on csat_response, else nan) and
        ``order_id`` (Int64: 1, 2, ... on purchases in time order, else NA).
        String columns use pandas' default string dtype.

    Raises
    ------
    InvalidInputError
        If ``n_customers`` or ``seed`` is not a whole number >= 0, a date cannot
        be parsed or is timezone-aware, ``end <= start``, or a rate is out of range.

    Examples
    --------
    >>> events = make_events(200, seed=1)
    >>> sorted(events["event_type"].unique())  # doctest: +NORMALIZE_WHITESPACE
    ['cart_add', 'checkout', 'churn', 'csat_response', 'email_click', 'email_open',
     'email_sent', 'nps_response', 'purchase', 'referral', 'signup', 'spend',
     'unsubscribe', 'visit']
    >>> events["timestamp"].is_monotonic_increasing
    True
    >>> make_events(0).shape
    (0, 9)
    """
    n = check_count(n_customers, "n_customers", _FUNC)
    seed_ = check_count(seed, "seed", _FUNC)
    begin = _timestamp(start, "start")
    finish = _timestamp(end, "end")
    if finish <= begin:
        msg = f"The 'end' parameter of {_FUNC} must be > 'start' ({begin}). Got {end!r} instead."
        raise InvalidInputError(msg)
    visits = check_positive(visits_per_week, "visits_per_week", _FUNC)
    signup = check_fraction(signup_probability, "signup_probability", _FUNC)
    lifetime = check_positive(mean_lifetime_days, "mean_lifetime_days", _FUNC)
    order_value = check_positive(mean_order_value, "mean_order_value", _FUNC)
    if n == 0:
        return empty(begin)
    rng = np.random.default_rng(seed_)
    window = (finish - begin).total_seconds()
    pop = draw_population(n, window, rng, visits, signup, lifetime, order_value)
    session_visits, purchases = _purchases(pop, rng)
    ordinary_visits = _visits(pop, rng)
    others = [
        _csat(pop, purchases, rng),
        _nps(pop, rng),
        _referrals(pop, rng),
        _churn(pop, rng),
        _spend(pop, rng),
    ]
    # The journey events draw after every other block, so those blocks stay as they were.
    mail = emails(pop, rng)
    carts, checkouts = purchase_carts(
        concatenate([purchases, mail.purchases]),
        np.concatenate([session_visits.seconds, mail.purchase_session]),
        rng,
    )
    lost_carts, lost_checkouts = abandoned_carts(pop, ordinary_visits, rng)
    email_csat = _csat(pop, mail.purchases, rng)
    # Block order breaks ties within a second: visit, signup, cart_add, checkout, purchase.
    blocks = [
        ordinary_visits,
        session_visits,
        mail.visits,
        _signups(pop),
        carts,
        lost_carts,
        checkouts,
        lost_checkouts,
        purchases,
        mail.purchases,
        *others,
        email_csat,
        mail.sent,
        mail.opens,
        mail.clicks,
        mail.unsubscribes,
    ]
    return assemble(blocks, start=begin, window_seconds=window)
