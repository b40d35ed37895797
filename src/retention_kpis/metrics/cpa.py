"""Cost per acquisition (CPA): marketing cost per conversion."""

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
from retention_kpis.metrics._base import NonNegative, RatioKPI, customer_totals, spend_interval

__all__ = ["CostPerAcquisition", "cost_per_acquisition"]


def cost_per_acquisition(
    cost: float,
    acquisitions: float,
    *,
    zero_division: ZeroDivision = "warn",
    fractional: bool = False,
) -> float:
    """Marketing cost per acquisition (conversion).

    ``cost_per_acquisition = cost / acquisitions``

    An acquisition is any conversion the campaign pays for (a sign-up, an order,
    a lead), whether or not the person was already a customer; see
    :func:`~retention_kpis.customer_acquisition_cost` for the cost per *new
    customer*.

    Parameters
    ----------
    cost : float
        Marketing spend in the period, in currency, ``>= 0``.
    acquisitions : int or float
        Conversions attributed to that spend, a whole number ``>= 0`` (any
        number ``>= 0`` with ``fractional=True``).
    zero_division : {"warn"} or float, default="warn"
        Returned when ``acquisitions == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.
    fractional : bool, default=False
        Accept a fractional ``acquisitions``: conversions credited to channels by a
        multi-touch attribution model (:func:`~retention_kpis.attribution.attribute`),
        as ``compute_kpis(attribution=...)`` uses.

    Returns
    -------
    float
        Currency per conversion, ``>= 0``; lower is better.

    Raises
    ------
    InvalidInputError
        If ``cost`` is negative, nan or inf, or ``acquisitions`` is negative,
        not whole, nan or inf.

    Examples
    --------
    >>> cost_per_acquisition(1_500.0, 60)
    25.0
    >>> cost_per_acquisition(100.0, 0, zero_division=0.0)
    0.0
    >>> cost_per_acquisition(100.0, 2.5, fractional=True)  # conversions credited by attribution
    40.0
    """
    func = "cost_per_acquisition"
    cost_ = check_amount(cost, "cost", func)
    acquisitions_ = check_denominator_count(
        acquisitions, "acquisitions", func, fractional=fractional
    )
    policy = check_zero_division(zero_division, func)
    return divide(
        cost_,
        acquisitions_,
        zero_division=policy,
        kpi="cost_per_acquisition",
        denominator_name="acquisitions",
    )


class CostPerAcquisition(RatioKPI):
    """Cost per acquisition with its parts (``numerator`` = cost, ``denominator`` = acquisitions).

    Examples
    --------
    >>> CostPerAcquisition.from_totals(1_500.0, 60).value
    25.0
    """

    value: NonNegative
    unit: Literal["currency per conversion"] = "currency per conversion"
    definition: Literal["cost / acquisitions"] = "cost / acquisitions"

    @classmethod
    def from_totals(
        cls,
        cost: float,
        acquisitions: float,
        *,
        zero_division: ZeroDivision = "warn",
        fractional: bool = False,
    ) -> CostPerAcquisition:
        """Compute the cost per acquisition and keep its numerator and denominator."""
        value = cost_per_acquisition(
            cost, acquisitions, zero_division=zero_division, fractional=fractional
        )
        return cls(value=value, numerator=cost, denominator=acquisitions)

    @classmethod
    def from_customers(
        cls, cost: float, acquisitions: object, *, confidence: float = 0.95
    ) -> CostPerAcquisition:
        """Compute the CPA from conversions per customer, with its interval (cost fixed).

        The interval is ``cost`` divided by the bounds of
        :func:`~retention_kpis.total_interval` of the conversions
        (``interval_method="poisson_total"``): converting customers are a Poisson sample,
        each customer's conversions one draw.

        Parameters
        ----------
        cost : float
            The spend, ``>= 0`` (fixed).
        acquisitions : array-like of int
            Conversions (orders) of each converting customer.
        confidence : float, default=0.95
            Confidence level, in (0, 1).

        Examples
        --------
        >>> result = CostPerAcquisition.from_customers(100.0, [1, 2, 1, 1])
        >>> result.value, round(result.ci_low, 2), round(result.ci_high, 2)
        (20.0, 7.09, 56.42)
        """
        x = customer_totals(acquisitions, "acquisitions", "CostPerAcquisition.from_customers")
        value = cost_per_acquisition(cost, float(x.sum()), zero_division=math.nan)
        return cls(
            value=value,
            numerator=cost,
            denominator=float(x.sum()),
            **spend_interval(float(cost), x, confidence, spend_on_top=True),
        )
