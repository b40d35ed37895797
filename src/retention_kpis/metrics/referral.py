"""Referral rate and referred-customer share: how much the customer base refers and is referred."""

from __future__ import annotations

import math
from typing import Literal

from retention_kpis._core.checks import (
    ZeroDivision,
    check_count,
    check_zero_division,
    divide,
    share_of,
)
from retention_kpis.metrics._base import (
    Fraction,
    NonNegative,
    ProportionMethod,
    RatioKPI,
    ratio_from_customers,
    share_interval,
)
from retention_kpis.stats.ratios import RatioMethod

__all__ = [
    "ReferralRate",
    "ReferredCustomerShare",
    "referral_rate",
    "referred_customer_share",
]


def referral_rate(referrals: int, customers: int, *, zero_division: ZeroDivision = "warn") -> float:
    """Referrals made per customer.

    ``referral_rate = referrals / customers``

    A customer may refer several people, so the rate is not a share and can
    exceed 1 (``0.05`` reads "5 referrals per 100 customers").

    Parameters
    ----------
    referrals : int
        Referrals made (referral events) in the period, ``>= 0``.
    customers : int
        Customers in the period (for the events facade: distinct purchasers).
    zero_division : {"warn"} or float, default="warn"
        Returned when ``customers == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        Referrals per customer, ``>= 0``; higher is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf.

    Examples
    --------
    >>> referral_rate(30, 600)
    0.05
    >>> referral_rate(4, 0, zero_division=0.0)
    0.0
    """
    func = "referral_rate"
    referrals_ = check_count(referrals, "referrals", func)
    customers_ = check_count(customers, "customers", func)
    policy = check_zero_division(zero_division, func)
    return divide(
        referrals_, customers_, zero_division=policy, kpi=func, denominator_name="customers"
    )


def referred_customer_share(
    referred_customers: int, customers: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of customers who were acquired through a referral.

    ``referred_customer_share = referred_customers / customers``

    Parameters
    ----------
    referred_customers : int
        Customers acquired through a referral, ``0 <= referred_customers <= customers``.
    customers : int
        Customers in the period (for the events facade: distinct purchasers).
    zero_division : {"warn"} or float, default="warn"
        Returned when ``customers == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1].

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if
        ``referred_customers > customers``.

    Examples
    --------
    >>> referred_customer_share(45, 600)
    0.075
    >>> referred_customer_share(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        referred_customers,
        customers,
        part_name="referred_customers",
        whole_name="customers",
        func="referred_customer_share",
        zero_division=zero_division,
    )


class ReferralRate(RatioKPI):
    """Referral rate with its parts.

    Examples
    --------
    >>> ReferralRate.from_counts(30, 600).value
    0.05
    """

    value: NonNegative
    unit: Literal["referrals per customer"] = "referrals per customer"
    definition: Literal["referrals / customers"] = "referrals / customers"

    @classmethod
    def from_counts(
        cls, referrals: int, customers: int, *, zero_division: ZeroDivision = "warn"
    ) -> ReferralRate:
        """Compute the referral rate and keep its numerator and denominator."""
        value = referral_rate(referrals, customers, zero_division=zero_division)
        return cls(value=value, numerator=referrals, denominator=customers)

    @classmethod
    def from_customers(
        cls,
        referrals: object,
        *,
        confidence: float = 0.95,
        interval_method: RatioMethod = "delta",
        n_resamples: int = 2_000,
        seed: int = 0,
    ) -> ReferralRate:
        """Compute the referral rate from referrals per customer, with its interval.

        The mean referrals per customer with :func:`~retention_kpis.ratio_interval`
        (denominators 1; customers as clusters, so a referrer's many referrals are one draw).

        Parameters
        ----------
        referrals : array-like of int
            Referrals made by each customer (0 for customers who made none).
        confidence : float, default=0.95
            Confidence level, in (0, 1).
        interval_method : {"delta", "bootstrap"}, default="delta"
            Method of :func:`~retention_kpis.ratio_interval` (customers as clusters).
        n_resamples : int, default=2000
            Bootstrap resamples.
        seed : int, default=0
            Bootstrap seed.

        Examples
        --------
        >>> result = ReferralRate.from_customers([0, 0, 3, 1])
        >>> result.value, round(result.ci_low, 3), round(result.ci_high, 3)
        (1.0, 0.0, 2.386)
        """
        return ratio_from_customers(
            cls,
            lambda total, customers: referral_rate(
                int(total), int(customers), zero_division=math.nan
            ),
            (referrals, "referrals"),
            None,
            "ReferralRate.from_customers",
            confidence=confidence,
            interval_method=interval_method,
            n_resamples=n_resamples,
            seed=seed,
        )


class ReferredCustomerShare(RatioKPI):
    """Referred-customer share with its parts.

    Examples
    --------
    >>> ReferredCustomerShare.from_counts(45, 600).value
    0.075
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["referred_customers / customers"] = "referred_customers / customers"

    @classmethod
    def from_counts(
        cls,
        referred_customers: int,
        customers: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> ReferredCustomerShare:
        """Compute the referred-customer share and keep its numerator and denominator."""
        value = referred_customer_share(referred_customers, customers, zero_division=zero_division)
        return cls(
            value=value,
            numerator=referred_customers,
            denominator=customers,
            **share_interval(referred_customers, customers, confidence, interval_method),
        )
