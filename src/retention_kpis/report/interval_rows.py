"""The interval columns of one report row (``compute_kpis(confidence=...)``).

No formula is written here: each bound comes from :mod:`retention_kpis.stats` fed with
counts the row already has (shares: Wilson; NPS: adjusted Wald) or with the per-customer
sums and squares of orders and revenue the engine computed in the query that groups
purchases per customer (``aov`` and ``purchase_frequency``: the delta method with
customers as clusters; ``roas``, ``cpa`` and ``cac``: the total over Poisson-sampled
customers with spend fixed, as :func:`~retention_kpis.total_interval`; ``clv``: revenue
per purchaser over the churn rate; all four on the log scale through
:func:`~retention_kpis.log_product_interval`). The engagement shares come
from the engagement tables' counts; ``referral_rate`` (delta method, customers as
clusters) and ``pareto_share`` (influence function of a top share) from their sums.
Methods and references: ``docs/metrics/intervals.md``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from retention_kpis._core.frames import Key, plain
from retention_kpis.report.plan import Aggregates
from retention_kpis.stats import (
    log_product_interval,
    log_product_standard_error,
    nps_interval,
    proportion_interval,
    ratio_interval_from_sums,
    ratio_standard_error,
    top_share_interval_from_sums,
)

__all__ = [
    "ENGAGEMENT_SHARES",
    "LOG_SCALE_KPIS",
    "IntervalParts",
    "engagement_interval_inputs",
    "engagement_interval_values",
    "interval_inputs",
    "interval_values",
    "log_scale_parts",
    "log_scale_standard_error",
]

ENGAGEMENT_SHARES: dict[str, tuple[str, str]] = {
    "referred_customer_share": ("referred_customers", "customers"),
    "email_open_rate": ("email_opens", "emails_delivered"),
    "email_ctr": ("email_clicks", "emails_delivered"),
    "email_cto_rate": ("email_clicks", "email_opens"),
    "email_unsubscribe_rate": ("email_unsubscribes", "emails_delivered"),
}
"""The engagement shares with an interval: (successes, trials) columns of an engagement row."""

_NAN_PAIR = (math.nan, math.nan)


@dataclasses.dataclass(frozen=True)
class IntervalParts:
    """Counts of one row that the share intervals need.

    ``retained`` and ``start`` are None where retention is undefined (no previous period).
    """

    converted: int
    visitors: int
    active: int
    retained: int | None
    start: int | None
    csat_scores: np.ndarray[Any, np.dtype[np.float64]] | None
    csat_threshold: int
    nps_scores: np.ndarray[Any, np.dtype[np.float64]] | None
    attributed: bool
    spend: float = math.nan
    new_customers: float = 0.0


def _share(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    return proportion_interval(successes, trials, confidence=confidence)


def _ratio_sums(
    aggregates: Aggregates, key: Key, parts: IntervalParts
) -> dict[str, tuple[float, ...]]:
    """``(n, sum_x, sum_y, sum_xx, sum_yy, sum_xy)`` of ``aov`` and ``purchase_frequency``."""
    sums = aggregates.tables.get("moments", {}).get(key)
    if sums is None:
        return {}
    n = float(parts.active)
    orders, orders_sq = float(sums["sum_orders"] or 0), float(sums["sum_orders_sq"] or 0)
    inputs: dict[str, tuple[float, ...]] = {
        "purchase_frequency": (n, n, orders, n, orders_sq, orders)
    }
    if not parts.attributed:
        revenue = float(sums["sum_revenue"] or 0)
        revenue_sq = float(sums["sum_revenue_sq"] or 0)
        product = float(sums["sum_orders_revenue"] or 0)
        inputs["aov"] = (n, orders, revenue, orders_sq, revenue_sq, product)
    return inputs


def _spend_sums(
    aggregates: Aggregates, key: Key, parts: IntervalParts
) -> dict[str, tuple[float, ...]]:
    """``(total, sum of squared customer totals, spend)`` of ``roas``, ``cpa`` and ``cac``.

    Left out with attribution (credited totals have no customer-level squares) and
    without spend rows.
    """
    sums = aggregates.tables.get("moments", {}).get(key)
    if sums is None or parts.attributed or math.isnan(parts.spend):
        return {}
    orders, orders_sq = float(sums["sum_orders"] or 0), float(sums["sum_orders_sq"] or 0)
    revenue = float(sums["sum_revenue"] or 0)
    revenue_sq = float(sums["sum_revenue_sq"] or 0)
    new = float(parts.new_customers)  # each new customer counts once: its square is 1
    return {
        "roas": (revenue, revenue_sq, parts.spend),
        "cpa": (orders, orders_sq, parts.spend),
        "cac": (new, new, parts.spend),
    }


def _clv_parts(
    aggregates: Aggregates, key: Key, parts: IntervalParts
) -> dict[str, tuple[float, ...]]:
    """``(n, sum_revenue, sum_revenue_sq, churned, start)`` of ``clv``, where it is defined."""
    sums = aggregates.tables.get("moments", {}).get(key)
    if sums is None or parts.retained is None or not parts.start:
        return {}
    revenue = float(sums["sum_revenue"] or 0)
    revenue_sq = float(sums["sum_revenue_sq"] or 0)
    churned = float(parts.start - parts.retained)
    return {"clv": (float(parts.active), revenue, revenue_sq, churned, float(parts.start))}


LOG_SCALE_KPIS = ("roas", "cpa", "cac", "clv")
"""The interval KPIs whose bounds come from the log-scale delta method."""


def log_scale_parts(
    kpi: str, sums: tuple[float, ...] | None
) -> tuple[list[tuple[float, float, float]], float] | None:
    """Return the ``(value, standard error, exponent)`` parts of a log-scale KPI and its factor.

    The KPI is ``factor * prod(value ** exponent)``: ROAS ``Y / S`` (``Y`` with the Poisson
    standard error ``sqrt(sum y_i^2)``), CPA and CAC ``S / O`` and ``S / N``, CLV the
    revenue per customer (delta method) over the churn rate (binomial). None where no
    interval is defined (no total, no spend for ROAS, fewer than two purchasers or no churn
    for CLV).

    Examples
    --------
    >>> log_scale_parts("roas", (80.0, 3_000.0, 40.0))
    ([(80.0, 54.772255750516614, 1.0)], 0.025)
    """
    if sums is None:
        return None
    if kpi == "clv":
        n, revenue, revenue_sq, churned, start = sums
        count = int(n)
        if count < 2 or churned == 0:
            return None
        per_customer_se = ratio_standard_error(
            count, sum_x=n, sum_y=revenue, sum_xx=n, sum_yy=revenue_sq, sum_xy=revenue
        )
        churn = churned / start
        churn_se = math.sqrt(churn * (1.0 - churn) / start)
        return [(revenue / n, per_customer_se, 1.0), (churn, churn_se, -1.0)], 1.0
    total, squares, spend = sums
    if total == 0 or (kpi == "roas" and spend == 0):
        return None
    if kpi == "roas":
        return [(total, math.sqrt(squares), 1.0)], 1.0 / spend
    return [(total, math.sqrt(squares), -1.0)], spend


def log_scale_standard_error(kpi: str, value: float, sums: tuple[float, ...] | None) -> float:
    """Return the delta-method standard error of a log-scale KPI at ``value`` (nan if none).

    ``value * sqrt(sum((e_k se_k / v_k)^2))``: what :func:`~retention_kpis.compare_kpis`
    and :func:`~retention_kpis.detect_changes` test ``roas``, ``cpa``, ``cac`` and ``clv``
    with.
    """
    found = log_scale_parts(kpi, sums)
    if found is None or math.isnan(value):
        return math.nan
    return value * log_product_standard_error(found[0])


def _log_bound(kpi: str, sums: tuple[float, ...] | None, confidence: float) -> tuple[float, float]:
    """Bounds of ``factor * prod(value ** exponent)`` (ROAS, CPA, CAC, CLV) on the log scale."""
    found = log_scale_parts(kpi, sums)
    if found is None:
        return _NAN_PAIR
    parts, factor = found
    low, high = log_product_interval(parts, confidence=confidence)
    return factor * low, factor * high


def _ratio_bound(sums: tuple[float, ...] | None, confidence: float) -> tuple[float, float]:
    if sums is None:
        return _NAN_PAIR
    n, sx, sy, sxx, syy, sxy = sums
    return ratio_interval_from_sums(
        int(n), sum_x=sx, sum_y=sy, sum_xx=sxx, sum_yy=syy, sum_xy=sxy, confidence=confidence
    )


def interval_inputs(
    aggregates: Aggregates, key: Key, parts: IntervalParts
) -> dict[str, tuple[float, ...]]:
    """Return what each interval KPI's interval (and a comparison) is computed from.

    Shares: ``(successes, trials)``; ``nps``: ``(promoters, passives, detractors)``;
    ``aov`` and ``purchase_frequency``: ``(n, sum_x, sum_y, sum_xx, sum_yy, sum_xy)`` over
    customers; ``roas``, ``cpa`` and ``cac``: ``(total, sum of squared customer totals,
    spend)``; ``clv``: ``(purchasers, revenue, sum of squared revenues, churned, customers at
    start)``. A KPI without its inputs (no responses, no previous period) is left out.
    """
    inputs: dict[str, tuple[float, ...]] = {"conversion_rate": (parts.converted, parts.visitors)}
    inputs.update(_ratio_sums(aggregates, key, parts))
    inputs.update(_spend_sums(aggregates, key, parts))
    inputs.update(_clv_parts(aggregates, key, parts))
    if parts.csat_scores is not None:
        satisfied = int((parts.csat_scores >= parts.csat_threshold).sum())
        inputs["csat"] = (satisfied, parts.csat_scores.size)
    if parts.nps_scores is not None:
        promoters = int((parts.nps_scores >= 9).sum())
        detractors = int((parts.nps_scores <= 6).sum())
        inputs["nps"] = (promoters, parts.nps_scores.size - promoters - detractors, detractors)
    if parts.retained is not None and parts.start:
        inputs["retention_rate"] = (parts.retained, parts.start)
        inputs["churn_rate"] = (parts.start - parts.retained, parts.start)
    return inputs


def interval_values(inputs: dict[str, tuple[float, ...]], confidence: float) -> dict[str, float]:
    """Return the ``<kpi>_low`` / ``<kpi>_high`` values from :func:`interval_inputs`."""
    bounds: dict[str, tuple[float, float]] = {}
    for name in ("conversion_rate", "csat", "retention_rate", "churn_rate"):
        share = inputs.get(name)
        bounds[name] = (
            _NAN_PAIR if share is None else _share(int(share[0]), int(share[1]), confidence)
        )
    for name in ("aov", "purchase_frequency"):
        bounds[name] = _ratio_bound(inputs.get(name), confidence)
    for name in LOG_SCALE_KPIS:
        bounds[name] = _log_bound(name, inputs.get(name), confidence)
    nps = inputs.get("nps")
    bounds["nps"] = (
        _NAN_PAIR
        if nps is None
        else nps_interval(int(nps[0]), int(nps[1]), int(nps[2]), confidence=confidence)
    )
    values: dict[str, float] = {}
    for name, (low, high) in bounds.items():
        values[f"{name}_low"], values[f"{name}_high"] = low, high
    return values


def _sum(sums: dict[str, Any], name: str) -> float:
    value = plain(sums.get(name))
    return 0.0 if value is None else float(value)  # type: ignore[arg-type]  # a plain number


def _referral_bounds(sums: dict[str, Any] | None, confidence: float) -> tuple[float, float]:
    """Delta-method bounds of ``referrals / customers``, customers as clusters.

    Over the customers with a referral or a purchase in the key: ``x_i`` = 1 for a
    purchaser, ``y_i`` = their referrals (``sum x^2 = sum x``, since ``x_i`` is 0 or 1).
    """
    found = _referral_sums(sums)
    if found is None:
        return _NAN_PAIR
    n, sx, sy, sxx, syy, sxy = found
    return ratio_interval_from_sums(
        int(n), sum_x=sx, sum_y=sy, sum_xx=sxx, sum_yy=syy, sum_xy=sxy, confidence=confidence
    )


def _pareto_bounds(sums: dict[str, Any] | None, confidence: float) -> tuple[float, float]:
    """Influence-function bounds of the top group's revenue share (Beach & Davidson 1983)."""
    if sums is None or "top_boundary" not in sums:
        return _NAN_PAIR
    return top_share_interval_from_sums(
        int(_sum(sums, "customers")),
        top=int(_sum(sums, "top_customers")),
        total=_sum(sums, "revenue"),
        total_sq=_sum(sums, "revenue_sq"),
        top_total=_sum(sums, "top_revenue"),
        top_sq=_sum(sums, "top_revenue_sq"),
        boundary=_sum(sums, "top_boundary"),
        confidence=confidence,
    )


