"""Churn rate: the share of customers at the start of a period who were lost in it."""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import ZeroDivision, share_of
from retention_kpis.metrics._base import Fraction, ProportionMethod, RatioKPI, share_interval

__all__ = ["ChurnRate", "churn_rate"]


def churn_rate(
    customers_at_start: int, customers_lost: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of the customers at the start of a period who were lost during it.

    ``churn_rate = customers_lost / customers_at_start``

    Only customers present at the start count in the numerator: customers
    acquired and lost within the same period are not churn of the starting
    base.

    Parameters
    ----------
    customers_at_start : int
        Active customers at the start of the period, a whole number ``>= 0``.
    customers_lost : int
        Of those, the customers lost by the end of the period,
        ``0 <= customers_lost <= customers_at_start``.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``customers_at_start == 0``; ``"warn"`` returns nan and
        emits :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; lower is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if
        ``customers_lost > customers_at_start``.

    Examples
    --------
    >>> churn_rate(200, 14)
    0.07
    >>> churn_rate(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        customers_lost,
        customers_at_start,
        part_name="customers_lost",
        whole_name="customers_at_start",
        func="churn_rate",
        zero_division=zero_division,
    )


class ChurnRate(RatioKPI):
    """Churn rate with its parts (``numerator`` = lost, ``denominator`` = at start).

    Examples
    --------
    >>> ChurnRate.from_counts(200, 14).value
    0.07
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["customers_lost / customers_at_start"] = (
        "customers_lost / customers_at_start"
    )

    @classmethod
    def from_counts(
        cls,
        customers_at_start: int,
        customers_lost: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> ChurnRate:
        """Compute the churn rate and keep its numerator and denominator."""
        value = churn_rate(customers_at_start, customers_lost, zero_division=zero_division)
        return cls(
            value=value,
            numerator=customers_lost,
            denominator=customers_at_start,
            **share_interval(customers_lost, customers_at_start, confidence, interval_method),
        )
