"""Purchase frequency: orders per distinct purchasing customer."""

from __future__ import annotations

import math
from typing import Literal

from retention_kpis._core.checks import (
    ZeroDivision,
    check_count,
    check_part_of_whole,
    check_zero_division,
    divide,
)
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.metrics._base import NonNegative, RatioKPI, ratio_from_customers
from retention_kpis.stats.ratios import RatioMethod

__all__ = ["PurchaseFrequency", "purchase_frequency"]


def purchase_frequency(
    orders: int, customers: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Mean number of orders per distinct purchasing customer.

    ``purchase_frequency = orders / customers``

    Every counted customer placed at least one order and every order has a
    customer, so ``orders >= customers`` and the result is ``>= 1`` whenever
    ``customers > 0``.

    Parameters
    ----------
    orders : int
        Orders in the period, a whole number ``>= customers``.
    customers : int
        Distinct customers with at least one order in the period; ``0`` only
        when ``orders`` is ``0`` too.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``customers == 0`` (and so ``orders == 0``); ``"warn"``
        returns nan and emits :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        Orders per customer, ``>= 1`` when defined.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, if
        ``customers > orders``, or if ``orders > 0`` while ``customers == 0``.

    Examples
    --------
    >>> purchase_frequency(300, 120)
    2.5
    >>> purchase_frequency(0, 0, zero_division=0.0)
    0.0
    """
    func = "purchase_frequency"
    orders_ = check_count(orders, "orders", func)
    customers_ = check_count(customers, "customers", func)
    check_part_of_whole(customers_, orders_, "customers", "orders", func)
    if customers_ == 0 and orders_ > 0:
        msg = (
            f"The 'orders' parameter of {func} must be 0 when 'customers' is 0 "
            f"(every order has a purchasing customer). Got {orders_} instead."
        )
        raise InvalidInputError(msg)
    policy = check_zero_division(zero_division, func)
    return divide(
        orders_,
        customers_,
        zero_division=policy,
        kpi="purchase_frequency",
        denominator_name="customers",
    )


class PurchaseFrequency(RatioKPI):
    """Purchase frequency with its parts (``numerator`` = orders, ``denominator`` = customers).

    Examples
    --------
    >>> PurchaseFrequency.from_counts(300, 120).value
    2.5
    """

    value: NonNegative
    unit: Literal["orders per customer"] = "orders per customer"
    definition: Literal["orders / customers"] = "orders / customers"

    @classmethod
    def from_counts(
        cls, orders: int, customers: int, *, zero_division: ZeroDivision = "warn"
    ) -> PurchaseFrequency:
        """Compute the purchase frequency and keep its numerator and denominator."""
        value = purchase_frequency(orders, customers, zero_division=zero_division)
        return cls(value=value, numerator=orders, denominator=customers)

    @classmethod
    def from_customers(
        cls,
        orders: object,
        *,
        confidence: float = 0.95,
        interval_method: RatioMethod = "delta",
        n_resamples: int = 2_000,
        seed: int = 0,
    ) -> PurchaseFrequency:
        """Compute the purchase frequency from orders per customer, with its interval.

        Parameters
        ----------
        orders : array-like of int
            Orders of each purchasing customer (each ``>= 1``).
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
        >>> result = PurchaseFrequency.from_customers([1, 2, 1, 4])
        >>> result.value, round(result.ci_low, 3), round(result.ci_high, 3)
        (2.0, 0.614, 3.386)
        """
        return ratio_from_customers(
            cls,
            lambda total, customers: purchase_frequency(
                int(total), int(customers), zero_division=math.nan
            ),
            (orders, "orders"),
            None,
            "PurchaseFrequency.from_customers",
            confidence=confidence,
            interval_method=interval_method,
            n_resamples=n_resamples,
            seed=seed,
        )
