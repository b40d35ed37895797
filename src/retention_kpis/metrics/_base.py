"""Base classes and value types of the frozen pydantic result models.

Every result model can carry a confidence interval: ``ci_low``, ``ci_high``,
``confidence`` and ``interval_method``, filled by the model's constructors when they
are given ``confidence`` (left out of JSON otherwise). The interval formulas live in
:mod:`retention_kpis.stats`; :func:`share_interval` and :func:`interval_fields` only
hand their bounds to the models.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._core.arrays import FloatArray, as_float_array
from retention_kpis._core.values import Fraction, MaybeNaN, NonNegative, Signed100
from retention_kpis.stats import proportion_interval, ratio_interval, total_interval
from retention_kpis.stats.proportions import ProportionMethod
from retention_kpis.stats.ratios import RatioMethod

__all__ = [
    "Fraction",
    "KPIResult",
    "MaybeNaN",
    "NonNegative",
    "ProportionMethod",
    "RatioKPI",
    "Signed100",
    "customer_totals",
    "interval_fields",
    "ratio_from_customers",
    "share_interval",
    "spend_interval",
]


def _undefined(value: float) -> bool:
    """Leave a bound out of JSON when it is nan (no interval asked for, or none)."""
    return math.isnan(value)


def _absent(value: object) -> bool:
    """Leave the level and method out of JSON when no interval was asked for."""
    return value is None


class KPIResult(BaseModel):
    """A KPI value with the unit and the definition that produced it.

    Results are frozen and reject unknown fields. An undefined value (zero
    denominator) is ``nan`` in Python and ``null`` in JSON. Subclasses narrow
    ``value`` to the metric's range, so a broken formula fails loudly. With
    ``confidence`` the constructors also fill ``ci_low`` / ``ci_high`` (nan where the
    interval is undefined), ``confidence`` and ``interval_method``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    value: MaybeNaN
    unit: str
    definition: str
    ci_low: MaybeNaN = Field(default=math.nan, exclude_if=_undefined)
    ci_high: MaybeNaN = Field(default=math.nan, exclude_if=_undefined)
    confidence: float | None = Field(default=None, gt=0.0, lt=1.0, exclude_if=_absent)
    interval_method: str | None = Field(default=None, exclude_if=_absent)


class RatioKPI(KPIResult):
    """A KPI that is ``numerator / denominator`` (times a scale, if any)."""

    numerator: float
    denominator: float


_Ratio = TypeVar("_Ratio", bound=RatioKPI)


def interval_fields(
    bounds: tuple[float, float], confidence: float | None, method: str
) -> dict[str, Any]:
    """Return the interval fields of a model (none when ``confidence`` is None).

    Examples
    --------
    >>> interval_fields((0.1, 0.3), 0.95, "wilson")["ci_high"]
    0.3
    >>> interval_fields((0.1, 0.3), None, "wilson")
    {}
    """
    if confidence is None:
        return {}
    low, high = bounds
    return {"ci_low": low, "ci_high": high, "confidence": confidence, "interval_method": method}


def share_interval(
    successes: float, trials: float, confidence: float | None, method: ProportionMethod
) -> dict[str, Any]:
    """Return the interval fields of a share: Wilson or Jeffreys (none without ``confidence``).

    Examples
    --------
    >>> fields = share_interval(30, 1_000, 0.95, "wilson")
    >>> round(fields["ci_low"], 4), round(fields["ci_high"], 4), fields["interval_method"]
    (0.0211, 0.0425, 'wilson')
    """
    if confidence is None:
        return {}
    bounds = proportion_interval(int(successes), int(trials), confidence=confidence, method=method)
    return interval_fields(bounds, confidence, method)


def customer_totals(values: object, name: str, func: str) -> FloatArray:
    """Return one non-negative, finite total per customer as a float array, or raise.

    Examples
    --------
    >>> customer_totals([10, 50.5], "revenue", "AverageOrderValue.from_customers").sum()
    np.float64(60.5)
    """
    return as_float_array(values, f"The {name!r} parameter of {func}")


def spend_interval(
    spend: float, totals: FloatArray, confidence: float, *, spend_on_top: bool
) -> dict[str, Any]:
    """Return the interval fields of ``total / spend`` or ``spend / total``, spend fixed.

    The total is the sum of the customer totals, its interval
    :func:`~retention_kpis.total_interval` (customers Poisson-sampled); ``spend_on_top``
    divides the spend by the bounds (CPA), else the bounds by the spend (ROAS).

    Examples
    --------
    >>> import numpy as np
    >>> fields = spend_interval(40.0, np.array([10.0, 50.0, 20.0]), 0.95, spend_on_top=False)
    >>> round(fields["ci_low"], 2), round(fields["ci_high"], 2)
    (0.52, 7.65)
    """
    low, high = total_interval(
        float(totals.sum()), sum_squares=float(totals @ totals), confidence=confidence
    )
    if math.isnan(low) or (not spend_on_top and spend == 0):
        bounds = (math.nan, math.nan)
    elif spend_on_top:
        bounds = (spend / high, spend / low)
    else:
        bounds = (low / spend, high / spend)
    return interval_fields(bounds, confidence, "poisson_total")


def ratio_from_customers(
    cls: type[_Ratio],
    kpi: Callable[[float, float], float],
    numerators: tuple[object, str],
    denominators: tuple[object, str] | None,
    func: str,
    *,
    confidence: float,
    interval_method: RatioMethod,
    n_resamples: int,
    seed: int,
) -> _Ratio:
    """Build a ratio KPI from per-customer totals, with its interval (customers as clusters).

    ``numerators`` and ``denominators`` are ``(values, parameter name)``; without
    ``denominators`` each customer counts 1 (a mean per customer). The value is
    ``kpi(sum of numerators, sum of denominators)``, the interval
    :func:`~retention_kpis.ratio_interval`'s; the shared body of the ``from_customers``
    constructors.

    Examples
    --------
    >>> from retention_kpis.metrics.aov import AverageOrderValue, average_order_value
    >>> result = ratio_from_customers(
    ...     AverageOrderValue,
    ...     average_order_value,
    ...     ([10.0, 50.0, 20.0], "revenue"),
    ...     ([1, 2, 1], "orders"),
    ...     "AverageOrderValue.from_customers",
    ...     confidence=0.95,
    ...     interval_method="delta",
    ...     n_resamples=2_000,
    ...     seed=0,
    ... )
    >>> result.value, result.denominator, round(result.ci_low, 2), round(result.ci_high, 2)
    (20.0, 4.0, 11.51, 28.49)
    """
    y = customer_totals(numerators[0], numerators[1], func)
    x = (
        customer_totals(denominators[0], denominators[1], func)
        if denominators is not None
        else None
    )
    bounds = ratio_interval(
        y,
        [1.0] * y.size if x is None else x,
        confidence=confidence,
        method=interval_method,
        n_resamples=n_resamples,
        seed=seed,
    )
    numerator = float(y.sum())
    denominator = float(y.size) if x is None else float(x.sum())
    return cls(
        value=kpi(numerator, denominator),
        numerator=numerator,
        denominator=denominator,
        **interval_fields(bounds, confidence, interval_method),
    )
