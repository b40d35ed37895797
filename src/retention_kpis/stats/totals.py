r"""Intervals for totals over customers (ROAS, CPA, CAC) and for products of estimates (CLV).

ROAS, CPA and CAC divide a fixed spend ``S`` by, or into, a total over customers: revenue
``Y = sum(y_i)``, orders ``O = sum(o_i)`` or new customers ``N = sum(n_i)`` (``n_i`` in
{0, 1}). Spend is fixed; what varies is which customers buy and how much. Under Poisson
sampling of customers (each customer of a large audience buys or not, independently; a
customer's whole total is one draw, so a customer with ten orders is not ten draws) the
variance of a total is estimated by the sum of the squared customer totals (Hansen &
Hurwitz 1943; Sarndal, Swensson & Wretman, *Model Assisted Survey Sampling*, 1992,
section 3.4), the limit of the ratio estimator's variance over an audience whose
non-buyers have zero totals:

.. math::

    \widehat{\mathrm{Var}}(Y) = \sum_i y_i^2

:func:`total_interval` takes the delta method on ``log Y`` (so bounds stay positive and a
reciprocal such as CPA maps bound to bound): ``Y exp(+-z sqrt(sum y_i^2) / Y)``.

:func:`log_product_interval` combines independent positive estimates into an interval for
their product ``prod(v_k ** e_k)`` with ``Var(log) = sum(e_k^2 se_k^2 / v_k^2)`` (the
facade's CLV: revenue per purchaser divided by the churn rate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from retention_kpis._core.checks import check_number
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.stats._checks import check_confidence, normal_quantile

__all__ = ["log_product_interval", "log_product_standard_error", "total_interval"]


def total_interval(
    total: float, *, sum_squares: float, confidence: float = 0.95
) -> tuple[float, float]:
    r"""Interval for a total of customer-level totals, customers as Poisson-sampled clusters.

    .. math::

        Y \exp\left(\mp z \frac{\sqrt{\sum_i y_i^2}}{Y}\right)

    Parameters
    ----------
    total : float
        ``Y = sum(y_i)``: revenue, orders or new customers over the customers, ``>= 0``.
    sum_squares : float
        ``sum(y_i ** 2)`` over the same customers, ``>= 0``.
    confidence : float, default=0.95
        Confidence level, in (0, 1).

    Returns
    -------
    (float, float)
        Positive bounds; ``(nan, nan)`` when ``total == 0`` (no customer total to scale).

    Raises
    ------
    InvalidInputError
        If a sum is negative, nan or inf, ``sum_squares`` is positive with a zero total,
        or ``confidence`` is outside (0, 1).

    Examples
    --------
    Three buyers spending 10, 50 and 20: revenue 80, sum of squares 3,000.

    >>> low, high = total_interval(80.0, sum_squares=3_000.0)
    >>> round(low, 2), round(high, 2)
    (20.91, 306.1)
    """
    func = "total_interval"
    y = check_number(total, "total", func)
    squares = check_number(sum_squares, "sum_squares", func)
    level = check_confidence(confidence, func)
    if y < 0 or squares < 0:
        name, value = ("total", total) if y < 0 else ("sum_squares", sum_squares)
        msg = f"The {name!r} parameter of {func} must be >= 0. Got {value!r} instead."
        raise InvalidInputError(msg)
    if y == 0:
        if squares > 0:
            msg = (
                f"The 'sum_squares' parameter of {func} must be 0 when 'total' is 0 (totals "
                f"are non-negative). Got {sum_squares!r} instead."
            )
            raise InvalidInputError(msg)
        return math.nan, math.nan
    spread = normal_quantile(level) * math.sqrt(squares) / y
    return y * math.exp(-spread), y * math.exp(spread)


def _log_parts(parts: object, func: str) -> tuple[float, float] | None:
    """Return ``(log of the product, variance of that log)``; None when a part is undefined."""
    if isinstance(parts, (str, bytes)) or not isinstance(parts, Sequence) or not parts:
        msg = (
            f"The 'parts' parameter of {func} must be a non-empty sequence of "
            f"(value, standard_error, exponent). Got {parts!r} instead."
        )
        raise InvalidInputError(msg)
    log_value, log_variance = 0.0, 0.0
    undefined = False
    for part in parts:
        if isinstance(part, (str, bytes)) or not (isinstance(part, Sequence) and len(part) == 3):
            msg = (
                f"The 'parts' parameter of {func} must hold (value, standard_error, exponent) "
                f"triples. Got {part!r} instead."
            )
            raise InvalidInputError(msg)
        try:
            value, se, exponent = (float(item) for item in part)
        except (TypeError, ValueError):
            msg = f"The 'parts' parameter of {func} must hold numbers. Got {part!r} instead."
            raise InvalidInputError(msg) from None
        if not (value > 0 and se >= 0 and math.isfinite(value * se * exponent)):
            undefined = True
            continue
        log_value += exponent * math.log(value)
        log_variance += (exponent * se / value) ** 2
    return None if undefined else (log_value, log_variance)


def log_product_standard_error(parts: object) -> float:
    r"""Return the standard error of ``log(prod(value_k ** exponent_k))`` (independent parts).

    .. math::

        \sqrt{\sum_k e_k^2\, \mathrm{se}_k^2 / v_k^2}

    Times the product, it is the delta-method standard error of the product itself.

    Parameters
    ----------
    parts : sequence of (value, standard_error, exponent)
        As :func:`log_product_interval`.

    Returns
    -------
    float
        The standard error on the log scale; nan when a value is not positive or a
        standard error is nan.

    Raises
    ------
    InvalidInputError
        If ``parts`` is empty or a part is not three numbers.

    Examples
    --------
    >>> round(log_product_standard_error([(40.0, 4.0, 1.0), (0.25, 0.05, -1.0)]), 4)
    0.2236
    """
    found = _log_parts(parts, "log_product_standard_error")
    return math.nan if found is None else math.sqrt(found[1])


def log_product_interval(parts: object, *, confidence: float = 0.95) -> tuple[float, float]:
    r"""Delta-method interval on the log scale for ``prod(value_k ** exponent_k)``.

    .. math::

        P \exp\left(\mp z \sqrt{\sum_k e_k^2\, \mathrm{se}_k^2 / v_k^2}\right)

    The estimates are taken as independent.

    Parameters
    ----------
    parts : sequence of (value, standard_error, exponent)
        Positive estimates ``v_k``, their standard errors ``se_k >= 0`` and exponents
        ``e_k`` (CLV: ``[(revenue per purchaser, se, 1), (churn rate, se, -1)]``).
    confidence : float, default=0.95
        Confidence level, in (0, 1).

    Returns
    -------
    (float, float)
        Positive bounds; ``(nan, nan)`` when a value is not positive or a standard
        error is nan.

    Raises
    ------
    InvalidInputError
        If ``parts`` is empty, a part is not three numbers, or ``confidence`` is
        outside (0, 1).

    Examples
    --------
    Revenue per purchaser 40 (se 4) over a churn rate of 0.25 (se 0.05): CLV 160.

    >>> low, high = log_product_interval([(40.0, 4.0, 1.0), (0.25, 0.05, -1.0)])
    >>> round(low, 1), round(high, 1)
    (103.2, 248.0)
    """
    func = "log_product_interval"
    level = check_confidence(confidence, func)
    found = _log_parts(parts, func)
    if found is None:
        return math.nan, math.nan
    log_value, log_variance = found
    spread = normal_quantile(level) * math.sqrt(log_variance)
    return math.exp(log_value - spread), math.exp(log_value + spread)
