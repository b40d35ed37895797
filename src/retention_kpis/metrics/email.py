"""Email engagement rates: open rate, click-through rate, click-to-open rate, unsubscribe rate.

Counts are *unique* per email: ``delivered`` counts emails sent (one per
recipient and send; bounces are not modelled, so every email sent counts as
delivered), ``opens`` the delivered emails opened at least once, ``clicks``
those clicked at least once and ``unsubscribes`` those followed by an
unsubscribe. Hence ``clicks <= opens <= delivered`` when a click counts as an
open (as :func:`~retention_kpis.engagement_kpis` counts them).
"""

from __future__ import annotations

from typing import Literal

from retention_kpis._core.checks import ZeroDivision, share_of
from retention_kpis.metrics._base import Fraction, ProportionMethod, RatioKPI, share_interval

__all__ = [
    "EmailClickThroughRate",
    "EmailClickToOpenRate",
    "EmailOpenRate",
    "EmailUnsubscribeRate",
    "email_click_through_rate",
    "email_click_to_open_rate",
    "email_open_rate",
    "email_unsubscribe_rate",
]


def email_open_rate(opens: int, delivered: int, *, zero_division: ZeroDivision = "warn") -> float:
    """Share of delivered emails that were opened.

    ``email_open_rate = opens / delivered``

    Parameters
    ----------
    opens : int
        Unique opens: delivered emails opened at least once, ``0 <= opens <= delivered``.
    delivered : int
        Emails delivered (one per recipient and send).
    zero_division : {"warn"} or float, default="warn"
        Returned when ``delivered == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; higher is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if ``opens > delivered``.

    Examples
    --------
    >>> email_open_rate(200, 1_000)
    0.2
    >>> email_open_rate(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        opens,
        delivered,
        part_name="opens",
        whole_name="delivered",
        func="email_open_rate",
        zero_division=zero_division,
    )


def email_click_through_rate(
    clicks: int, delivered: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of delivered emails that were clicked (CTR).

    ``email_click_through_rate = clicks / delivered``

    Parameters
    ----------
    clicks : int
        Unique clicks: delivered emails clicked at least once, ``0 <= clicks <= delivered``.
    delivered : int
        Emails delivered (one per recipient and send).
    zero_division : {"warn"} or float, default="warn"
        Returned when ``delivered == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; higher is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if ``clicks > delivered``.

    Examples
    --------
    >>> email_click_through_rate(30, 1_000)
    0.03
    >>> email_click_through_rate(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        clicks,
        delivered,
        part_name="clicks",
        whole_name="delivered",
        func="email_click_through_rate",
        zero_division=zero_division,
    )


def email_click_to_open_rate(
    clicks: int, opens: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of opened emails that were clicked (CTOR).

    ``email_click_to_open_rate = clicks / opens``

    Parameters
    ----------
    clicks : int
        Unique clicks, ``0 <= clicks <= opens`` (a clicked email counts as opened).
    opens : int
        Unique opens: delivered emails opened at least once.
    zero_division : {"warn"} or float, default="warn"
        Returned when ``opens == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; higher is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if ``clicks > opens``.

    Examples
    --------
    >>> email_click_to_open_rate(30, 200)
    0.15
    >>> email_click_to_open_rate(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        clicks,
        opens,
        part_name="clicks",
        whole_name="opens",
        func="email_click_to_open_rate",
        zero_division=zero_division,
    )


def email_unsubscribe_rate(
    unsubscribes: int, delivered: int, *, zero_division: ZeroDivision = "warn"
) -> float:
    """Share of delivered emails followed by an unsubscribe.

    ``email_unsubscribe_rate = unsubscribes / delivered``

    Parameters
    ----------
    unsubscribes : int
        Delivered emails followed by an unsubscribe, ``0 <= unsubscribes <= delivered``.
    delivered : int
        Emails delivered (one per recipient and send).
    zero_division : {"warn"} or float, default="warn"
        Returned when ``delivered == 0``; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; lower is better.

    Raises
    ------
    InvalidInputError
        If a count is negative, not whole, nan or inf, or if ``unsubscribes > delivered``.

    Examples
    --------
    >>> email_unsubscribe_rate(3, 1_000)
    0.003
    >>> email_unsubscribe_rate(0, 0, zero_division=0.0)
    0.0
    """
    return share_of(
        unsubscribes,
        delivered,
        part_name="unsubscribes",
        whole_name="delivered",
        func="email_unsubscribe_rate",
        zero_division=zero_division,
    )


class EmailOpenRate(RatioKPI):
    """Email open rate with its parts.

    Examples
    --------
    >>> EmailOpenRate.from_counts(200, 1_000).value
    0.2
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["opens / delivered"] = "opens / delivered"

    @classmethod
    def from_counts(
        cls,
        opens: int,
        delivered: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> EmailOpenRate:
        """Compute the open rate and keep its numerator and denominator."""
        value = email_open_rate(opens, delivered, zero_division=zero_division)
        return cls(
            value=value,
            numerator=opens,
            denominator=delivered,
            **share_interval(opens, delivered, confidence, interval_method),
        )


class EmailClickThroughRate(RatioKPI):
    """Email click-through rate with its parts.

    Examples
    --------
    >>> EmailClickThroughRate.from_counts(30, 1_000).value
    0.03
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["clicks / delivered"] = "clicks / delivered"

    @classmethod
    def from_counts(
        cls,
        clicks: int,
        delivered: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> EmailClickThroughRate:
        """Compute the click-through rate and keep its numerator and denominator."""
        value = email_click_through_rate(clicks, delivered, zero_division=zero_division)
        return cls(
            value=value,
            numerator=clicks,
            denominator=delivered,
            **share_interval(clicks, delivered, confidence, interval_method),
        )


class EmailClickToOpenRate(RatioKPI):
    """Email click-to-open rate with its parts.

    Examples
    --------
    >>> EmailClickToOpenRate.from_counts(30, 200).value
    0.15
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["clicks / opens"] = "clicks / opens"

    @classmethod
    def from_counts(
        cls,
        clicks: int,
        opens: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> EmailClickToOpenRate:
        """Compute the click-to-open rate and keep its numerator and denominator."""
        value = email_click_to_open_rate(clicks, opens, zero_division=zero_division)
        return cls(
            value=value,
            numerator=clicks,
            denominator=opens,
            **share_interval(clicks, opens, confidence, interval_method),
        )


class EmailUnsubscribeRate(RatioKPI):
    """Email unsubscribe rate with its parts.

    Examples
    --------
    >>> EmailUnsubscribeRate.from_counts(3, 1_000).value
    0.003
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["unsubscribes / delivered"] = "unsubscribes / delivered"

    @classmethod
    def from_counts(
        cls,
        unsubscribes: int,
        delivered: int,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> EmailUnsubscribeRate:
        """Compute the unsubscribe rate and keep its numerator and denominator."""
        value = email_unsubscribe_rate(unsubscribes, delivered, zero_division=zero_division)
        return cls(
            value=value,
            numerator=unsubscribes,
            denominator=delivered,
            **share_interval(unsubscribes, delivered, confidence, interval_method),
        )
