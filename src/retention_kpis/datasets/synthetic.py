"""A seeded, vectorised synthetic event stream with every event type.

The generator draws one population of visitors (arrival, channel, latent
satisfaction, lifetime, rates), then builds each event type as a block of numpy
arrays from it; no Python loop runs per customer or per event. To add an event
type (``cart_add``, ``email_open``, ...), add its name to
``_frame.EVENT_TYPES``, write a ``_name(population, rng) -> EventBlock``
function beside the ones below and append its block in :func:`make_events`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retention_kpis._validation import check_count, check_fraction, check_positive
from retention_kpis.datasets._frame import (
    CAMPAIGNS,
    CHANNELS,
    EVENT_TYPES,
    BoolArray,
    EventBlock,
    FloatArray,
    IntArray,
    assemble,
    empty,
)
from retention_kpis.exceptions import InvalidInputError

__all__ = ["make_events"]

_FUNC = "make_events"
_DAY = 86_400.0
_WEEK = 7 * _DAY
_GROWTH = 1.0
"""Arrivals per day grow linearly over the window, ending at ``1 + _GROWTH`` times the start."""
_CHANNEL_SHARES = (0.25, 0.25, 0.15, 0.10, 0.10, 0.15)
"""Share of arrivals per channel, in the order of ``CHANNELS``."""
_COST_PER_ARRIVAL = np.array([0.0, 1.80, 1.20, 0.30, 5.00, 0.0])
"""Mean marketing cost of one arriving visitor per channel (USD); organic and direct are free."""
_BUYER_PROBABILITY = 0.7
_PURCHASES_PER_WEEK = 0.25
_CHURN_EVENT_PROBABILITY = 0.5
_NPS_FIRST_WAVE_DAYS = 30.0
_NPS_WAVE_DAYS = 90.0
_NPS_RESPONSE_PROBABILITY = 0.25
_CSAT_RESPONSE_PROBABILITY = 0.2


@dataclass(frozen=True)
class _Population:
    """One entry per visitor, sorted by arrival; times are seconds after ``start``."""

    window: float
    arrival: FloatArray
    channel: IntArray
    campaign: IntArray
    satisfaction: FloatArray
    signed_up: BoolArray
    signup: FloatArray
    death: FloatArray
    visit_rate: FloatArray
    order_value: FloatArray

    @property
    def size(self) -> int:
        return int(self.arrival.size)

    @property
    def end_of_activity(self) -> FloatArray:
        """Death or the end of the window, whichever comes first."""
        return np.minimum(self.death, self.window)

    def block(
        self,
        customer: IntArray,
        seconds: FloatArray,
        event_type: str,
        *,
        revenue: FloatArray | None = None,
        score: FloatArray | None = None,
    ) -> EventBlock:
        """Events of ``customer`` (indexes) carrying their acquisition channel and campaign."""
        return EventBlock(
            customer=customer,
            seconds=seconds,
            event=np.full(customer.size, EVENT_TYPES.index(event_type), dtype=np.int64),
            channel=self.channel[customer],
            campaign=self.campaign[customer],
            revenue=revenue,
            score=score,
        )


def _campaigns_of(channel: IntArray, rng: np.random.Generator) -> IntArray:
    """Pick one campaign of each visitor's channel uniformly; -1 where the channel has none."""
    owner = np.array([owner for _, owner in CAMPAIGNS])
    counts = np.bincount(owner, minlength=len(CHANNELS))
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = np.floor(rng.random(channel.size) * counts[channel]).astype(np.int64)
    return np.where(counts[channel] > 0, offsets[channel] + pick, -1)


def _population(  # noqa: PLR0917 - private, called once with named arguments
    n: int,
    window: float,
    rng: np.random.Generator,
    visits_per_week: float,
    signup_probability: float,
    mean_lifetime_days: float,
    mean_order_value: float,
) -> _Population:
    # Inverse CDF of the density (1 + g x) / (1 + g / 2) on [0, 1].
    uniform = rng.random(n)
    arrival = np.sort((np.sqrt(1 + _GROWTH * (2 + _GROWTH) * uniform) - 1) / _GROWTH * window)
    channel = rng.choice(len(CHANNELS), size=n, p=_CHANNEL_SHARES).astype(np.int64)
    campaign = _campaigns_of(channel, rng)
    satisfaction = rng.standard_normal(n)
    signed_up = rng.random(n) < signup_probability
    signup = np.where(signed_up, arrival + rng.exponential(2 * _DAY, n), np.inf)
    # Heterogeneous mean lifetimes (gamma with mean 1, longer when satisfied), then an
    # exponential lifetime: the Pareto/NBD "die out" story. Bouncers leave within days.
    lifetime = mean_lifetime_days * _DAY * rng.gamma(2.0, 0.5, n) * np.exp(0.4 * satisfaction - 0.08)
    death = np.where(
        signed_up,
        signup + rng.exponential(lifetime),
        arrival + rng.exponential(2 * _DAY, n),
    )
    visit_rate = visits_per_week / _WEEK * rng.gamma(2.0, 0.5, n) * np.exp(0.3 * satisfaction - 0.045)
    order_value = mean_order_value * rng.lognormal(-0.125, 0.5, n)
    return _Population(
        window, arrival, channel, campaign, satisfaction, signed_up, signup, death, visit_rate, order_value
    )


def _repeat_uniform(
    owners: IntArray, low: FloatArray, span: FloatArray, counts: IntArray, rng: np.random.Generator
) -> tuple[IntArray, FloatArray]:
    """``counts[i]`` uniform times in ``[low[i], low[i] + span[i]]`` for each owner ``i``."""
    repeated = np.repeat(np.arange(owners.size), counts)
    seconds = low[repeated] + rng.random(repeated.size) * span[repeated]
    return owners[repeated], seconds


