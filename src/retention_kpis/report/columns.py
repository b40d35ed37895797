"""The report's columns and their definitions, as literal tables.

:data:`DEFINITIONS` is every KPI column of :class:`~retention_kpis.KPIReport`, in
column order, with the definition the report carries; :data:`ENGAGEMENT_DEFINITIONS`
the columns of :func:`~retention_kpis.engagement_kpis` (whose ``customers`` are the
report's ``active_customers``). ``docs/metrics.md`` explains each one.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = [
    "COMPARED_KPIS",
    "COUNT_COLUMNS",
    "DEFAULT_COMPARED",
    "DEFINITIONS",
    "ENGAGEMENT_COLUMNS",
    "ENGAGEMENT_COMPARED",
    "ENGAGEMENT_COUNTS",
    "ENGAGEMENT_DEFINITIONS",
    "ENGAGEMENT_INTERVAL_METHODS",
    "ENGAGEMENT_TABLE_COUNTS",
    "INTERVAL_METHODS",
    "KPI_COLUMNS",
    "REFERRED",
    "UNITS",
    "ReportUnit",
    "interval_definitions",
    "report_columns",
]

_EMAIL_ATTRIBUTED = (
    "purchases after the customer's first, within click_window of their latest email click"
)

DEFINITIONS: dict[str, str] = {
    "visitors": "distinct customers with a visit event in the period (and segment)",
    "conversion_rate": "distinct visitors who also purchased in the period / visitors",
    "orders": (
        "purchase events; distinct order_id when the column is present "
        "(a purchase without an order_id is its own order)"
    ),
    "revenue": "sum of purchase revenue",
    "spend": "sum of spend cost; null when the events hold no spend rows",
    "new_customers": (
        "customers whose first purchase in the whole frame falls in the period "
        "(in the segment of that purchase)"
    ),
    "cpa": "spend / orders",
    "cac": "spend / new_customers",
    "roas": "revenue / spend",
    "aov": "revenue / orders",
    "purchase_frequency": "orders / active_customers",
    "csat": "share of CSAT responses >= csat_threshold",
    "nps": "100 * (promoters 9-10 - detractors 0-6) / NPS responses",
    "active_customers": "distinct purchasers",
    "retention_rate": (
        "share of the calendar-previous period's active customers (same segment) active again"
    ),
    "churn_rate": (
        "1 - retention_rate (churn_from='activity'), or the share of the previous period's "
        "active customers with a churn event (churn_from='events')"
    ),
    "clv": "aov * purchase_frequency * expected lifespan in periods (1 / churn_rate)",
    "referrals": "referral events (each made by the referrer, its customer_id)",
    "referral_rate": "referrals / active_customers",
    "referred_customers": "customers whose first event's channel is referral_channel",
    "referred_customer_share": "referred_customers / active_customers",
    "emails_delivered": "distinct (customer, second) email_sent rows; no bounces modelled",
    "email_open_rate": "email_opens / emails_delivered",
    "email_ctr": "email_clicks / emails_delivered",
    "email_cto_rate": "email_clicks / email_opens",
    "email_unsubscribe_rate": "email_unsubscribes / emails_delivered",
    "email_attributed_repeat_purchases": _EMAIL_ATTRIBUTED,
    "pareto_share": "revenue of the top ceil(top_fraction * active_customers) purchasers / revenue",
}
"""Every KPI column of the report, in column order, with its definition."""

ReportUnit: TypeAlias = Literal["count", "percent", "money", "number"]
"""How a report column is shown: a count, a fraction as a percentage, money, a plain number."""

UNITS: dict[str, ReportUnit] = {
    "visitors": "count",
    "conversion_rate": "percent",
    "orders": "count",
    "revenue": "money",
    "spend": "money",
    "new_customers": "count",
    "cpa": "money",
    "cac": "money",
    "roas": "number",
    "aov": "money",
    "purchase_frequency": "number",
    "csat": "percent",
    "nps": "number",
    "active_customers": "count",
    "retention_rate": "percent",
    "churn_rate": "percent",
    "clv": "money",
    "referrals": "count",
    "referral_rate": "number",
    "referred_customers": "count",
    "referred_customer_share": "percent",
    "emails_delivered": "count",
    "email_open_rate": "percent",
    "email_ctr": "percent",
    "email_cto_rate": "percent",
    "email_unsubscribe_rate": "percent",
    "email_attributed_repeat_purchases": "count",
    "pareto_share": "percent",
}
"""The unit of every KPI column, in column order: how ``str(report)`` and the notebook show it.

``roas``, ``purchase_frequency`` and ``referral_rate`` are ratios that may exceed 1
and ``nps`` is a score in [-100, 100]: plain numbers, not percentages.
"""

KPI_COLUMNS: tuple[str, ...] = tuple(DEFINITIONS)
"""The report's KPI columns (after ``period`` and the ``by`` columns)."""

ENGAGEMENT_COLUMNS: tuple[str, ...] = KPI_COLUMNS[KPI_COLUMNS.index("referrals") :]
"""Engagement columns of the report, after the core KPIs (null unless ``engagement=True``)."""

ENGAGEMENT_COUNTS = frozenset(
    {"referrals", "referred_customers", "emails_delivered", "email_attributed_repeat_purchases"}
)
"""Engagement columns that are counts (integers; null unless ``engagement=True``)."""

COUNT_COLUMNS = frozenset(
    {"visitors", "orders", "new_customers", "active_customers", *ENGAGEMENT_COUNTS}
)
"""Report columns that are counts (whole numbers unless attribution makes them fractional)."""

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
    "email_attributed_repeat_purchases": _EMAIL_ATTRIBUTED,
    "pareto_share": "revenue of the top ceil(top_fraction * customers) customers / revenue",
}
"""The columns of :func:`~retention_kpis.engagement_kpis`, in order, with their definitions."""

