"""Intervals for a ratio of customer-level totals: AOV, purchase frequency, CSAT mean, ROAS, ...

Orders, revenue and survey answers cluster by customer: a customer with ten orders is one
draw of ``(revenue_i, orders_i)``, not ten. Every such KPI is a ratio estimator
``R = sum(y_i) / sum(x_i)`` over customers ``i = 1..n`` (Cochran, *Sampling Techniques*,
3rd ed., 1977, section 6.3):

* AOV: ``y`` = a customer's revenue, ``x`` = their orders;
* purchase frequency: ``y`` = orders, ``x`` = 1 (a mean per customer);
* CSAT or CES mean: ``y`` = the sum of a customer's answers, ``x`` = their answers;
* ROAS with spend fixed: ``y`` = revenue, ``x`` = 1, then divide by ``spend / n``; CPA
  and CAC with spend fixed: the reciprocal of a mean of orders (new customers) per customer.

Two methods:

* ``"delta"``: the first-order (delta-method, linearisation) variance
  ``Var(R) = sum((y_i - R x_i)^2) / (n (n - 1) xbar^2)`` and a normal quantile; from the
  five sums ``n, sum x, sum y, sum x^2, sum y^2, sum xy`` alone
  (:func:`ratio_interval_from_sums`), so an engine computes it without collecting customers;
* ``"bootstrap"``: customers resampled with replacement (seeded), the percentile interval
  of the resampled ratios (Efron & Tibshirani 1993, ch. 13).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, TypeAlias

import numpy as np

from retention_kpis._core.arrays import FloatArray, as_float_array
from retention_kpis._core.checks import check_count, check_number
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.stats._checks import check_confidence, check_method, normal_quantile

__all__ = [
    "RatioMethod",
    "bootstrap_interval",
    "ratio_interval",
    "ratio_interval_from_sums",
    "ratio_standard_error",
]

RatioMethod: TypeAlias = Literal["delta", "bootstrap"]
_METHODS = ("delta", "bootstrap")
_CELLS_PER_BATCH = 4_000_000  # resampled indices held at once (32 MB of int64)


def ratio_standard_error(
    n: int,
    *,
    sum_x: float,
    sum_y: float,
    sum_xx: float,
    sum_yy: float,
    sum_xy: float,
) -> float:
    """Return the delta-method standard error of ``R = sum_y / sum_x``.

    Parameters
    ----------
    n : int
        Customers (clusters).
    sum_x, sum_y, sum_xx, sum_yy, sum_xy : float
        Sums over customers of ``x_i``, ``y_i``, ``x_i^2``, ``y_i^2`` and ``x_i y_i``.

    Returns
    -------
    float
        The standard error; nan when ``n < 2`` or ``sum_x == 0``.

    Raises
    ------
    InvalidInputError
        If ``n`` is not a count or a sum is not finite.

    Examples
    --------
    >>> round(ratio_standard_error(3, sum_x=4, sum_y=80, sum_xx=6, sum_yy=3000, sum_xy=130), 4)
    4.3301
    """
    func = "ratio_standard_error"
    count = check_count(n, "n", func)
    sx, sy, sxx, syy, sxy = (
        check_number(value, name, func)
        for value, name in (
            (sum_x, "sum_x"),
            (sum_y, "sum_y"),
            (sum_xx, "sum_xx"),
            (sum_yy, "sum_yy"),
            (sum_xy, "sum_xy"),
        )
    )
    return _standard_error(count, (sx, sy, sxx, syy, sxy))


def _standard_error(count: int, sums: tuple[float, float, float, float, float]) -> float:
    """Return the delta-method standard error from checked sums (nan when undefined)."""
    sx, sy, sxx, syy, sxy = sums
    if count < 2 or sx == 0:
        return math.nan
    ratio = sy / sx
    residual_squares = max(0.0, syy - 2.0 * ratio * sxy + ratio * ratio * sxx)
    return math.sqrt(count / (count - 1) * residual_squares) / abs(sx)


def ratio_interval_from_sums(
    n: int,
    *,
    sum_x: float,
    sum_y: float,
    sum_xx: float,
    sum_yy: float,
    sum_xy: float,
    confidence: float = 0.95,
) -> tuple[float, float]:
    r"""Delta-method interval for ``R = sum_y / sum_x`` from per-customer sums and squares.

    .. math::

        \widehat{\mathrm{Var}}(R) = \frac{n}{n - 1}\,
            \frac{S_{yy} - 2 R S_{xy} + R^2 S_{xx}}{S_x^2}

    the sum of squared residuals ``y_i - R x_i`` written with the sums an engine computes in
    one pass. The lower bound is clipped at 0 (totals are non-negative).

    Parameters
    ----------
    n : int
        Customers (clusters).
    sum_x, sum_y : float
        Sums over customers of their denominator and numerator totals.
    sum_xx, sum_yy, sum_xy : float
        Sums over customers of ``x_i^2``, ``y_i^2`` and ``x_i y_i``.
    confidence : float, default=0.95
        Confidence level, in (0, 1).

    Returns
    -------
    (float, float)
        Bounds of the ratio; ``(nan, nan)`` when ``n < 2`` or ``sum_x == 0``.

    Raises
    ------
    InvalidInputError
        If ``n`` is not a count, a sum is not finite, or ``confidence`` is outside (0, 1).

    Examples
    --------
    Three customers with (orders, revenue) = (1, 10), (2, 50), (1, 20): AOV = 80 / 4 = 20.

    >>> low, high = ratio_interval_from_sums(
    ...     3, sum_x=4, sum_y=80, sum_xx=6, sum_yy=3000, sum_xy=130
    ... )
    >>> round(low, 2), round(high, 2)
    (11.51, 28.49)
    """
    func = "ratio_interval_from_sums"
    count = check_count(n, "n", func)
    sx, sy, sxx, syy, sxy = (
        check_number(value, name, func)
        for value, name in (
            (sum_x, "sum_x"),
            (sum_y, "sum_y"),
            (sum_xx, "sum_xx"),
            (sum_yy, "sum_yy"),
            (sum_xy, "sum_xy"),
        )
    )
    level = check_confidence(confidence, func)
    se = _standard_error(count, (sx, sy, sxx, syy, sxy))
    if math.isnan(se):
        return math.nan, math.nan
    ratio = sy / sx
    half = normal_quantile(level) * se
    return max(0.0, ratio - half), ratio + half


def _pair(numerators: object, denominators: object, func: str) -> tuple[FloatArray, FloatArray]:
    y = as_float_array(numerators, f"The 'numerators' parameter of {func}")
    x = as_float_array(denominators, f"The 'denominators' parameter of {func}")
    if x.size != y.size:
        msg = (
            f"The 'denominators' parameter of {func} must have one value per customer, as "
            f"'numerators' ({y.size}). Got {x.size} values instead."
        )
        raise InvalidInputError(msg)
    return y, x


def _bootstrap(
    y: FloatArray, x: FloatArray, level: float, n_resamples: int, seed: int
) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    n = y.size
    per_batch = max(1, _CELLS_PER_BATCH // n)
    ratios: list[FloatArray] = []
    left = n_resamples
    while left > 0:
        size = min(per_batch, left)
        index = rng.integers(0, n, size=(size, n))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios.append(y[index].sum(axis=1) / x[index].sum(axis=1))
        left -= size
    resampled = np.concatenate(ratios)
    resampled = resampled[np.isfinite(resampled)]
    if resampled.size == 0:
        return math.nan, math.nan
    alpha = 1.0 - level
    low, high = np.quantile(resampled, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def ratio_interval(
    numerators: object,
    denominators: object,
    *,
    confidence: float = 0.95,
    method: RatioMethod = "delta",
    n_resamples: int = 2_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Interval for ``sum(numerators) / sum(denominators)`` with customers as clusters.

    Parameters
    ----------
    numerators : array-like of float
        One total per customer (revenue, orders, sum of survey answers), ``>= 0``.
    denominators : array-like of float
        One total per customer (orders, 1, answers), ``>= 0``, same length.
    confidence : float, default=0.95
        Confidence level, in (0, 1).
    method : {"delta", "bootstrap"}, default="delta"
        The delta method (:func:`ratio_interval_from_sums`) or the percentile
        bootstrap over customers.
    n_resamples : int, default=2000
        Bootstrap resamples (``method="bootstrap"``).
    seed : int, default=0
        Seed of the bootstrap's ``numpy.random.default_rng``: the same seed gives
        the same interval.

    Returns
    -------
    (float, float)
        Bounds of the ratio; ``(nan, nan)`` with fewer than two customers or a zero
        denominator total.

    Raises
    ------
    InvalidInputError
        If the arrays hold negative, nan or inf values or differ in length, or an
        option is invalid.

    Examples
    --------
    >>> revenue, orders = [10.0, 50.0, 20.0], [1, 2, 1]
    >>> [round(b, 2) for b in ratio_interval(revenue, orders)]  # AOV 20
    [11.51, 28.49]
    >>> [round(b, 2) for b in ratio_interval(revenue, orders, method="bootstrap")]
    [10.0, 25.0]
    """
    func = "ratio_interval"
    y, x = _pair(numerators, denominators, func)
    level = check_confidence(confidence, func)
    how = check_method(method, func, _METHODS)
    resamples = check_count(n_resamples, "n_resamples", func)
    if resamples < 1:
        msg = f"The 'n_resamples' parameter of {func} must be >= 1. Got {n_resamples!r} instead."
        raise InvalidInputError(msg)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        msg = f"The 'seed' parameter of {func} must be an int. Got {seed!r} instead."
        raise InvalidInputError(msg)
    if y.size < 2 or x.sum() == 0:
        return math.nan, math.nan
    if how == "bootstrap":
        return _bootstrap(y, x, level, resamples, int(seed))
    return ratio_interval_from_sums(
        int(y.size),
        sum_x=float(x.sum()),
        sum_y=float(y.sum()),
        sum_xx=float(x @ x),
        sum_yy=float(y @ y),
        sum_xy=float(x @ y),
        confidence=level,
    )


