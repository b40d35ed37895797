"""Cost per acquisition (CPA): marketing cost per conversion."""

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