ENGAGEMENT_TABLE_COUNTS = frozenset(
    {
        "customers",
        "referrals",
        "referred_customers",
        "emails_delivered",
        "email_opens",
        "email_clicks",
        "email_unsubscribes",
        "email_attributed_repeat_purchases",
    }
)
"""Columns of :func:`~retention_kpis.engagement_kpis` that are counts (Int64)."""

REFERRED = ("referred_customers", "referred_customer_share")
"""The columns that need the ``channel`` column and a ``referral_channel``."""

_ENGAGEMENT_INTERVALS: dict[str, str] = {
    "referred_customer_share": "Wilson score interval of referred_customers / customers",
    "email_open_rate": "Wilson score interval of email_opens / emails_delivered",
    "email_ctr": "Wilson score interval of email_clicks / emails_delivered",
    "email_cto_rate": "Wilson score interval of email_clicks / email_opens",
    "email_unsubscribe_rate": "Wilson score interval of email_unsubscribes / emails_delivered",
    "referral_rate": (
        "delta-method interval of referrals / customers, customers (referrers and "
        "purchasers) as clusters"
    ),
    "pareto_share": (
        "influence-function (delta-method) interval of the top customers' revenue share "
        "(Beach & Davidson 1983), bounded to [0, 1]"
    ),
}

INTERVAL_METHODS: dict[str, str] = {
    "conversion_rate": "Wilson score interval of converted / visitors",
    "cpa": (
        "log-scale interval of spend / orders, spend fixed, orders a total over "
        "Poisson-sampled customers (variance: sum of squared customer orders)"
    ),
    "cac": (
        "log-scale interval of spend / new_customers, spend fixed, new customers a Poisson count"
    ),
    "roas": (
        "log-scale interval of revenue / spend, spend fixed, revenue a total over "
        "Poisson-sampled customers (variance: sum of squared customer revenues)"
    ),
    "aov": "delta-method interval of revenue / orders, customers as clusters",
    "purchase_frequency": "delta-method interval of the mean orders per active customer",
    "csat": "Wilson score interval of satisfied / responses",
    "nps": "adjusted-Wald interval (Rocks 2016), bounded to [-100, 100]",
    "retention_rate": "Wilson score interval of retained / previous period's active customers",
    "churn_rate": "Wilson score interval of churned / previous period's active customers",
    "clv": (
        "log-scale delta-method interval of revenue per active customer (customers as "
        "clusters) / churn_rate (binomial), the two taken as independent"
    ),
    **{name: f"{method} (engagement=True)" for name, method in _ENGAGEMENT_INTERVALS.items()},
}
"""The KPIs that carry ``<kpi>_low`` / ``<kpi>_high`` with ``compute_kpis(confidence=...)``,
with the interval each gets (formulas in ``docs/metrics/intervals.md``)."""

DEFAULT_COMPARED: tuple[str, ...] = (
    "conversion_rate",
    "aov",
    "purchase_frequency",
    "csat",
    "nps",
    "retention_rate",
    "churn_rate",
)
"""The KPIs :func:`~retention_kpis.compare_kpis` and :func:`~retention_kpis.detect_changes`
test when not told which."""

ENGAGEMENT_COMPARED: tuple[str, ...] = (
    "email_open_rate",
    "email_ctr",
    "email_cto_rate",
    "email_unsubscribe_rate",
    "referred_customer_share",
    "referral_rate",
)
"""The engagement KPIs :func:`~retention_kpis.compare_kpis` and
:func:`~retention_kpis.detect_changes` can test: only in a report computed with
``engagement=True`` (and ``confidence=...``)."""

COMPARED_KPIS: tuple[str, ...] = (
    *DEFAULT_COMPARED,
    "roas",
    "cpa",
    "cac",
    "clv",
    *ENGAGEMENT_COMPARED,
)
"""The interval KPIs :func:`~retention_kpis.compare_kpis` and
:func:`~retention_kpis.detect_changes` can test (from :attr:`KPIRow.interval_inputs`)."""

ENGAGEMENT_INTERVAL_METHODS: dict[str, str] = dict(_ENGAGEMENT_INTERVALS)
"""The columns of :func:`~retention_kpis.engagement_kpis` that carry ``<kpi>_low`` /
``<kpi>_high`` with ``confidence=...``, with their interval."""


def report_columns(*, intervals: bool) -> tuple[str, ...]:
    """Return the report's KPI columns; with ``intervals``, each interval KPI and its bounds.

    Examples
    --------
    >>> report_columns(intervals=True)[:4]
    ('visitors', 'conversion_rate', 'conversion_rate_low', 'conversion_rate_high')
    """
    if not intervals:
        return KPI_COLUMNS
    names: list[str] = []
    for name in KPI_COLUMNS:
        names.append(name)
        if name in INTERVAL_METHODS:
            names += [f"{name}_low", f"{name}_high"]
    return tuple(names)


def interval_definitions(
    confidence: float, methods: dict[str, str] | None = None
) -> dict[str, str]:
    """Return the definitions of the interval columns at a confidence level.

    ``methods`` defaults to the report's :data:`INTERVAL_METHODS`.

    Examples
    --------
    >>> interval_definitions(0.95)["nps_high"]
    'upper bound of the 95% adjusted-Wald interval (Rocks 2016), bounded to [-100, 100]'
    """
    level = f"{100 * confidence:g}%"
    definitions = {}
    for name, method in (INTERVAL_METHODS if methods is None else methods).items():
        definitions[f"{name}_low"] = f"lower bound of the {level} {method}"
        definitions[f"{name}_high"] = f"upper bound of the {level} {method}"
    return definitions
