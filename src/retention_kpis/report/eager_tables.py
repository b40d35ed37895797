"""The report's tables on the eager backends (pandas, pyarrow): one aggregation per table.

Eager backends run each step once anyway; sharing the filtered purchases between
tables and joining distinct pairs is what makes them fast. The engines' three-query
formulation of the same counts is :mod:`retention_kpis.report.engine_tables`; both
return the tables :class:`~retention_kpis.report.plan.Aggregates` holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.columns import COST, CUSTOMER, EVENT, ORDER, PERIOD, REVENUE, TIMESTAMP
from retention_kpis._core.frames import Key, collect_table, grouped
from retention_kpis.report.plan import (
    churned_plan,
    customer_total_aggs,
    moment_columns,
    moment_sums,
    same_segment,
)

__all__ = ["eager_tables"]


def _customer_plans(
    lf: nw.LazyFrame[Any],
    active: nw.LazyFrame[Any],
    keys: Sequence[str],
    by: Sequence[str],
    is_: dict[str, nw.Expr],
) -> dict[str, nw.LazyFrame[Any]]:
    """Plans counting distinct visitors, purchasers (active) and both (converted) per key.

    Two formulations give the same counts; each backend gets its faster one. Engines: one
    aggregation of distinct counts, converted = visitors + purchasers - either (n_unique
    counts null as a value on every backend, so the null that when/then leaves on other rows
    is taken off again). pandas: distinct (key, customer) pairs, which it hashes faster than
    it counts distinct values per group, and a join of visitors to purchasers.
    """
    events = lf.select(*keys, CUSTOMER, EVENT)
    if not lf.implementation.is_pandas_like():
        either = events.filter(is_["visit"] | is_["purchase"]).with_columns(
            nw.when(is_["visit"]).then(nw.col(CUSTOMER)).alias("_visitor"),
            nw.when(is_["purchase"]).then(nw.col(CUSTOMER)).alias("_buyer"),
            (~is_["visit"]).cast(nw.Int64).alias("_not_visit"),
            (~is_["purchase"]).cast(nw.Int64).alias("_not_buy"),
        )
        aggs = (
            nw.col(CUSTOMER).n_unique().alias("either"),
            nw.col("_visitor").n_unique().alias("visitor_values"),
            nw.col("_buyer").n_unique().alias("buyer_values"),
            nw.col("_not_visit").max().alias("visitor_null"),
            nw.col("_not_buy").max().alias("buyer_null"),
        )
        return {"customers": grouped(either, keys, *aggs)}
    visitors = events.filter(is_["visit"]).select(*keys, CUSTOMER).unique()
    # Joined on (period, customer) and compared on the segments null-safely: joins on null
    # keys differ between pandas and SQL engines.
    on = [CUSTOMER] if len(keys) == len(by) else [PERIOD, CUSTOMER]
    converted = same_segment(visitors.join(active, on=on, suffix="_prev"), by)
    return {
        "visitors": grouped(visitors, keys, nw.len().alias("visitors")),
        "converted": grouped(converted, keys, nw.len().alias("converted")),
        "active": grouped(active, keys, nw.len().alias("active")),
    }


def _customer_table(tables: dict[str, dict[Key, dict[str, Any]]]) -> dict[Key, dict[str, Any]]:
    """Visitors, active and converted per key, from either formulation's collected tables."""
    if "customers" in tables:
        counts = {}
        for key, row in tables["customers"].items():
            # Without `by` and period (no group key) an empty frame still gives one row,
            # whose maxima are null: no visits and no purchases.
            visitors = int(row["visitor_values"]) - int(row["visitor_null"] or 0)
            active = int(row["buyer_values"]) - int(row["buyer_null"] or 0)
            converted = visitors + active - int(row["either"])
            counts[key] = {"visitors": visitors, "active": active, "converted": converted}
        return counts
    keys = set(tables["visitors"]) | set(tables["active"])
    return {
        key: {
            name: int(tables[name].get(key, {}).get(name) or 0)
            for name in ("visitors", "active", "converted")
        }
        for key in keys
    }


def _retention_tables(
    lf: nw.LazyFrame[Any],
    active: nw.LazyFrame[Any],
    keys: Sequence[str],
    by: Sequence[str],
    churn: str | None,
) -> dict[str, nw.LazyFrame[Any]]:
    """Count previous-period customers active again, or with a churn event, per key.

    ``active`` holds the distinct ``(*keys, customer)`` of purchasers.
    """
    active_next = active.with_columns((nw.col(PERIOD) + 1).alias(PERIOD))
    retained = same_segment(active.join(active_next, on=[PERIOD, CUSTOMER], suffix="_prev"), by)
    plans = {"retained": grouped(retained, keys, nw.len().alias("retained"))}
    if churn is not None:
        plans["churned"] = churned_plan(lf, active, keys, churn)
    return plans


def eager_tables(
    lf: nw.LazyFrame[Any],
    keys: list[str],
    by: Sequence[str],
    is_: dict[str, nw.Expr],
    *,
    columns: frozenset[str],
    churn: str | None,
    moments: bool = False,
) -> dict[str, dict[Key, dict[str, Any]]]:
    """Tables of the eager backends (pandas, pyarrow): one small aggregation per table.

    Eager backends run each step once anyway; sharing the filtered purchases between
    tables and joining distinct pairs is what makes them fast. ``moments`` adds the
    ``moments`` table (sums and squares of per-customer orders and revenue) from the
    per-customer group the new customers already need.
    """
    purchases = lf.filter(is_["purchase"])
    purchase_aggs = [nw.len().alias("purchase_rows")]
    if "revenue" in columns:
        purchase_aggs.append(nw.col(REVENUE).sum().alias("revenue"))
    if "order_id" in columns:
        purchases_for_orders = purchases.with_columns(
            nw.col(ORDER).is_null().cast(nw.Int64).alias("_no_order")
        )
        purchase_aggs += [
            nw.col(ORDER).n_unique().alias("order_ids"),
            nw.col("_no_order").sum().alias("no_order_rows"),
            nw.col("_no_order").max().alias("any_no_order"),
        ]
    else:
        purchases_for_orders = purchases
    active = purchases.select(*keys, CUSTOMER).unique()
    first = nw.col(TIMESTAMP).min().alias("_first")
    if moments:
        firsts = purchases_for_orders.group_by(*keys, CUSTOMER).agg(
            first, *customer_total_aggs(columns)
        )
    else:
        firsts = purchases.group_by(*keys, CUSTOMER).agg(first)
    first_overall = firsts.group_by(CUSTOMER).agg(nw.col("_first").min().alias("_first_all"))
    new = firsts.join(first_overall, on=CUSTOMER).filter(nw.col("_first") == nw.col("_first_all"))
    plans: dict[str, nw.LazyFrame[Any]] = {
        "events": grouped(lf, keys, nw.len().alias("events")),
        "purchases": grouped(purchases_for_orders, keys, *purchase_aggs),
        **_customer_plans(lf, active, keys, by, is_),
        "new": grouped(new, keys, nw.len().alias("new_customers")),
    }
    if "cost" in columns:
        plans["spend"] = grouped(
            lf.filter(is_["spend"]),
            keys,
            nw.col(COST).sum().alias("spend"),
            nw.len().alias("spend_rows"),
        )
    if moments:
        plans["moments"] = grouped(
            firsts.with_columns(*moment_columns(columns)), keys, *moment_sums()
        )
    if PERIOD in keys:
        plans.update(_retention_tables(lf, active, keys, by, churn))
    tables = {name: collect_table(plan, keys) for name, plan in plans.items()}
    tables["customers"] = _customer_table(tables)
    return tables
