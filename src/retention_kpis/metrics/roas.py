"""Return on ad spend (ROAS): attributed revenue per unit of ad spend."""

from __future__ import annotations

import math
from typing import Literal

from retention_kpis._core.checks import ZeroDivision, check_amount, check_zero_division, divide
from retention_kpis.metrics._base import NonNegative, RatioKPI, customer_totals, spend_interval

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

    @classmethod
    def from_customers(
        cls, revenue: object, ad_spend: float, *, confidence: float = 0.95
    ) -> ReturnOnAdSpend:
        """Compute the ROAS from per-customer revenue, with its interval (spend fixed).

        The interval is ``revenue / ad_spend`` at the bounds of
        :func:`~retention_kpis.total_interval` (``interval_method="poisson_total"``):
        the customers who buy are a Poisson sample, each customer's revenue one draw.

        Parameters
        ----------
        revenue : array-like of float
            Revenue of each buying customer, ``>= 0``.
        ad_spend : float
            The spend, ``>= 0`` (fixed).
        confidence : float, default=0.95
            Confidence level, in (0, 1).

        Examples
        --------
        >>> result = ReturnOnAdSpend.from_customers([10.0, 50.0, 20.0], 40.0)
        >>> result.value, round(result.ci_low, 2), round(result.ci_high, 2)
        (2.0, 0.52, 7.65)
        """
        y = customer_totals(revenue, "revenue", "ReturnOnAdSpend.from_customers")
        value = return_on_ad_spend(float(y.sum()), ad_spend, zero_division=math.nan)
        return cls(
            value=value,
            numerator=float(y.sum()),
            denominator=ad_spend,
            **spend_interval(float(ad_spend), y, confidence, spend_on_top=False),
        )
