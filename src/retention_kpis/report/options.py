"""The option checks of the events facades, with the library's message template.

:func:`~retention_kpis.compute_kpis`, :func:`~retention_kpis.engagement_kpis` and
:func:`~retention_kpis.referred_vs_organic` check their options here, before any
data is read. Periods, durations, ``top_fraction`` and column lists use the one
shared check of :mod:`retention_kpis._core`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.calendar import Period, check_period
from retention_kpis._core.checks import (
    check_choice,
    check_columns,
    check_flag,
    check_number,
    check_scale,
    check_top_fraction,
)
from retention_kpis._core.durations import parse_duration
from retention_kpis.events import EventSchema
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

__all__ = [
    "check_by",
    "check_churn_from",
    "check_csat",
    "check_engagement",
    "check_referral_channel",
    "checked_period",
    "require_channel",
]


def check_by(value: object, func: str, reserved: Collection[str], what: str) -> tuple[str, ...]:
    """Return the ``by`` columns, refusing names of the result's own columns.

    Examples
    --------
    >>> check_by(["channel"], "compute_kpis", {"period", "orders"}, "report columns")
    ('channel',)
    """
    names = check_columns(value, "by", func)
    clash = sorted(set(names) & {"period", *reserved})
    if clash:
        msg = f"The 'by' parameter of {func} must not name {what}. Got {clash} instead."
        raise InvalidInputError(msg)
    return names


def check_churn_from(value: object, func: str) -> str:
    """Return ``"activity"`` or ``"events"``."""
    return check_choice(value, "churn_from", func, ("activity", "events"))


def check_csat(scale: object, threshold: object, func: str) -> tuple[int, int]:
    """Return the CSAT scale after checking that the threshold is a whole number on it."""
    low, high = check_scale(scale, "csat_scale", func)
    value = check_number(threshold, "csat_threshold", func)
    if not (value.is_integer() and low <= value <= high):
        msg = (
            f"The 'csat_threshold' parameter of {func} must be a whole number in the "
            f"csat_scale [{low}, {high}]. Got {threshold!r} instead."
        )
        raise InvalidInputError(msg)
    return low, high


def check_referral_channel(value: object, func: str, *, optional: bool) -> str | None:
    """Return a valid ``referral_channel`` (a non-empty string, or None when optional).

    Examples
    --------
    >>> check_referral_channel("referral", "engagement_kpis", optional=True)
    'referral'
    """
    if (value is None and optional) or (isinstance(value, str) and value):
        return value
    allowed = "a non-empty string or None" if optional else "a non-empty string"
    msg = f"The 'referral_channel' parameter of {func} must be {allowed}. Got {value!r} instead."
    raise InvalidInputError(msg)


def check_engagement(
    engagement: object,
    click_window: object,
    top_fraction: object,
    referral_channel: object,
    func: str,
) -> dict[str, Any]:
    """Return the checked engagement options (``click_window`` in whole seconds)."""
    return {
        "engagement": check_flag(engagement, "engagement", func),
        "click_window": int(parse_duration(click_window, "click_window", func, whole_seconds=True)),
        "top_fraction": check_top_fraction(top_fraction, func),
        "referral_channel": check_referral_channel(referral_channel, func, optional=True),
    }


def require_channel(events: object, schema: EventSchema, referral_channel: str) -> None:
    """Raise ColumnNotFoundError when the channel column (for referred customers) is absent."""
    try:
        names = nw.from_native(events).collect_schema().names()  # type: ignore[call-overload]  # any native frame
    except TypeError:
        return  # not a frame: validate_events raises the library's message
    if schema.channel not in names:
        msg = (
            f"Missing column(s) [{schema.channel!r}] in events (needed to find referred "
            f"customers, referral_channel={referral_channel!r}). Available columns: {names}.\n"
            "Hint: map it with EventSchema(channel=...), or pass referral_channel=None."
        )
        raise ColumnNotFoundError(msg)


def checked_period(value: object, func: str) -> Period | None:
    """Return a report period code, or None for one period over the whole frame."""
    period: Period | None = check_period(value, func)
    return period
