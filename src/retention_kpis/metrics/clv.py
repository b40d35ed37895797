"""Historical (formula) customer lifetime value, optionally discounted."""

from __future__ import annotations

import math
import numbers
from typing import Annotated, Literal

from pydantic import PlainSerializer

from retention_kpis._core.checks import (
    check_amount,
    check_count,
    check_fraction,
    check_part_of_whole,
)
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.metrics._base import KPIResult, NonNegative, customer_totals, interval_fields
from retention_kpis.stats import log_product_interval, ratio_standard_error

__all__ = ["CustomerLifetimeValue", "customer_lifetime_value"]

_FUNC = "customer_lifetime_value"


def _check_lifespan(value: object) -> float:
    """Return a lifespan ``>= 0`` in periods; ``inf`` is allowed (no churn)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return check_amount(value, "customer_lifespan", _FUNC)  # raises: not a number
    as_float = float(value)
    if as_float == math.inf:
        return math.inf
    if math.isnan(as_float):
        msg = (
            f"The 'customer_lifespan' parameter of {_FUNC} must be a number >= 0 or inf. "
            f"Got {value!r} instead."
        )
        raise InvalidInputError(msg)
    return check_amount(value, "customer_lifespan", _FUNC)


def _discounted_lifespan(lifespan: float, discount_rate: float) -> float:
    """Present value of one purchase-period's worth per period, paid at each period's start.

    ``sum_{t=0}^{L-1} (1 + d) ** -t = (1 - (1 + d) ** -L) / (1 - (1 + d) ** -1)``,
    ``L`` itself when ``d == 0`` and ``(1 + d) / d`` when ``L`` is infinite.
    """
    if discount_rate == 0.0:
        return lifespan
    log_growth = math.log1p(discount_rate)
    if math.isinf(lifespan):
        return 1.0 / -math.expm1(-log_growth)
    # expm1 keeps both differences accurate when d is tiny (no 1 - 0.999... cancellation).
    return math.expm1(-lifespan * log_growth) / math.expm1(-log_growth)


def customer_lifetime_value(
    average_order_value: float,
    purchase_frequency: float,
    customer_lifespan: float,
    *,
    gross_margin: float = 1.0,
    discount_rate: float = 0.0,
) -> float:
    r"""Historical (formula) customer lifetime value, optionally discounted.

    Undiscounted (``discount_rate=0``, the default)::

        CLV = gross_margin * average_order_value * purchase_frequency * customer_lifespan

    Discounted (``discount_rate = d > 0``), with each period's value
    ``m * AOV * f`` received at the **start** of the period (period ``t = 0``
    is not discounted)::

        CLV = m * AOV * f * sum_{t=0}^{L-1} (1 + d) ** -t
            = m * AOV * f * (1 - (1 + d) ** -L) / (1 - (1 + d) ** -1)

    The closed form on the second line is used for every ``L >= 0``, so a
    fractional lifespan is interpolated smoothly between whole periods; it
    tends to ``m * AOV * f * L`` as ``d -> 0`` (the undiscounted form). With
    an infinite lifespan the geometric sum converges to ``(1 + d) / d``.

    Parameters
    ----------
    average_order_value : float
        Mean revenue per order, in currency, ``>= 0``.
    purchase_frequency : float
        Mean purchases per customer per period, ``>= 0``.
    customer_lifespan : float
        Expected customer lifetime in the same periods, ``>= 0``. May be
        ``inf`` (for example ``1 / churn_rate`` with zero churn) only when
        ``discount_rate > 0``.
    gross_margin : float, default=1.0
        Share of revenue kept as gross profit, in [0, 1]; ``1.0`` gives a
        revenue CLV.
    discount_rate : float, default=0.0
        Discount rate per period, ``>= 0`` (``0.1`` = 10 % per period).

    Returns
    -------
    float
        Currency per customer, finite and ``>= 0``; higher is better.

    Raises
    ------
    InvalidInputError
        If an argument is negative, nan, inf (except ``customer_lifespan``) or
        not a number; if ``gross_margin`` is outside [0, 1]; if
        ``customer_lifespan`` is infinite while ``discount_rate == 0`` (the
        CLV would be infinite); or if the result overflows.

    Examples
    --------
    >>> customer_lifetime_value(50.0, 4.0, 3.0, gross_margin=0.5)
    300.0
    >>> round(customer_lifetime_value(100.0, 1.0, 2.0, discount_rate=0.25), 6)
    180.0
    >>> round(customer_lifetime_value(100.0, 1.0, float("inf"), discount_rate=0.25), 6)
    500.0
    """
    aov = check_amount(average_order_value, "average_order_value", _FUNC)
    frequency = check_amount(purchase_frequency, "purchase_frequency", _FUNC)
    lifespan = _check_lifespan(customer_lifespan)
    margin = check_fraction(gross_margin, "gross_margin", _FUNC)
    rate = check_amount(discount_rate, "discount_rate", _FUNC)
    if math.isinf(lifespan) and rate == 0.0:
        msg = (
            f"The 'customer_lifespan' parameter of {_FUNC} must be finite when "
            "'discount_rate' is 0 (the lifetime value would be infinite). Got inf instead. "
            "Hint: pass discount_rate > 0 or cap the lifespan."
        )
        raise InvalidInputError(msg)
    value = margin * aov * frequency * _discounted_lifespan(lifespan, rate)
    if math.isinf(value):
        msg = (
            f"The result of {_FUNC} overflows: {margin!r} * {aov!r} * {frequency!r} "
            f"over a lifespan of {lifespan!r} periods is not a finite float."
        )
        raise InvalidInputError(msg)
    return value


def _inf_as_string(value: float) -> float | str:
    """Store an infinite lifespan as ``"inf"`` in JSON (pydantic reads it back as inf)."""
    return "inf" if math.isinf(value) else value


Lifespan = Annotated[float, PlainSerializer(_inf_as_string, when_used="json")]


class CustomerLifetimeValue(KPIResult):
    """CLV with the parts it came from.

    An infinite ``customer_lifespan`` is written as ``"inf"`` in JSON and read
    back as ``inf``.

    Examples
    --------
    >>> CustomerLifetimeValue.from_parts(50.0, 4.0, 3.0, gross_margin=0.5).value
    300.0
    """

    value: NonNegative
    unit: Literal["currency per customer"] = "currency per customer"
    definition: Literal[
        "gross_margin * average_order_value * purchase_frequency"
        " * sum_{t=0}^{customer_lifespan-1} (1 + discount_rate) ** -t"
    ] = (
        "gross_margin * average_order_value * purchase_frequency"
        " * sum_{t=0}^{customer_lifespan-1} (1 + discount_rate) ** -t"
    )
    average_order_value: float
    purchase_frequency: float
    customer_lifespan: Lifespan
    gross_margin: float
    discount_rate: float

    @classmethod
    def from_parts(
        cls,
        average_order_value: float,
        purchase_frequency: float,
        customer_lifespan: float,
        *,
        gross_margin: float = 1.0,
        discount_rate: float = 0.0,
    ) -> CustomerLifetimeValue:
        """Compute the CLV and keep its parts."""
        value = customer_lifetime_value(
            average_order_value,
            purchase_frequency,
            customer_lifespan,
            gross_margin=gross_margin,
            discount_rate=discount_rate,
        )
        return cls(
            value=value,
            average_order_value=average_order_value,
            purchase_frequency=purchase_frequency,
            customer_lifespan=customer_lifespan,
            gross_margin=gross_margin,
            discount_rate=discount_rate,
        )

    @classmethod
    def from_customers(
        cls,
        revenue: object,
        orders: object,
        customers_at_start: int,
        customers_lost: int,
        *,
        gross_margin: float = 1.0,
        confidence: float = 0.95,
    ) -> CustomerLifetimeValue:
        """Compute the undiscounted CLV from customer totals and churn counts, with its interval.

        ``AOV * frequency`` is the revenue per customer ``sum(revenue) / n`` and the lifespan
        ``customers_at_start / customers_lost`` (1 / churn rate), as the report's ``clv``.
        The interval (``interval_method="log_delta"``) combines the delta-method standard
        error of the revenue per customer (customers as clusters) and the binomial one of
        the churn rate on the log scale (:func:`~retention_kpis.log_product_interval`), the
        two taken as independent; nan with fewer than two customers.

        Parameters
        ----------
        revenue, orders : array-like of float
            Revenue and orders of each purchasing customer of the period.
        customers_at_start, customers_lost : int
            The churn counts (:func:`~retention_kpis.churn_rate`); ``customers_lost > 0``.
        gross_margin : float, default=1.0
            Margin applied to revenue, in [0, 1].
        confidence : float, default=0.95
            Confidence level, in (0, 1).

        Examples
        --------
        >>> result = CustomerLifetimeValue.from_customers([40.0, 60.0, 20.0], [1, 2, 1], 10, 4)
        >>> result.value, round(result.ci_low, 1), round(result.ci_high, 1)
        (100.0, 38.8, 257.7)
        """
        func = "CustomerLifetimeValue.from_customers"
        y = customer_totals(revenue, "revenue", func)
        x = customer_totals(orders, "orders", func)
        start = check_count(customers_at_start, "customers_at_start", func)
        lost = check_count(customers_lost, "customers_lost", func)
        check_part_of_whole(lost, start, "customers_lost", "customers_at_start", func)
        if lost == 0:
            msg = (
                f"The 'customers_lost' parameter of {func} must be > 0 (no churn means an "
                "unbounded lifespan). Got 0 instead."
            )
            raise InvalidInputError(msg)
        n, total, orders_total = int(y.size), float(y.sum()), float(x.sum())
        aov = total / orders_total if orders_total else 0.0
        frequency = orders_total / n if n else 0.0
        value = customer_lifetime_value(aov, frequency, start / lost, gross_margin=gross_margin)
        bounds = (math.nan, math.nan)
        if n >= 2:
            se = ratio_standard_error(
                n, sum_x=n, sum_y=total, sum_xx=n, sum_yy=float(y @ y), sum_xy=total
            )
            churn = lost / start
            churn_se = math.sqrt(churn * (1 - churn) / start)
            low, high = log_product_interval(
                [(total / n, se, 1.0), (churn, churn_se, -1.0)], confidence=confidence
            )
            bounds = (gross_margin * low, gross_margin * high)
        return cls(
            value=value,
            average_order_value=aov,
            purchase_frequency=frequency,
            customer_lifespan=start / lost,
            gross_margin=gross_margin,
            discount_rate=0.0,
            **interval_fields(bounds, confidence, "log_delta"),
        )
