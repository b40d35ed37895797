"""Query-plan helpers shared by the report's tables: the collected result and joins.

The eager tables (:mod:`~retention_kpis.report.eager_tables`), the engine tables
(:mod:`~retention_kpis.report.engine_tables`) and the engagement tables stand on
these helpers; grouping, collecting and 0/1 flags live in
:mod:`retention_kpis._core.frames`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.calendar import WithPeriod
from retention_kpis._core.columns import CUSTOMER, EVENT, ORDER, PERIOD, REVENUE
from retention_kpis._core.frames import Key, flag, grouped

__all__ = [
    "Aggregates",
    "churned_plan",
    "customer_total_aggs",
    "customer_total_inputs",
    "moment_columns",
    "moment_sums",
    "same_segment",
]


@dataclasses.dataclass(frozen=True)
class Aggregates:
    """Collected aggregates, keyed by ``(period index, *segment values)``.

    ``tables[name][key]`` holds the named columns of one aggregated table;
    ``scores[key][event_type]`` maps a survey score to its response count.
    """

    keys: tuple[Key, ...]
    tables: dict[str, dict[Key, dict[str, Any]]]
    scores: dict[Key, dict[str, dict[float, int]]]


def same_segment(lf: nw.LazyFrame[Any], by: Sequence[str]) -> nw.LazyFrame[Any]:
    """Keep rows whose ``by`` columns equal their ``_prev`` twins (null equals null)."""
    for name in by:
        left, right = nw.col(name), nw.col(f"{name}_prev")
        lf = lf.filter((left == right).fill_null(value=False) | (left.is_null() & right.is_null()))
    return lf


def churned_plan(
    lf: nw.LazyFrame[Any],
    active: nw.LazyFrame[Any],
    keys: Sequence[str],
    churn: str,
    with_period: WithPeriod | None = None,
) -> nw.LazyFrame[Any]:
    """Count, per key, the previous period's purchasers with a churn event (any segment).

    ``active`` holds the distinct ``(*keys, customer)`` of purchasers; the key is that of
    their previous-period purchase, moved to the period of the churn event. ``with_period``
    adds the period to the churn events when ``lf`` has none yet.
    """
    active_next = active.with_columns((nw.col(PERIOD) + 1).alias(PERIOD))
    churn_events = lf.filter(nw.col(EVENT) == churn)
    if with_period is not None:
        churn_events = with_period(churn_events)
    churners = churn_events.select(PERIOD, CUSTOMER).unique()
    lost = active_next.join(churners, on=[PERIOD, CUSTOMER])
    return grouped(lost, keys, nw.len().alias("churned"))


def customer_total_inputs(columns: frozenset[str]) -> list[nw.Expr]:
    """Columns a per-customer group of purchases needs for :func:`customer_total_aggs`."""
    inputs: list[nw.Expr] = []
    if "revenue" in columns:
        inputs.append(nw.col(REVENUE))
    if "order_id" in columns:
        inputs += [nw.col(ORDER), flag(nw.col(ORDER).is_null()).alias("_no_order")]
    return inputs


def customer_total_aggs(columns: frozenset[str]) -> list[nw.Expr]:
    """Per-customer aggregations of purchases: their orders and revenue (interval inputs).

    Orders count as the report counts them: distinct order ids, a purchase without an id
    being its own order (``n_unique`` counts null as one value on every backend).
    """
    aggs = [nw.len().alias("_rows")]
    if "revenue" in columns:
        aggs.append(nw.col(REVENUE).sum().alias("_revenue"))
    if "order_id" in columns:
        aggs += [
            nw.col(ORDER).n_unique().alias("_ids"),
            nw.col("_no_order").sum().alias("_no_rows"),
            nw.col("_no_order").max().alias("_any_no"),
        ]
    return aggs


def moment_columns(columns: frozenset[str]) -> list[nw.Expr]:
    """Per-customer orders ``x`` and revenue ``y`` with their squares and product, as floats.

    Computed from the totals of :func:`customer_total_aggs` before :func:`moment_sums`
    (plain sums group fast on every backend, pandas included).
    """
    if "order_id" in columns:
        orders = nw.col("_ids") - nw.col("_any_no") + nw.col("_no_rows")
    else:
        orders = nw.col("_rows")
    x = orders.cast(nw.Float64)
    y = nw.col("_revenue").cast(nw.Float64).fill_null(0.0) if "revenue" in columns else nw.lit(0.0)
    return [
        x.alias("_x"),
        (x * x).alias("_xx"),
        y.alias("_y"),
        (y * y).alias("_yy"),
        (x * y).alias("_xy"),
    ]


def moment_sums() -> list[nw.Expr]:
    """Per-key sums of the columns of :func:`moment_columns`.

    The delta-method intervals of ``aov`` and ``purchase_frequency``
    (:func:`~retention_kpis.ratio_interval_from_sums`) need nothing else.
    """
    return [
        nw.col("_x").sum().alias("sum_orders"),
        nw.col("_xx").sum().alias("sum_orders_sq"),
        nw.col("_y").sum().alias("sum_revenue"),
        nw.col("_yy").sum().alias("sum_revenue_sq"),
        nw.col("_xy").sum().alias("sum_orders_revenue"),
    ]
