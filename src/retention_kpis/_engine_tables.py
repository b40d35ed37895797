"""The aggregated tables of :func:`~retention_kpis._aggregate.aggregate` on query engines.

Engines (polars, DuckDB, PySpark, ...) pay for every scan of the events, so the
tables come from three queries instead of one per table:

1. **customer periods**: one group-by of every event on ``(*keys, customer)``
   (rows, visited, purchased, first purchase time), then two window functions
   over that much smaller frame: the customer's first purchase in the whole
   frame, and the previous period in which they purchased in the same segment.
   One more group-by on the keys gives events, visitors, active customers,
   converted visitors (visited and purchased), new customers (first purchase in
   the frame falls in the key) and retained customers (purchased in the key and
   in the calendar-previous period of the same segment).
2. **money and surveys**: purchases, spend rows and survey responses only,
   grouped on ``(*keys, event type, score of survey rows)``: purchase rows,
   revenue, distinct order ids, spend and responses per score value.
3. **churned** (``churn_from="events"``): previous-period purchasers with a
   churn event, as on the eager backends.

Every count is an integer computed in the engine; they equal the eager
backends' joins of distinct pairs (null segments match null segments: window
partitions group nulls together, as the eager path's null-safe comparison does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._aggregate import PERIOD, Key, _collect, _grouped, churned_plan
from retention_kpis._event_checks import COST, CUSTOMER, EVENT, ORDER, REVENUE, SCORE, TIMESTAMP
from retention_kpis.events import EventTypes

__all__ = ["engine_tables"]


def _flag(condition: nw.Expr) -> nw.Expr:
    return condition.fill_null(value=False).cast(nw.Int64)


def _customer_periods(
    lf: nw.LazyFrame[Any], keys: list[str], types: EventTypes
) -> nw.LazyFrame[Any]:
    """Plan of the first query: events, visitors, active and converted customers per key."""
    per_customer = (
        lf.select(
            *keys,
            CUSTOMER,
            _flag(nw.col(EVENT) == types.visit).alias("_visited"),
            _flag(nw.col(EVENT) == types.purchase).alias("_bought"),
        )
        .group_by(*keys, CUSTOMER)
        .agg(nw.len().alias("_events"), nw.col("_visited").max(), nw.col("_bought").max())
        .with_columns((nw.col("_visited") * nw.col("_bought")).alias("_converted"))
    )
    return _grouped(
        per_customer,
        keys,
        nw.col("_events").sum().alias("events"),
        nw.col("_visited").sum().alias("visitors"),
        nw.col("_bought").sum().alias("active"),
        nw.col("_converted").sum().alias("converted"),
    )


def _purchasers(
    lf: nw.LazyFrame[Any], keys: list[str], by: Sequence[str], types: EventTypes
) -> nw.LazyFrame[Any]:
    """Plan of the second query: new and retained customers per key, from purchases only."""
    per_customer = (
        lf.filter(nw.col(EVENT) == types.purchase)
        .select(*keys, CUSTOMER, TIMESTAMP)
        .group_by(*keys, CUSTOMER)
        .agg(nw.col(TIMESTAMP).min().alias("_first"))
    )
    windows = [nw.col("_first").min().over(CUSTOMER).alias("_first_all")]
    flags = [_flag(nw.col("_first") == nw.col("_first_all")).alias("_new")]
    aggs = [nw.col("_new").sum().alias("new_customers")]
    if PERIOD in keys:
        # A period appears once per (segment, customer): the previous row is the customer's
        # previous purchasing period in the segment (null segments form one partition).
        previous = nw.col(PERIOD).shift(1).over(*by, CUSTOMER, order_by=PERIOD)
        windows.append(previous.alias("_previous"))
        flags.append(_flag(nw.col("_previous") == nw.col(PERIOD) - 1).alias("_retained"))
        aggs.append(nw.col("_retained").sum().alias("retained"))
    return _grouped(per_customer.with_columns(*windows).with_columns(*flags), keys, *aggs)


def _money_and_surveys(
    lf: nw.LazyFrame[Any], keys: list[str], types: EventTypes, columns: frozenset[str]
) -> tuple[nw.LazyFrame[Any], list[str]]:
    """Plan of the second query, and its group columns."""
    kinds = [types.purchase]
    if "cost" in columns:
        kinds.append(types.spend)
    surveys = [types.nps_response, types.csat_response] if "score" in columns else []
    rows = lf.filter(nw.col(EVENT).is_in([*kinds, *surveys]))
    group = [*keys, EVENT]
    derived = []
    aggs = [nw.len().alias("rows")]
    if surveys:
        # Scores split survey rows only: purchases and spend rows stay one group per key.
        derived.append(nw.when(nw.col(EVENT).is_in(surveys)).then(nw.col(SCORE)).alias(SCORE))
        group.append(SCORE)
    if "revenue" in columns:
        aggs.append(nw.col(REVENUE).sum().alias("revenue"))
    if "cost" in columns:
        aggs.append(nw.col(COST).sum().alias("spend"))
    if "order_id" in columns:
        derived.append(nw.col(ORDER).is_null().cast(nw.Int64).alias("_no_order"))
        aggs += [
            nw.col(ORDER).n_unique().alias("order_ids"),
            nw.col("_no_order").sum().alias("no_order_rows"),
            nw.col("_no_order").max().alias("any_no_order"),
        ]
    if derived:
        rows = rows.with_columns(*derived)
    return rows.group_by(*group).agg(*aggs), group


def engine_tables(
    lf: nw.LazyFrame[Any],
    keys: list[str],
    by: Sequence[str],
    *,
    types: EventTypes,
    columns: frozenset[str],
    churn: str | None,
) -> tuple[dict[str, dict[Key, dict[str, Any]]], dict[Key, dict[str, Any]] | None]:
    """Return the aggregated tables, and the survey responses per ``(*keys, type, score)``.

    The tables are those of the eager path: ``events``, ``purchases``, ``customers``
    (visitors, active, converted), ``new``, ``spend`` (with costs), ``retained`` and
    ``churned`` (with periods; ``churned`` when ``churn`` names the churn event).
    """
    main = _collect(_customer_periods(lf, keys, types), keys)
    tables: dict[str, dict[Key, dict[str, Any]]] = {
        "events": {key: {"events": row.pop("events")} for key, row in main.items()},
        "customers": main,
        "purchases": {},
    }
    purchasers = _collect(_purchasers(lf, keys, by, types), keys)
    tables["new"] = {key: {"new_customers": row["new_customers"]} for key, row in purchasers.items()}
    if PERIOD in keys:
        tables["retained"] = {key: {"retained": row["retained"]} for key, row in purchasers.items()}
    if "cost" in columns:
        tables["spend"] = {}
    plan, group = _money_and_surveys(lf, keys, types, columns)
    responses: dict[Key, dict[str, Any]] | None = {} if "score" in columns else None
    for full_key, row in _collect(plan, group).items():
        key, kind = full_key[: len(keys)], full_key[len(keys)]
        if kind == types.purchase:
            purchase_row = {"purchase_rows": row.pop("rows"), **row}
            purchase_row.pop("spend", None)
            tables["purchases"][key] = purchase_row
        elif kind == types.spend:
            tables["spend"][key] = {"spend": row["spend"], "spend_rows": row["rows"]}
        elif responses is not None:
            responses[full_key] = {"responses": row["rows"]}
    if churn is not None and PERIOD in keys:
        purchasers = lf.filter(nw.col(EVENT) == types.purchase).select(*keys, CUSTOMER).unique()
        tables["churned"] = _collect(churned_plan(lf, purchasers, keys, churn), keys)
    return tables, responses
