"""Referral, email and Pareto columns of one (period, segment) key, from the collected tables.

Shared by :func:`~retention_kpis.engagement_kpis` and the facade
:func:`~retention_kpis.compute_kpis`, so each engagement column is computed in
one place, by the pure functions of :mod:`retention_kpis.metrics`. The counts
behind it come from :func:`retention_kpis.report.engagement_tables.engagement_tables`.
"""

from __future__ import annotations

import math
from typing import Any

from retention_kpis._core.checks import divide
from retention_kpis._core.frames import Key, plain
from retention_kpis.metrics.email import (
    email_click_through_rate,
    email_click_to_open_rate,
    email_open_rate,
    email_unsubscribe_rate,
)
from retention_kpis.metrics.referral import referral_rate, referred_customer_share
from retention_kpis.report.engagement_tables import EngagementTables

__all__ = ["engagement_row"]

_NAN = math.nan


def _count(tables: EngagementTables, table: str, key: Key, field: str) -> int:
    row = tables.tables.get(table, {}).get(key)
    value = None if row is None else plain(row.get(field))
    return 0 if value is None else int(value)  # type: ignore[call-overload]  # a plain number


def _pareto(tables: EngagementTables, key: Key) -> float:
    """Return the Pareto share from the backend's top-group and total revenue of the key.

    The division :func:`~retention_kpis.metrics.pareto.pareto_share` ends with,
    with the same zero-revenue rule (nan); the sums come from the backend
    (:func:`retention_kpis.report.engagement_tables.engagement_tables`), so no revenue
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
