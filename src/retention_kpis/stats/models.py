"""Frozen result models carrying a KPI value with its confidence interval.

Each model keeps the parts the interval came from, so it can be checked and
recomputed; ``ci_low`` and ``ci_high`` are ``nan`` (JSON ``null``) where the interval
is undefined. The pure functions of :mod:`retention_kpis.stats` return floats; these
models wrap them.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._core.values import Fraction, MaybeNaN, NonNegative, Signed100
from retention_kpis.stats.nps import NPSMethod, nps_interval
from retention_kpis.stats.proportions import ProportionMethod, proportion_interval
from retention_kpis.stats.ratios import RatioMethod, ratio_interval

__all__ = ["IntervalEstimate", "NPSEstimate", "ProportionEstimate", "RatioEstimate"]


class IntervalEstimate(BaseModel):
    """A value with its confidence interval, the level and the method that produced it."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    value: MaybeNaN
    ci_low: MaybeNaN
    ci_high: MaybeNaN
    confidence: float = Field(gt=0.0, lt=1.0)
    interval_method: str


class ProportionEstimate(IntervalEstimate):
    """A share of a count with its Wilson or Jeffreys interval.

    Examples
    --------
    >>> estimate = ProportionEstimate.from_counts(30, 1_000)
    >>> estimate.value, round(estimate.ci_low, 4), round(estimate.ci_high, 4)
    (0.03, 0.0211, 0.0425)
    >>> estimate.interval_method
    'wilson'
    """

    value: Fraction
    ci_low: Fraction
    ci_high: Fraction
    interval_method: ProportionMethod
    successes: int = Field(ge=0)
    trials: int = Field(ge=0)

    @classmethod
    def from_counts(
        cls,
        successes: int,
        trials: int,
        *,
        confidence: float = 0.95,
        method: ProportionMethod = "wilson",
    ) -> ProportionEstimate:
        """Share ``successes / trials`` (nan without trials) and its interval."""
        low, high = proportion_interval(successes, trials, confidence=confidence, method=method)
        value = successes / trials if trials else math.nan
        return cls(
            value=value,
            ci_low=low,
            ci_high=high,
            confidence=confidence,
            interval_method=method,
            successes=successes,
            trials=trials,
        )


class NPSEstimate(IntervalEstimate):
    """A Net Promoter Score with its interval (-100..100).

    Examples
    --------
    >>> estimate = NPSEstimate.from_counts(50, 30, 20)
    >>> estimate.value, estimate.responses
    (30.0, 100)
    """

    value: Signed100
    ci_low: Signed100
    ci_high: Signed100
    interval_method: NPSMethod
    promoters: int = Field(ge=0)
    passives: int = Field(ge=0)
    detractors: int = Field(ge=0)
    responses: int = Field(ge=0)

    @classmethod
    def from_counts(
        cls,
        promoters: int,
        passives: int,
        detractors: int,
        *,
        confidence: float = 0.95,
        method: NPSMethod = "adjusted_wald",
    ) -> NPSEstimate:
        """NPS ``100 (P - D) / n`` (nan without respondents) and its interval."""
        low, high = nps_interval(
            promoters, passives, detractors, confidence=confidence, method=method
        )
        responses = promoters + passives + detractors
        value = 100.0 * (promoters - detractors) / responses if responses else math.nan
        return cls(
            value=value,
            ci_low=low,
            ci_high=high,
            confidence=confidence,
            interval_method=method,
            promoters=promoters,
            passives=passives,
            detractors=detractors,
            responses=responses,
        )


class RatioEstimate(IntervalEstimate):
    """A ratio of customer-level totals (AOV, purchase frequency, ...) with its interval.

    Examples
    --------
    >>> estimate = RatioEstimate.from_customers([10.0, 50.0, 20.0], [1, 2, 1])
    >>> estimate.value, estimate.customers, estimate.interval_method
    (20.0, 3, 'delta')
    """

    value: NonNegative
    ci_low: NonNegative
    ci_high: NonNegative
    interval_method: RatioMethod
    customers: int = Field(ge=0)
    numerator: float
    denominator: float

    @classmethod
    def from_customers(
        cls,
        numerators: object,
        denominators: object,
        *,
        confidence: float = 0.95,
        method: RatioMethod = "delta",
        n_resamples: int = 2_000,
        seed: int = 0,
    ) -> RatioEstimate:
        """Ratio of the totals (nan when the denominators sum to 0) and its interval."""
        low, high = ratio_interval(
            numerators,
            denominators,
            confidence=confidence,
            method=method,
            n_resamples=n_resamples,
            seed=seed,
        )
        import numpy as np  # noqa: PLC0415 - numpy is loaded by ratio_interval already

        y = np.atleast_1d(np.asarray(numerators, dtype=np.float64))
        x = np.atleast_1d(np.asarray(denominators, dtype=np.float64))
        numerator, denominator = float(y.sum()), float(x.sum())
        return cls(
            value=numerator / denominator if denominator else math.nan,
            ci_low=low,
            ci_high=high,
            confidence=confidence,
            interval_method=method,
            customers=int(y.size),
            numerator=numerator,
            denominator=denominator,
        )