def _referral_sums(sums: dict[str, Any] | None) -> tuple[float, ...] | None:
    """``(n, sum_x, sum_y, sum_xx, sum_yy, sum_xy)`` of ``referral_rate`` (see below)."""
    if sums is None or "referral_clusters" not in sums:
        return None
    customers = _sum(sums, "customers")
    return (
        _sum(sums, "referral_clusters"),
        customers,
        _sum(sums, "referrals"),
        customers,
        _sum(sums, "referrals_sq"),
        _sum(sums, "purchaser_referrals"),
    )


def engagement_interval_inputs(
    row: dict[str, Any], *, referred: bool = True, sums: dict[str, Any] | None = None
) -> dict[str, tuple[float, ...]]:
    """Return what the engagement comparisons are computed from (as :func:`interval_inputs`).

    The shares of :data:`ENGAGEMENT_SHARES`: ``(successes, trials)``; ``referral_rate``:
    ``(n, sum_x, sum_y, sum_xx, sum_yy, sum_xy)`` over its customer clusters (from
    ``sums``, the key's ``"main"`` engagement table row; left out without them).
    ``referred=False`` leaves the referred share out.

    Examples
    --------
    >>> row = {"customers": 10, "referred_customers": 2, "emails_delivered": 40,
    ...        "email_opens": 12, "email_clicks": 3, "email_unsubscribes": 1}
    >>> inputs = engagement_interval_inputs(row, referred=False)
    >>> inputs["email_cto_rate"], "referred_customer_share" in inputs
    ((3, 12), False)
    """
    inputs: dict[str, tuple[float, ...]] = {
        name: (int(row[part]), int(row[whole]))
        for name, (part, whole) in ENGAGEMENT_SHARES.items()
        if referred or name != "referred_customer_share"
    }
    referral = _referral_sums(sums)
    if referral is not None:
        inputs["referral_rate"] = referral
    return inputs


