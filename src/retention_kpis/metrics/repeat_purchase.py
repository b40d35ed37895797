"""Repeat purchase rate: the share of purchasing customers who bought more than once."""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import ZeroDivision, share_of
from retention_kpis.metrics._base import Fraction, ProportionMethod, RatioKPI, share_interval

__all__ = ["RepeatPurchaseRate", "repeat_purchase_rate"]


def repeat_purchase_rate(
    repeat_customers: int, customers: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of purchasing customers with two or more purchases.

    ``repeat_purchase_rate = repeat_customers / customers``

    Parameters
    ----------
    repeat_customers : int
        Customers with at least two purchases in the period,
        ``0 <= repeat_customers <= customers``.
    customers : int
        Distinct customers with at least one purchase in the period.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``customers == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; higher is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if
        ``repeat_customers > customers``.

    Examples
    --------
    >>> repeat_purchase_rate(45, 150)
    0.3
    >>> repeat_purchase_rate(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        repeat_customers,
        customers,
        part_name="repeat_customers",
        whole_name="customers",
        func="repeat_purchase_rate",
        zero_division=zero_division,
    )


class RepeatPurchaseRate(RatioKPI):
    """Repeat purchase rate with its parts (``numerator`` = repeat customers).

    Examples
    --------
    >>> RepeatPurchaseRate.from_counts(45, 150).value
    0.3
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["repeat_customers / customers"] = "repeat_customers / customers"

    @classmethod
    def from_counts(
        cls,
        repeat_customers: int,
        customers: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> RepeatPurchaseRate:
        """Compute the repeat purchase rate and keep its numerator and denominator."""
        value = repeat_purchase_rate(repeat_customers, customers, zero_division=zero_division)
        return cls(
            value=value,
            numerator=repeat_customers,
            denominator=customers,
            **share_interval(repeat_customers, customers, confidence, interval_method),
        )
