"""Conversion rate: the share of visitors who converted."""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import ZeroDivision, share_of
from retention_kpis.metrics._base import Fraction, ProportionMethod, RatioKPI, share_interval

__all__ = ["ConversionRate", "conversion_rate"]


def conversion_rate(
    conversions: int, visitors: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of visitors who converted.

    ``conversion_rate = conversions / visitors``

    Parameters
    ----------
    conversions : int
        Visitors who converted, ``0 <= conversions <= visitors``.
    visitors : int
        Distinct visitors in the period.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``visitors == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; higher is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if
        ``conversions > visitors``.

    Examples
    --------
    >>> conversion_rate(30, 1_000)
    0.03
    >>> conversion_rate(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        conversions,
        visitors,
        part_name="conversions",
        whole_name="visitors",
        func="conversion_rate",
        zero_division=zero_division,
    )


class ConversionRate(RatioKPI):
    """Conversion rate with its parts.

    Examples
    --------
    >>> ConversionRate.from_counts(30, 1_000).value
    0.03
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["conversions / visitors"] = "conversions / visitors"

    @classmethod
    def from_counts(
        cls,
        conversions: int,
        visitors: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> ConversionRate:
        """Compute the conversion rate and keep its numerator and denominator."""
        value = conversion_rate(conversions, visitors, zero_division=zero_division)
        return cls(
            value=value,
            numerator=conversions,
            denominator=visitors,
            **share_interval(conversions, visitors, confidence, interval_method),
        )
