"""Backend-side aggregation of validated events into small per-(period, segment) tables.

Everything here is a narwhals expression run inside the events' own backend;
only the aggregated tables (one row per period and segment, or per score value)
are collected. No KPI formula lives here: only counts and sums, which
:mod:`retention_kpis.report` turns into KPIs with the pure metric functions.

Periods are integer indexes computed from the calendar fields, so the previous
period is ``index - 1`` on every backend:

* ``"D"``: days since 1970-01-01;
* ``"W"``: weeks since Monday 1969-12-29 (weeks start on Monday);
* ``"M"``: ``12 * year + month - 1``; ``"Q"``: ``4 * year + quarter - 1``; ``"Y"``: the year.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeAlias

import narwhals.stable.v2 as nw

from retention_kpis._event_checks import COST, CUSTOMER, EVENT, ORDER, REVENUE, SCORE, TIMESTAMP
from retention_kpis.events import EventTypes, plain
from retention_kpis.exceptions import InvalidInputError

__all__ = ["PERIOD", "Aggregates", "Period", "aggregate", "period_adder", "period_start"]

Period: TypeAlias = Literal["D", "W", "M", "Q", "Y"]
Key: TypeAlias = tuple[Any, ...]
WithPeriod: TypeAlias = Callable[[nw.LazyFrame[Any]], nw.LazyFrame[Any]]
PERIOD = "__rk_period"
_DAY = "__rk_day"
_EPOCH = dt.date(1970, 1, 1)
_FIRST_MONDAY = dt.date(1969, 12, 29)
_LEAP_DAYS_BEFORE_1970 = 1969 // 4 - 1969 // 100 + 1969 // 400
_LOOKUP_DAYS = 1 << 20  # days (about 2,870 years) up to which polars looks periods up


def _days_since_epoch(column: str = TIMESTAMP) -> nw.Expr:
    """Days since 1970-01-01 from year and day of year (proleptic Gregorian)."""
    year = nw.col(column).dt.year().cast(nw.Int64)
    before = year - 1
    leap_days = before // 4 - before // 100 + before // 400 - _LEAP_DAYS_BEFORE_1970
    ordinal = nw.col(column).dt.ordinal_day().cast(nw.Int64)
    return (year - 1970) * 365 + leap_days + ordinal - 1


def period_index(period: Period, column: str = TIMESTAMP) -> nw.Expr:
    """Return the integer index of each row's period (see the module docstring).

    ``column`` holds datetimes or dates (the same index either way).
    """
    year = nw.col(column).dt.year().cast(nw.Int64)
    month = nw.col(column).dt.month().cast(nw.Int64)
    if period == "D":
        return _days_since_epoch(column)
    if period == "W":
        return (_days_since_epoch(column) + 3) // 7
    if period == "M":
        return year * 12 + month - 1
    if period == "Q":
        return year * 4 + (month - 1) // 3
    return year


def period_start(period: Period | None, index: int | None) -> dt.date | None:
    """Return the first day of a period from its integer index.

    Examples
    --------
    >>> period_start("M", 2024 * 12 + 1), period_start("W", 0), period_start(None, None)
    (datetime.date(2024, 2, 1), datetime.date(1969, 12, 29), None)
    """
    if period is None or index is None:
        return None
    starts = {
        "D": lambda i: _EPOCH + dt.timedelta(days=i),
        "W": lambda i: _FIRST_MONDAY + dt.timedelta(weeks=i),
        "M": lambda i: dt.date(i // 12, i % 12 + 1, 1),
        "Q": lambda i: dt.date(i // 4, 3 * (i % 4) + 1, 1),
        "Y": lambda i: dt.date(i, 1, 1),
    }
    try:
        start: dt.date = starts[period](index)
    except (ValueError, OverflowError) as exc:  # a datetime column of polars, ... beyond year 9999
        msg = (
            "Timestamps of events must fall in the years 1 to 9999 (the range of Python dates). "
            f"Got one outside it (period {period!r}, index {index})."
        )
        raise InvalidInputError(msg) from exc
    return start


@dataclasses.dataclass(frozen=True)
class Aggregates:
    """Collected aggregates, keyed by ``(period index, *segment values)``.

    ``tables[name][key]`` holds the named columns of one aggregated table;
    ``scores[key][event_type]`` maps a survey score to its response count.
    """

    keys: tuple[Key, ...]
    tables: dict[str, dict[Key, dict[str, Any]]]
    scores: dict[Key, dict[str, dict[float, int]]]


def _grouped(lf: nw.LazyFrame[Any], keys: Sequence[str], *aggs: nw.Expr) -> nw.LazyFrame[Any]:
    if keys:
        return lf.group_by(*keys).agg(*aggs)
    return lf.select(*aggs)


def _collect(lf: nw.LazyFrame[Any], keys: Sequence[str]) -> dict[Key, dict[str, Any]]:
    table: dict[Key, dict[str, Any]] = {}
    for row in lf.collect().rows(named=True):
        key = tuple(plain(row[name]) for name in keys)
        table[key] = {name: plain(value) for name, value in row.items() if name not in keys}
    return table


def _same_segment(lf: nw.LazyFrame[Any], by: Sequence[str]) -> nw.LazyFrame[Any]:
    """Keep rows whose ``by`` columns equal their ``_prev`` twins (null equals null)."""
    for name in by:
        left, right = nw.col(name), nw.col(f"{name}_prev")
        lf = lf.filter((left == right).fill_null(value=False) | (left.is_null() & right.is_null()))
    return lf


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
        return {"customers": _grouped(either, keys, *aggs)}
    visitors = events.filter(is_["visit"]).select(*keys, CUSTOMER).unique()
    # Joined on (period, customer) and compared on the segments null-safely: joins on null
    # keys differ between pandas and SQL engines.
    on = [CUSTOMER] if len(keys) == len(by) else [PERIOD, CUSTOMER]
    converted = _same_segment(visitors.join(active, on=on, suffix="_prev"), by)
    return {
        "visitors": _grouped(visitors, keys, nw.len().alias("visitors")),
        "converted": _grouped(converted, keys, nw.len().alias("converted")),
        "active": _grouped(active, keys, nw.len().alias("active")),
    }


def _customer_table(tables: dict[str, dict[Key, dict[str, Any]]]) -> dict[Key, dict[str, Any]]:
    """Visitors, active and converted per key, from either formulation's collected tables."""
    if "customers" in tables:
        counts = {}
        for key, row in tables["customers"].items():
            visitors = int(row["visitor_values"]) - int(row["visitor_null"])
            active = int(row["buyer_values"]) - int(row["buyer_null"])
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
    return _grouped(lost, keys, nw.len().alias("churned"))


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
    retained = _same_segment(active.join(active_next, on=[PERIOD, CUSTOMER], suffix="_prev"), by)
    plans = {"retained": _grouped(retained, keys, nw.len().alias("retained"))}
    if churn is not None:
        plans["churned"] = churned_plan(lf, active, keys, churn)
    return plans


