"""The simulated visitors behind :func:`~retention_kpis.datasets.make_events`.

One entry per visitor: arrival, acquisition channel and campaign, latent
satisfaction, signup, death (end of life) and personal rates. Event builders
read it and return :class:`~retention_kpis.datasets._frame.EventBlock` s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from retention_kpis.datasets._frame import (
    CAMPAIGNS,
    CHANNELS,
    EVENT_TYPES,
    BoolArray,
    EventBlock,
    FloatArray,
    IntArray,
)

__all__ = ["DAY", "WEEK", "Population", "draw_population"]

DAY = 86_400.0
WEEK = 7 * DAY
_GROWTH = 1.0
"""Arrivals per day grow linearly over the window, ending at ``1 + _GROWTH`` times the start."""
_CHANNEL_SHARES = (0.25, 0.25, 0.15, 0.10, 0.10, 0.15)
"""Share of arrivals per channel, in the order of ``CHANNELS``."""


@dataclass(frozen=True)
class Population:
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
        """Number of visitors."""
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
        value: FloatArray | None = None,
        campaign: str | None = None,
    ) -> EventBlock:
        """Events of ``customer`` (indexes) carrying their acquisition channel and campaign.

        With ``campaign`` (a name in ``CAMPAIGNS``), the events carry that campaign
        and its channel instead (an email-driven visit carries ``"newsletter"``).
        """
        if campaign is None:
            channel, campaigns = self.channel[customer], self.campaign[customer]
        else:
            code = [name for name, _ in CAMPAIGNS].index(campaign)
            channel = np.full(customer.size, CAMPAIGNS[code][1], dtype=np.int64)
            campaigns = np.full(customer.size, code, dtype=np.int64)
        return EventBlock(
            customer=customer,
            seconds=seconds,
            event=np.full(customer.size, EVENT_TYPES.index(event_type), dtype=np.int64),
            channel=channel,
            campaign=campaigns,
            value=value,
        )


def _campaigns_of(channel: IntArray, rng: np.random.Generator) -> IntArray:
    """Pick one campaign of each visitor's channel uniformly; -1 where the channel has none."""
    owner = np.array([owner for _, owner in CAMPAIGNS])
    counts = np.bincount(owner, minlength=len(CHANNELS))
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pick = np.floor(rng.random(channel.size) * counts[channel]).astype(np.int64)
    return np.where(counts[channel] > 0, offsets[channel] + pick, -1)


def draw_population(  # noqa: PLR0917 - private, called once with named arguments
    n: int,
    window: float,
    rng: np.random.Generator,
    visits_per_week: float,
    signup_probability: float,
    mean_lifetime_days: float,
    mean_order_value: float,
) -> Population:
    """Draw ``n`` visitors over a window of ``window`` seconds (see ``make_events``)."""
    # Inverse CDF of the density (1 + g x) / (1 + g / 2) on [0, 1].
    uniform = rng.random(n)
    arrival = np.sort((np.sqrt(1 + _GROWTH * (2 + _GROWTH) * uniform) - 1) / _GROWTH * window)
    channel = rng.choice(len(CHANNELS), size=n, p=_CHANNEL_SHARES).astype(np.int64)
    campaign = _campaigns_of(channel, rng)
    satisfaction = rng.standard_normal(n)
    signed_up = rng.random(n) < signup_probability
    signup = np.where(signed_up, arrival + rng.exponential(2 * DAY, n), np.inf)
    # Heterogeneous mean lifetimes (gamma with mean 1, longer when satisfied), then an
    # exponential lifetime: the Pareto/NBD "die out" story. Bouncers leave within days.
    lifetime = mean_lifetime_days * DAY * rng.gamma(2.0, 0.5, n) * np.exp(0.4 * satisfaction - 0.08)
    death = np.where(
        signed_up,
        signup + rng.exponential(lifetime),
        arrival + rng.exponential(2 * DAY, n),
    )
    visit_rate = (
        visits_per_week / WEEK * rng.gamma(2.0, 0.5, n) * np.exp(0.3 * satisfaction - 0.045)
    )
    order_value = mean_order_value * rng.lognormal(-0.125, 0.5, n)
    return Population(
        window,
        arrival,
        channel,
        campaign,
        satisfaction,
        signed_up,
        signup,
        death,
        visit_rate,
        order_value,
    )
