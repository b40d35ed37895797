"""Customer acquisition cost (CAC): acquisition spend per new customer."""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import (
    ZeroDivision,
    check_amount,
    check_denominator_count,
    check_zero_division,
    divide,
)
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.metrics._base import NonNegative, RatioKPI, interval_fields
from retention_kpis.stats import total_interval

__all__ = ["CustomerAcquisitionCost", "customer_acquisition_cost"]


def customer_acquisition_cost(
    cost: float,
    new_customers: float,
    *,
    zero_division: ZeroDivision = "warn",
    fractional: bool = False,
) -> float:
    """Acquisition spend per new customer.

    ``customer_acquisition_cost = cost / new_customers``

    Unlike :func:`~retention_kpis.cost_per_acquisition`, the denominator counts
    only customers who bought for the first time in the period.

    Parameters
    ----------
    cost : float
        Sales and marketing spend on acquisition in the period, in currency, ``>= 0``.
    new_customers : int or float
        Customers whose first purchase fell in the period, a whole number ``>= 0``
        (any number ``>= 0`` with ``fractional=True``).
    zero_division : {"warn"} or float, default="warn"
        Returned when ``new_customers == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.
    fractional : bool, default=False
        Accept a fractional ``new_customers``: first purchases credited to
        channels by a multi-touch attribution model
        (:func:`~retention_kpis.attribution.attribute`), as
        ``compute_kpis(attribution=...)`` uses.

    Returns
    -------
    float
        Currency per new customer, ``>= 0``; lower is better.

    Raises
    ------
    InvalidInputError
        If ``cost`` is negative, nan or inf, or ``new_customers`` is negative,
        not whole, nan or inf.

    Examples
    --------
    >>> customer_acquisition_cost(12_000.0, 80)
    150.0
    >>> customer_acquisition_cost(500.0, 0, zero_division=0.0)
    0.0
    >>> customer_acquisition_cost(100.0, 2.5, fractional=True)  # credited first purchases
    40.0
    """
    func = "customer_acquisition_cost"
    cost_ = check_amount(cost, "cost", func)
    new_customers_ = check_denominator_count(
        new_customers, "new_customers", func, fractional=fractional
    )
    policy = check_zero_division(zero_division, func)
    return divide(
        cost_,
        new_customers_,
        zero_division=policy,
        kpi="customer_acquisition_cost",
        denominator_name="new_customers",
    )


class CustomerAcquisitionCost(RatioKPI):
    """CAC with its parts (``numerator`` = cost, ``denominator`` = new customers).

    Examples
    --------
    >>> CustomerAcquisitionCost.from_totals(12_000.0, 80).value
    150.0
    """

    value: NonNegative
    unit: Literal["currency per new customer"] = "currency per new customer"
    definition: Literal["cost / new_customers"] = "cost / new_customers"

    @classmethod
    def from_totals(
        cls,
        cost: float,
        new_customers: float,
        *,
        zero_division: ZeroDivision = "warn",
        fractional: bool = False,
        confidence: float | None = None,
    ) -> CustomerAcquisitionCost:
        """Compute the CAC and keep its numerator and denominator.

        With ``confidence`` (whole ``new_customers`` only) also the interval with the cost
        fixed and the new customers a Poisson count: ``cost / N`` at the bounds of
        :func:`~retention_kpis.total_interval` (``N exp(+-z / sqrt(N))``).

        Examples
        --------
        >>> result = CustomerAcquisitionCost.from_totals(12_000.0, 80, confidence=0.95)
        >>> round(result.ci_low, 2), round(result.ci_high, 2), result.interval_method
        (120.48, 186.75, 'poisson_total')
        """
        value = customer_acquisition_cost(
            cost, new_customers, zero_division=zero_division, fractional=fractional
        )
        interval: dict[str, object] = {}
        if confidence is not None:
            if fractional:
                msg = (
                    "The 'confidence' parameter of CustomerAcquisitionCost.from_totals needs "
                    "whole new_customers (a Poisson count). Got fractional=True instead."
                )
                raise InvalidInputError(msg)
            low, high = total_interval(
                float(new_customers), sum_squares=float(new_customers), confidence=confidence
            )
            bounds = (float(cost) / high, float(cost) / low) if new_customers else (low, high)
            interval = interval_fields(bounds, confidence, "poisson_total")
        return cls(value=value, numerator=cost, denominator=new_customers, **interval)
