"""Average order value (AOV): revenue per order."""

from __future__ import annotations

import math
from typing import Literal

from retention_kpis._core.checks import (
    ZeroDivision,
    check_amount,
    check_denominator_count,
    check_zero_division,
    divide,
)
from retention_kpis.metrics._base import NonNegative, RatioKPI, ratio_from_customers
from retention_kpis.stats.ratios import RatioMethod

__all__ = ["AverageOrderValue", "average_order_value"]


def average_order_value(
    revenue: float,
    orders: float,
    *,
    zero_division: ZeroDivision = "warn",
    fractional: bool = False,
) -> float:
    """Mean revenue per order.

    ``average_order_value = revenue / orders``

    Parameters
    ----------
    revenue : float
        Revenue of the orders, in currency, ``>= 0``.
    orders : int or float
        Number of orders, a whole number ``>= 0`` (any number ``>= 0`` with
        ``fractional=True``).
    zero_division : {"warn"} or float, default="warn"
        Returned when ``orders == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.
    fractional : bool, default=False
        Accept a fractional ``orders``: conversions credited to channels by a
        multi-touch attribution model (:func:`~retention_kpis.attribution.attribute`),
        as ``compute_kpis(attribution=...)`` uses.

    Returns
    -------
    float
        Currency per order, ``>= 0``.

    Raises
    ------
    InvalidInputError
        If ``revenue`` is negative, nan or inf, or ``orders`` is negative, not
        whole, nan or inf.

    Examples
    --------
    >>> average_order_value(4_500.0, 90)
    50.0
    >>> average_order_value(0.0, 0, zero_division=0.0)
    0.0
    >>> average_order_value(100.0, 2.5, fractional=True)  # orders credited by attribution
    40.0
    """
    func = "average_order_value"
    revenue_ = check_amount(revenue, "revenue", func)
    orders_ = check_denominator_count(orders, "orders", func, fractional=fractional)
    policy = check_zero_division(zero_division, func)
    return divide(
        revenue_,
        orders_,
        zero_division=policy,
        kpi="average_order_value",
        denominator_name="orders",
    )


class AverageOrderValue(RatioKPI):
    """AOV with its parts (``numerator`` = revenue, ``denominator`` = orders).

    Examples
    --------
    >>> AverageOrderValue.from_totals(4_500.0, 90).value
    50.0
    """

    value: NonNegative
    unit: Literal["currency per order"] = "currency per order"
    definition: Literal["revenue / orders"] = "revenue / orders"

    @classmethod
    def from_totals(
        cls,
        revenue: float,
        orders: float,
        *,
        zero_division: ZeroDivision = "warn",
        fractional: bool = False,
    ) -> AverageOrderValue:
        """Compute the AOV and keep its numerator and denominator."""
        value = average_order_value(
            revenue, orders, zero_division=zero_division, fractional=fractional
        )
        return cls(value=value, numerator=revenue, denominator=orders)

    @classmethod
    def from_customers(
        cls,
        revenue: object,
        orders: object,
        *,
        confidence: float = 0.95,
        interval_method: RatioMethod = "delta",
        n_resamples: int = 2_000,
        seed: int = 0,
    ) -> AverageOrderValue:
        """Compute the AOV from per-customer totals, with its interval (customers as clusters).

        Parameters
        ----------
        revenue, orders : array-like of float
            One revenue total and one order count per customer.
        confidence : float, default=0.95
            Confidence level, in (0, 1).
        interval_method : {"delta", "bootstrap"}, default="delta"
            Method of :func:`~retention_kpis.ratio_interval` (customers as clusters).
        n_resamples : int, default=2000
            Bootstrap resamples.
        seed : int, default=0
            Bootstrap seed.

        Examples
        --------
        >>> result = AverageOrderValue.from_customers([10.0, 50.0, 20.0], [1, 2, 1])
        >>> result.value, round(result.ci_low, 2), round(result.ci_high, 2)
        (20.0, 11.51, 28.49)
        """
        return ratio_from_customers(
            cls,
            lambda total_revenue, total_orders: average_order_value(
                total_revenue, total_orders, zero_division=math.nan
            ),
            (revenue, "revenue"),
            (orders, "orders"),
            "AverageOrderValue.from_customers",
            confidence=confidence,
            interval_method=interval_method,
            n_resamples=n_resamples,
            seed=seed,
        )