def _eager_tables(
    lf: nw.LazyFrame[Any],
    keys: list[str],
    by: Sequence[str],
    is_: dict[str, nw.Expr],
    *,
    columns: frozenset[str],
    churn: str | None,
) -> dict[str, dict[Key, dict[str, Any]]]:
    """Tables of the eager backends (pandas, pyarrow): one small aggregation per table.

    Eager backends run each step once anyway; sharing the filtered purchases between
    tables and joining distinct pairs is what makes them fast.
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
    firsts = purchases.group_by(*keys, CUSTOMER).agg(nw.col(TIMESTAMP).min().alias("_first"))
    first_overall = firsts.group_by(CUSTOMER).agg(nw.col("_first").min().alias("_first_all"))
    new = firsts.join(first_overall, on=CUSTOMER).filter(nw.col("_first") == nw.col("_first_all"))
    plans: dict[str, nw.LazyFrame[Any]] = {
        "events": _grouped(lf, keys, nw.len().alias("events")),
        "purchases": _grouped(purchases_for_orders, keys, *purchase_aggs),
        **_customer_plans(lf, active, keys, by, is_),
        "new": _grouped(new, keys, nw.len().alias("new_customers")),
    }
    if "cost" in columns:
        plans["spend"] = _grouped(
            lf.filter(is_["spend"]),
            keys,
            nw.col(COST).sum().alias("spend"),
            nw.len().alias("spend_rows"),
        )
    if PERIOD in keys:
        plans.update(_retention_tables(lf, active, keys, by, churn))
    tables = {name: _collect(plan, keys) for name, plan in plans.items()}
    tables["customers"] = _customer_table(tables)
    return tables


def _scores(responses: dict[Key, dict[str, Any]]) -> dict[Key, dict[str, dict[float, int]]]:
    """Responses per key, survey type and score, from rows keyed ``(*keys, type, score)``."""
    scores: dict[Key, dict[str, dict[float, int]]] = {}
    for key, row in responses.items():
        *segment, kind, score = key
        per_kind = scores.setdefault(tuple(segment), {}).setdefault(str(kind), {})
        per_kind[float(score)] = int(row["responses"])
    return scores


def _unchanged(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    return frame


def _polars_periods(lf: nw.LazyFrame[Any], period: Period) -> WithPeriod:
    """Add the period index on polars by looking each row's day up in a table of the days.

    polars reads calendar fields slowly (year and month of 12M dates take about 0.1 s,
    four times a gather by day); the table holds :func:`period_index` of every day from
    the first to the last event, computed by the same expression. The gather is applied
    after each query's filter (polars does not push filters below it). Frames spanning
    more than ``_LOOKUP_DAYS`` days, or empty ones, use the expression itself.
    """
    import polars as pl  # noqa: PLC0415 - only reached with polars frames

    day = nw.col(TIMESTAMP).cast(nw.Date())

    def by_expression(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        return frame.with_columns(day.alias(_DAY)).with_columns(
            period_index(period, _DAY).alias(PERIOD)
        )

    # Days since 1970 of the first and last timestamps (casting two values, not every row).
    timestamps = nw.col(TIMESTAMP)
    first, last = (
        lf.select(timestamps.min().alias("first"), timestamps.max().alias("last"))
        .select(nw.all().cast(nw.Date()).cast(nw.Int32()))
        .collect()
        .rows()[0]
    )
    if first is None or last - first >= _LOOKUP_DAYS:
        return by_expression
    days = pl.select(pl.int_range(first, last + 1).cast(pl.Date).alias(_DAY))
    table = nw.from_native(days).select(period_index(period, _DAY)).to_native().to_series()
    offset = pl.col(TIMESTAMP).cast(pl.Date).cast(pl.Int32) - first

    def by_lookup(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        native = frame.to_native().with_columns(pl.lit(table).gather(offset).alias(PERIOD))
        result: nw.LazyFrame[Any] = nw.from_native(native)
        return result

    return by_lookup


def period_adder(lf: nw.LazyFrame[Any], period: Period | None) -> WithPeriod:
    """Return a function adding the ``PERIOD`` column to frames of ``lf``'s events.

    Apply it after filtering: on polars it gathers from a per-day table
    (:func:`_polars_periods`), which polars does not push filters below; elsewhere it
    adds :func:`period_index`. With no period, frames are returned unchanged.
    """
    if period is None:
        return _unchanged
    if lf.implementation.is_polars():
        return _polars_periods(lf, period)
    expression = period_index(period).alias(PERIOD)

    def with_period(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        return frame.with_columns(expression)

    return with_period


def aggregate(
    lf: nw.LazyFrame[Any],
    *,
    types: EventTypes,
    period: Period | None,
    by: Sequence[str],
    columns: frozenset[str],
    churned: bool = True,
) -> Aggregates:
    """Aggregate validated events per period and segment inside their backend.

    Eager backends (pandas, pyarrow) run one small aggregation per table; engines
    (polars, DuckDB, PySpark, ...) run three queries, see ``retention_kpis._engine_tables``.

    Parameters
    ----------
    lf : narwhals.LazyFrame
        Events with the canonical columns of :func:`~retention_kpis.validate_events`.
    types : EventTypes
        Event type names.
    period : {"D", "W", "M", "Q", "Y"} or None
        Period length; None makes the whole frame one period.
    by : sequence of str
        Segment columns.
    columns : frozenset of str
        Optional roles present (``"revenue"``, ``"cost"``, ``"score"``, ``"order_id"``).
    churned : bool, default=True
        Also count the previous period's active customers with a churn event (the
        ``"churned"`` table, needed by ``churn_from="events"`` only).

    Returns
    -------
    Aggregates
        Small collected tables keyed by ``(period index, *segment values)``.
    """
    keys = [PERIOD, *by] if period is not None else list(by)
    implementation = lf.implementation
    with_period = period_adder(lf, period)
    is_ = {kind: nw.col(EVENT) == name for kind, name in types.named().items()}
    churn = types.churn if churned else None
    scores: dict[Key, dict[str, dict[float, int]]] = {}
    if implementation.is_pandas_like() or implementation.is_pyarrow():
        lf = with_period(lf)
        tables = _eager_tables(lf, keys, by, is_, columns=columns, churn=churn)
        if "score" in columns:
            surveys = lf.filter(is_["nps_response"] | is_["csat_response"])
            counts = surveys.group_by(*keys, EVENT, SCORE).agg(nw.len().alias("responses"))
            scores = _scores(_collect(counts, [*keys, EVENT, SCORE]))
    else:
        # engine_tables builds on this module's helpers, so it is imported here.
        from retention_kpis._engine_tables import engine_tables  # noqa: PLC0415

        tables, responses = engine_tables(
            lf, keys, by, types=types, columns=columns, churn=churn, with_period=with_period
        )
        scores = _scores(responses or {})
    ordered = sorted(
        tables["events"], key=lambda key: tuple((v is None, str(type(v)), v) for v in key)
    )
    return Aggregates(keys=tuple(ordered), tables=tables, scores=scores)
