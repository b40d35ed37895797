"""Cart abandonment rate and checkout conversion rate from counts of carts and checkouts."""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import (
    ZeroDivision,
    check_count,
    check_part_of_whole,
    check_zero_division,
    divide,
    share_of,
)
from retention_kpis.metrics._base import Fraction, ProportionMethod, RatioKPI, share_interval

__all__ = [
    "CartAbandonmentRate",
    "CheckoutConversionRate",
    "cart_abandonment_rate",
    "checkout_conversion_rate",
]


def cart_abandonment_rate(
    carts_created: int, carts_converted: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of carts that were not converted into an order.

    ``cart_abandonment_rate = (carts_created - carts_converted) / carts_created``

    Parameters
    ----------
    carts_created : int
        Carts created (shopping sessions or users with an add-to-cart) in the period.
    carts_converted : int
        Of those, carts that ended in a purchase, ``0 <= carts_converted <= carts_created``.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``carts_created == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; lower is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if
        ``carts_converted > carts_created``.

    Examples
    --------
    >>> cart_abandonment_rate(200, 60)
    0.7
    >>> cart_abandonment_rate(0, 0, zero_division=0.0)
    0.0
    """
    func = "cart_abandonment_rate"
    created = check_count(carts_created, "carts_created", func)
    converted = check_count(carts_converted, "carts_converted", func)
    check_part_of_whole(converted, created, "carts_converted", "carts_created", func)
    policy = check_zero_division(zero_division, func)
    return divide(
        created - converted,
        created,
        zero_division=policy,
        kpi=func,
        denominator_name="carts_created",
    )


def checkout_conversion_rate(
    checkouts_completed: int, checkouts_started: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of started checkouts that were completed with a purchase.

    ``checkout_conversion_rate = checkouts_completed / checkouts_started``

    Parameters
    ----------
    checkouts_completed : int
        Checkouts that ended in a purchase, ``0 <= checkouts_completed <= checkouts_started``.
    checkouts_started : int
        Checkouts started (sessions or users that reached the checkout) in the period.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``checkouts_started == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; higher is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if
        ``checkouts_completed > checkouts_started``.

    Examples
    --------
    >>> checkout_conversion_rate(45, 60)
    0.75
    >>> checkout_conversion_rate(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        checkouts_completed,
        checkouts_started,
        part_name="checkouts_completed",
        whole_name="checkouts_started",
        func="checkout_conversion_rate",
        zero_division=zero_division,
    )


class CartAbandonmentRate(RatioKPI):
    """Cart abandonment rate with its parts (``numerator`` is the abandoned carts).

    Examples
    --------
    >>> result = CartAbandonmentRate.from_counts(200, 60)
    >>> result.value, result.numerator, result.denominator
    (0.7, 140.0, 200.0)
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["(carts_created - carts_converted) / carts_created"] = (
        "(carts_created - carts_converted) / carts_created"
    )

    @classmethod
    def from_counts(
        cls,
        carts_created: int,
        carts_converted: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> CartAbandonmentRate:
        """Compute the cart abandonment rate and keep its numerator and denominator."""
        value = cart_abandonment_rate(carts_created, carts_converted, zero_division=zero_division)
        return cls(
            value=value,
            numerator=carts_created - carts_converted,
            denominator=carts_created,
            **share_interval(
                carts_created - carts_converted, carts_created, confidence, interval_method
            ),
        )


class CheckoutConversionRate(RatioKPI):
    """Checkout conversion rate with its parts.

    Examples
    --------
    >>> CheckoutConversionRate.from_counts(45, 60).value
    0.75
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["checkouts_completed / checkouts_started"] = (
        "checkouts_completed / checkouts_started"
    )

    @classmethod
    def from_counts(
        cls,
        checkouts_completed: int,
        checkouts_started: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> CheckoutConversionRate:
        """Compute the checkout conversion rate and keep its numerator and denominator."""
        value = checkout_conversion_rate(
            checkouts_completed, checkouts_started, zero_division=zero_division
        )
        return cls(
            value=value,
            numerator=checkouts_completed,
            denominator=checkouts_started,
            **share_interval(checkouts_completed, checkouts_started, confidence, interval_method),
        )
