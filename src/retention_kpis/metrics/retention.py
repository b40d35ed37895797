"""Customer retention rate: the share of the starting customers still active at the end."""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import (
    ZeroDivision,
    check_count,
    check_part_of_whole,
    check_zero_division,
    divide,
)
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.metrics._base import Fraction, ProportionMethod, RatioKPI, share_interval

__all__ = ["RetentionRate", "retention_rate"]


def _retained(start: int, end: int, new: int, func: str) -> int:
    """Return ``end - new`` after checking it is a valid part of ``start``."""
    check_part_of_whole(new, end, "new_customers", "customers_at_end", func)
    retained = end - new
    if retained > start:
        msg = (
            f"The retained customers of {func} ('customers_at_end' - 'new_customers' = "
            f"{end} - {new} = {retained}) must be <= 'customers_at_start' ({start}). "
            f"Got {retained} instead."
        )
        raise InvalidInputError(msg)
    return retained


def retention_rate(
    customers_at_start: int,
    customers_at_end: int,
    new_customers: int,
    *,
    zero_division: ZeroDivision = "warn",
) -> float:
    """Share of the customers at the start of a period who are still customers at its end.

    ``retention_rate = (customers_at_end - new_customers) / customers_at_start``

    This is the classic customer retention rate (CRR): customers acquired during
    the period are removed from the end count so that only the starting base is
    measured.

    Parameters
    ----------
    customers_at_start : int
        Active customers at the start of the period (S), a whole number ``>= 0``.
    customers_at_end : int
        Active customers at the end of the period (E), a whole number ``>= 0``.
    new_customers : int
        Customers acquired during the period and still active at its end (N),
        ``0 <= N <= E`` and ``E - N <= S``.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``customers_at_start == 0``; ``"warn"`` returns nan and
        emits :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; higher is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, if ``new_customers >
        customers_at_end``, or if ``customers_at_end - new_customers >
        customers_at_start``.

    Examples
    --------
    >>> retention_rate(200, 210, 30)
    0.9
    >>> retention_rate(0, 5, 5, zero_division=0.0)
    0.0
    """
    func = "retention_rate"
    start = check_count(customers_at_start, "customers_at_start", func)
    end = check_count(customers_at_end, "customers_at_end", func)
    new = check_count(new_customers, "new_customers", func)
    retained = _retained(start, end, new, func)
    policy = check_zero_division(zero_division, func)
    return divide(
        retained,
        start,
        zero_division=policy,
        kpi="retention_rate",
        denominator_name="customers_at_start",
    )


class RetentionRate(RatioKPI):
    """Retention rate with its parts.

    ``numerator`` is ``customers_at_end - new_customers`` (the retained
    customers) and ``denominator`` is ``customers_at_start``.

    Examples
    --------
    >>> result = RetentionRate.from_counts(200, 210, 30)
    >>> result.value, result.numerator
    (0.9, 180.0)
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["(customers_at_end - new_customers) / customers_at_start"] = (
        "(customers_at_end - new_customers) / customers_at_start"
    )
    customers_at_start: int
    customers_at_end: int
    new_customers: int

    @classmethod
    def from_counts(
        cls,
        customers_at_start: int,
        customers_at_end: int,
        new_customers: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> RetentionRate:
        """Compute the retention rate and keep the three counts.

        With ``confidence`` also the Wilson (or Jeffreys) interval of the retained share
        ``(customers_at_end - new_customers) / customers_at_start``.
        """
        value = retention_rate(
            customers_at_start, customers_at_end, new_customers, zero_division=zero_division
        )
        start, end, new = int(customers_at_start), int(customers_at_end), int(new_customers)
        return cls(
            value=value,
            numerator=end - new,
            denominator=start,
            customers_at_start=start,
            customers_at_end=end,
            new_customers=new,
            **share_interval(end - new, start, confidence, interval_method),
        )
