"""Referral, email and Pareto columns of one (period, segment) key, from the collected tables.

Shared by :func:`~retention_kpis.engagement_kpis` and the facade
:func:`~retention_kpis.compute_kpis`, so each engagement column is computed in
one place, by the pure functions of :mod:`retention_kpis.metrics`. The counts
behind it come from :func:`retention_kpis._engagement_tables.engagement_tables`.
"""

from __future__ import annotations

import math
from typing import Any

from retention_kpis._aggregate import Key
from retention_kpis._engagement_tables import EngagementTables
from retention_kpis._validation import divide
from retention_kpis.events import plain
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.metrics.email import (
    email_click_through_rate,
    email_click_to_open_rate,
    email_open_rate,
    email_unsubscribe_rate,
)
from retention_kpis.metrics.referral import referral_rate, referred_customer_share

__all__ = [
    "ENGAGEMENT_DEFINITIONS",
    "REFERRED",
    "check_referral_channel",
    "engagement_row",
]

ENGAGEMENT_DEFINITIONS: dict[str, str] = {
    "customers": "distinct purchasers in the period (and segment)",
    "referrals": "referral events (each made by the referrer, its customer_id)",
    "referral_rate": "referrals / customers",
    "referred_customers": "customers whose first event's channel is referral_channel",
    "referred_customer_share": "referred_customers / customers",
    "emails_delivered": "distinct (customer, second) email_sent rows; no bounces modelled",
    "email_opens": "delivered emails with an open or click linked to them",
    "email_clicks": "delivered emails with a click linked to them",
    "email_unsubscribes": "delivered emails with an unsubscribe linked to them",
    "email_open_rate": "email_opens / emails_delivered",
    "email_ctr": "email_clicks / emails_delivered",
    "email_cto_rate": "email_clicks / email_opens",
    "email_unsubscribe_rate": "email_unsubscribes / emails_delivered",
    "email_attributed_repeat_purchases": (
        "purchases after the customer's first, within click_window of their latest email click"
    ),
    "pareto_share": "revenue of the top ceil(top_fraction * customers) customers / revenue",
}
"""The definition of every engagement column (``customers`` = distinct purchasers)."""

REFERRED = ("referred_customers", "referred_customer_share")
"""The columns that need the ``channel`` column and a ``referral_channel``."""

_NAN = math.nan


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


def _count(tables: EngagementTables, table: str, key: Key, field: str) -> int:
    row = tables.tables.get(table, {}).get(key)
    value = None if row is None else plain(row.get(field))
    return 0 if value is None else int(value)  # type: ignore[call-overload]  # a plain number


def _pareto(tables: EngagementTables, key: Key) -> float:
    """Return the Pareto share from the backend's top-group and total revenue of the key.

    The division :func:`~retention_kpis.metrics.pareto.pareto_share` ends with,
    with the same zero-revenue rule (nan); the sums come from the backend
    (:func:`retention_kpis._engagement_tables.engagement_tables`), so no revenue
    per customer is collected.
    """
    row = tables.tables.get("main", {}).get(key) or {}
    total = float(plain(row.get("revenue")) or 0.0)  # type: ignore[arg-type]  # a plain number
    top = float(plain(row.get("top_revenue")) or 0.0)  # type: ignore[arg-type]  # a plain number
    return divide(
        top, total, zero_division=_NAN, kpi="pareto_share", denominator_name="total revenue"
    )


def engagement_row(tables: EngagementTables, key: Key) -> dict[str, Any]:
    """Return the columns of :data:`ENGAGEMENT_DEFINITIONS` of one key (zero denominators: nan).

    A key absent from the tables (no event of that kind) counts zeros.

    Examples
    --------
    >>> empty = EngagementTables(tables={})
    >>> row = engagement_row(empty, (0,))
    >>> row["emails_delivered"], row["email_open_rate"]
    (0, nan)
    """
    customers = _count(tables, "main", key, "customers")
    referrals = _count(tables, "main", key, "referrals")
    referred_customers = _count(tables, "main", key, "referred")
    delivered = _count(tables, "email", key, "delivered")
    opens = _count(tables, "email", key, "opens")
    clicks = _count(tables, "email", key, "clicks")
    unsubscribes = _count(tables, "email", key, "unsubscribes")
    nan = {"zero_division": _NAN}
    return {
        "customers": customers,
        "referrals": referrals,
        "referral_rate": referral_rate(referrals, customers, **nan),
        "referred_customers": referred_customers,
        "referred_customer_share": referred_customer_share(referred_customers, customers, **nan),
        "emails_delivered": delivered,
        "email_opens": opens,
        "email_clicks": clicks,
        "email_unsubscribes": unsubscribes,
        "email_open_rate": email_open_rate(opens, delivered, **nan),
        "email_ctr": email_click_through_rate(clicks, delivered, **nan),
        "email_cto_rate": email_click_to_open_rate(clicks, opens, **nan),
        "email_unsubscribe_rate": email_unsubscribe_rate(unsubscribes, delivered, **nan),
        "email_attributed_repeat_purchases": _count(tables, "email_purchases", key, "attributed"),
        "pareto_share": _pareto(tables, key),
    }
