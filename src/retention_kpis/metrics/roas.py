"""Return on ad spend (ROAS): attributed revenue per unit of ad spend."""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import ZeroDivision, check_amount, check_zero_division, divide
from retention_kpis.metrics._base import NonNegative, RatioKPI

__all__ = ["ReturnOnAdSpend", "return_on_ad_spend"]


def return_on_ad_spend(
    revenue: float, ad_spend: float, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Revenue attributed to advertising per unit of ad spend.

    ``return_on_ad_spend = revenue / ad_spend``

    The result is a plain ratio: ``4.0`` means 400 %, four currency units of
    revenue per unit spent; ``1.0`` is break-even on revenue (not on profit).

    Parameters
    ----------
    revenue : float
        Revenue attributed to the ads, in currency, ``>= 0``.
    ad_spend : float
        Spend on those ads, in the same currency, ``>= 0``.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``ad_spend == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A ratio ``>= 0`` (not a percentage); higher is better.

    Raises
    ------
    InvalidInputError
        If an amount is negative, nan or inf.

    Examples
    --------
    >>> return_on_ad_spend(20_000.0, 5_000.0)
    4.0
    >>> return_on_ad_spend(0.0, 0.0, zero_division=0.0)
    0.0
    """
    func = "return_on_ad_spend"
    revenue_ = check_amount(revenue, "revenue", func)
    ad_spend_ = check_amount(ad_spend, "ad_spend", func)
    policy = check_zero_division(zero_division, func)
    return divide(
        revenue_,
        ad_spend_,
        zero_division=policy,
        kpi="return_on_ad_spend",
        denominator_name="ad_spend",
    )


class ReturnOnAdSpend(RatioKPI):
    """ROAS with its parts (``numerator`` = revenue, ``denominator`` = ad spend).

    Examples
    --------
    >>> ReturnOnAdSpend.from_totals(20_000.0, 5_000.0).value
    4.0
    """

    value: NonNegative
    unit: Literal["ratio"] = "ratio"
    definition: Literal["revenue / ad_spend"] = "revenue / ad_spend"

    @classmethod
    def from_totals(
        cls, revenue: float, ad_spend: float, *, zero_division: ZeroDivision = "warn"
    ) -> ReturnOnAdSpend:
        """Compute the ROAS and keep its numerator and denominator."""
        value = return_on_ad_spend(revenue, ad_spend, zero_division=zero_division)
        return cls(value=value, numerator=revenue, denominator=ad_spend)