def _visits(pop: _Population, rng: np.random.Generator) -> EventBlock:
    """A first visit at arrival, then a Poisson number of visits while active."""
    everyone = np.arange(pop.size)
    active = np.maximum(pop.end_of_activity - pop.arrival, 0.0)
    later, seconds = _repeat_uniform(everyone, pop.arrival, active, rng.poisson(pop.visit_rate * active), rng)
    return pop.block(np.concatenate([everyone, later]), np.concatenate([pop.arrival, seconds]), "visit")


def _signups(pop: _Population) -> EventBlock:
    who = np.flatnonzero(pop.signed_up)
    return pop.block(who, pop.signup[who], "signup")


def _purchases(pop: _Population, rng: np.random.Generator) -> tuple[EventBlock, EventBlock]:
    """Purchases and the visit of each purchase's session.

    A buyer's first purchase follows signup by days (if the buyer is still alive), then
    repeat purchases arrive as a Poisson process with a gamma-heterogeneous rate until
    death. Order values are lognormal around the buyer's own lognormal mean.
    """
    buyers = np.flatnonzero(pop.signed_up & (rng.random(pop.size) < _BUYER_PROBABILITY))
    first = pop.signup[buyers] + rng.exponential(3 * _DAY, buyers.size)
    rate = (
        _PURCHASES_PER_WEEK / _WEEK * rng.gamma(0.8, 1 / 0.8, buyers.size)
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
        customer, seconds, "purchase", revenue=revenue
    )


def _csat(pop: _Population, purchases: EventBlock, rng: np.random.Generator) -> EventBlock:
    """A 1-5 CSAT answer to a fifth of orders, a day or so later, higher when satisfied."""
    respond = rng.random(purchases.customer.size) < _CSAT_RESPONSE_PROBABILITY
    customer = purchases.customer[respond]
    seconds = purchases.seconds[respond] + rng.exponential(_DAY, customer.size)
    score = np.clip(np.rint(3.9 + 0.8 * pop.satisfaction[customer] + rng.normal(0, 0.7, customer.size)), 1, 5)
    alive = seconds <= pop.death[customer]
    return pop.block(customer[alive], seconds[alive], "csat_response", score=score[alive])


def _nps(pop: _Population, rng: np.random.Generator) -> EventBlock:
    """0-10 NPS answers to surveys sent 30 days after signup, then every 90 days while active."""
    first_wave = pop.signup + _NPS_FIRST_WAVE_DAYS * _DAY
    span = np.maximum(pop.end_of_activity - first_wave, -1.0)
    waves = np.where(span >= 0, np.floor(span / (_NPS_WAVE_DAYS * _DAY)) + 1, 0).astype(np.int64)
    customer = np.repeat(np.arange(pop.size), waves)
    wave = np.arange(customer.size) - np.repeat(np.cumsum(waves) - waves, waves)
    seconds = first_wave[customer] + wave * _NPS_WAVE_DAYS * _DAY + rng.exponential(2 * _DAY, customer.size)
    noise = rng.normal(0, 1.2, customer.size)
    score = np.clip(np.rint(7.0 + 2.0 * pop.satisfaction[customer] + noise), 0, 10)
    keep = (rng.random(customer.size) < _NPS_RESPONSE_PROBABILITY) & (seconds <= pop.death[customer])
    return pop.block(customer[keep], seconds[keep], "nps_response", score=score[keep])


def _referrals(pop: _Population, rng: np.random.Generator) -> EventBlock:
    """Each referral-channel arrival is referred by a random earlier, still-alive customer."""
    referred = np.flatnonzero(pop.channel == CHANNELS.index("referral"))
    members = np.flatnonzero(pop.signed_up)
    members = members[np.argsort(pop.signup[members], kind="stable")]
    earlier = np.searchsorted(pop.signup[members], pop.arrival[referred], side="left")
    pick = np.floor(rng.random(referred.size) * earlier).astype(np.int64)
    lag = rng.exponential(_DAY, referred.size)
    has = earlier > 0
    referrer = members[pick[has]]
    seconds = np.maximum(pop.arrival[referred[has]] - lag[has], pop.signup[referrer])
    alive = seconds < pop.death[referrer]
    return pop.block(referrer[alive], seconds[alive], "referral")


def _churn(pop: _Population, rng: np.random.Generator) -> EventBlock:
    """An explicit churn (cancellation) event for half of the in-window deaths of members."""
    recorded = rng.random(pop.size) < _CHURN_EVENT_PROBABILITY
    who = np.flatnonzero(pop.signed_up & (pop.death <= pop.window) & recorded)
    return pop.block(who, pop.death[who], "churn")


def _spend(pop: _Population, rng: np.random.Generator) -> EventBlock:
    """Daily cost per paid campaign: the cost of the visitors it brought that day."""
    paid = np.flatnonzero(pop.campaign >= 0)
    cost = _COST_PER_ARRIVAL[pop.channel[paid]] * rng.lognormal(-0.045, 0.3, paid.size)
    n_days = int(pop.window // _DAY) + 1
    key = pop.campaign[paid] * n_days + np.floor(pop.arrival[paid] / _DAY).astype(np.int64)
    total = np.bincount(key, weights=cost, minlength=len(CAMPAIGNS) * n_days)
    cell = np.flatnonzero(total > 0)
    campaign = cell // n_days
    owner = np.array([owner for _, owner in CAMPAIGNS])
    return EventBlock(
        customer=np.full(cell.size, -1, dtype=np.int64),
        seconds=(cell % n_days) * _DAY,
        event=np.full(cell.size, EVENT_TYPES.index("spend"), dtype=np.int64),
        channel=owner[campaign],
        campaign=campaign,
        cost=np.round(total[cell], 2),
    )
