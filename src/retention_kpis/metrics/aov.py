"""Average order value (AOV): revenue per order."""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import (
    ZeroDivision,
    check_amount,
    check_denominator_count,
    check_zero_division,
    divide,
)
from retention_kpis.metrics._base import NonNegative, RatioKPI

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