def engagement_interval_values(
    row: dict[str, Any],
    confidence: float,
    *,
    referred: bool = True,
    sums: dict[str, Any] | None = None,
) -> dict[str, float]:
    """Return the ``<kpi>_low`` / ``<kpi>_high`` of the engagement columns of one row.

    ``row`` holds the counts of :func:`~retention_kpis.report.engagement_rows.engagement_row`;
    the shares get Wilson score intervals; ``referred=False`` leaves the referred share's
    bounds nan. ``sums`` is the key's ``"main"`` engagement table row (the referral and
    revenue sums of :func:`~retention_kpis.report.engagement_tables.engagement_tables`
    with ``intervals=True``): ``referral_rate`` and ``pareto_share`` bounds come from it,
    nan without it.

    Examples
    --------
    >>> row = {"customers": 10, "referred_customers": 0, "emails_delivered": 0,
    ...        "email_opens": 0, "email_clicks": 0, "email_unsubscribes": 0}
    >>> values = engagement_interval_values(row, 0.95)
    >>> values["referred_customer_share_low"], round(values["referred_customer_share_high"], 4)
    (0.0, 0.2775)
    >>> values["email_open_rate_low"]
    nan
    """
    values: dict[str, float] = {}
    for name, (part, whole) in ENGAGEMENT_SHARES.items():
        low, high = _NAN_PAIR
        if referred or name != "referred_customer_share":
            low, high = _share(int(row[part]), int(row[whole]), confidence)
        values[f"{name}_low"], values[f"{name}_high"] = low, high
    extra = {
        "referral_rate": _referral_bounds(sums, confidence),
        "pareto_share": _pareto_bounds(sums, confidence),
    }
    for name, (low, high) in extra.items():
        values[f"{name}_low"], values[f"{name}_high"] = low, high
    return values