def bootstrap_interval(
    values: FloatArray,
    statistic: Callable[[FloatArray], FloatArray],
    *,
    confidence: float = 0.95,
    n_resamples: int = 2_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of a statistic of per-customer values (seeded).

    Customers are resampled with replacement (Efron & Tibshirani 1993, ch. 13);
    ``statistic`` maps a ``(resamples, customers)`` array to one value per row (the
    Pareto share: top-group revenue over total revenue of each resample).

    Parameters
    ----------
    values : numpy.ndarray of float
        One value per customer (already checked).
    statistic : callable
        Row-wise statistic of a 2-D array; non-finite results are dropped.
    confidence : float, default=0.95
        Confidence level, in (0, 1).
    n_resamples : int, default=2000
        Resamples, ``>= 1``.
    seed : int, default=0
        Seed of ``numpy.random.default_rng``.

    Returns
    -------
    (float, float)
        The ``alpha/2`` and ``1 - alpha/2`` quantiles; ``(nan, nan)`` with fewer than
        two customers or no finite resampled statistic.

    Examples
    --------
    >>> values = np.array([1.0, 2.0, 3.0, 4.0])
    >>> low, high = bootstrap_interval(values, lambda rows: rows.mean(axis=1))
    >>> 1.0 <= low < 2.5 < high <= 4.0
    True
    """
    func = "bootstrap_interval"
    level = check_confidence(confidence, func)
    resamples = check_count(n_resamples, "n_resamples", func)
    if resamples < 1:
        msg = f"The 'n_resamples' parameter of {func} must be >= 1. Got {n_resamples!r} instead."
        raise InvalidInputError(msg)
    if values.size < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(int(seed))
    per_batch = max(1, _CELLS_PER_BATCH // values.size)
    results: list[FloatArray] = []
    left = resamples
    while left > 0:
        size = min(per_batch, left)
        with np.errstate(invalid="ignore", divide="ignore"):
            results.append(
                statistic(values[rng.integers(0, values.size, size=(size, values.size))])
            )
        left -= size
    resampled = np.concatenate(results)
    resampled = resampled[np.isfinite(resampled)]
    if resampled.size == 0:
        return math.nan, math.nan
    alpha = 1.0 - level
    low, high = np.quantile(resampled, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
