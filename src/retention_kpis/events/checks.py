"""Row-level checks of event frames: problem counts per event type, then messages.

:func:`event_totals` counts rows and problems per ``event_type`` inside the
backend. A first aggregation screens the frame cheaply: null counts are exact
(rows minus non-null counts), and minimum, maximum and the summed distance of
scores to whole numbers tell whether any value could break a range rule. Only
when one could (or a value is nan) is the exact indicator-column aggregation run,
so valid frames are scanned once. :func:`raise_on_problems` turns the counts into
the first error found, naming the column, the problem, the number of rows and
the event types involved.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.columns import (
    CUSTOMER,
    EVENT,
    FRACTION,
    OPTIONAL,
    ORDER,
    SCORE,
    TIMESTAMP,
)
from retention_kpis._core.frames import collect, flag, plain
from retention_kpis._core.text import count_rows
from retention_kpis.events.schema import EventSchema, EventTypes
from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "check_order_ids",
    "event_totals",
    "exact_totals",
    "raise_on_problems",
    "row_flags",
    "screen_aggs",
    "screen_by_type",
    "screened_totals",
    "with_screen_columns",
]

_LARGEST = 1.7976931348623157e308  # the largest finite float: anything above is inf
_SCREENED = frozenset(
    {"rows", "_customers", "_timestamps", "_scores", "_score_min", "_score_max", "_score_fraction"}
    | {f"_{role}{end}" for role in ("revenue", "cost") for end in ("s", "_min", "_max")}
)
"""The columns of :func:`screen_aggs`."""


def row_flags(
    present: frozenset[str], types: EventTypes, csat_scale: tuple[int, int]
) -> dict[str, Any]:
    """Return 0/1 indicator columns of every row-level problem, to sum per event type."""
    flags: dict[str, Any] = {
        "null_customer": flag(nw.col(CUSTOMER).is_null()),
        "null_timestamp": flag(nw.col(TIMESTAMP).is_null()),
    }
    for role in ("revenue", "cost"):
        if role in present:
            flags[f"negative_{role}"] = flag(nw.col(OPTIONAL[role]) < 0)
            flags[f"infinite_{role}"] = flag(nw.col(OPTIONAL[role]).abs() == float("inf"))
            flags[f"null_{role}"] = flag(nw.col(OPTIONAL[role]).is_null())
    if "score" in present:
        score = nw.col(SCORE)
        fractional = score.round(0) != score
        low, high = csat_scale
        flags["null_score"] = flag(score.is_null())
        flags["bad_nps"] = flag(
            (nw.col(EVENT) == types.nps_response) & ((score < 0) | (score > 10) | fractional)
        )
        flags["bad_csat"] = flag(
            (nw.col(EVENT) == types.csat_response) & ((score < low) | (score > high) | fractional)
        )
    return flags


def screen_aggs(present: frozenset[str]) -> list[nw.Expr]:
    """Cheap aggregations screening a group of events: exact null counts, bounds of values.

    They need the column of :func:`with_screen_columns`. Grouped by ``event_type`` (and
    any finer keys), :func:`screened_totals` reads them back as problem counts.
    """
    aggs = [
        nw.len().alias("rows"),
        nw.col(CUSTOMER).count().alias("_customers"),
        nw.col(TIMESTAMP).count().alias("_timestamps"),
    ]
    for role in ("revenue", "cost"):
        if role in present:
            column = nw.col(OPTIONAL[role])
            aggs += [
                column.count().alias(f"_{role}s"),
                column.min().alias(f"_{role}_min"),
                column.max().alias(f"_{role}_max"),
            ]
    if "score" in present:
        score = nw.col(SCORE)
        aggs += [
            score.count().alias("_scores"),
            score.min().alias("_score_min"),
            score.max().alias("_score_max"),
            nw.col(FRACTION).sum().alias("_score_fraction"),
        ]
    return aggs


def with_screen_columns(canonical: nw.LazyFrame[Any], present: frozenset[str]) -> nw.LazyFrame[Any]:
    """Add the helper column :func:`screen_aggs` sums: a score's distance to a whole number."""
    if "score" not in present:
        return canonical
    # nan and infinities make the distance nan, which is not 0: the exact check then runs.
    distance = (nw.col(SCORE) - nw.col(SCORE).round(0)).abs()
    return canonical.with_columns(distance.alias(FRACTION))


def screen_by_type(canonical: nw.LazyFrame[Any], present: frozenset[str]) -> list[dict[str, Any]]:
    """Return the rows of :func:`screen_aggs` grouped by ``event_type``, from cheaper queries.

    The null counts of the customer and timestamp columns come first (polars keeps them
    with its in-memory columns); the group-by over every row then counts rows per event
    type, and non-null values only of a column that has nulls. Counts and bounds of
    revenue, cost and scores come from a second group-by over the rows that hold one of
    them (few rows: purchases, spend rows, survey responses): a type without such a row
    has none of those values. Used on polars, whose grouped counts and bounds over every
    row cost more than those small queries (10M events in memory, medians of 9 alternated
    calls: 0.30 -> 0.17 s; on DuckDB the extra scans made it slower, 0.68 -> 0.91 s).
    """
    columns = {CUSTOMER: "_customers", TIMESTAMP: "_timestamps"}
    nulls = collect(
        canonical.select(*[nw.col(column).null_count().alias(column) for column in columns])
    ).rows(named=True)[0]
    counted = {column: name for column, name in columns.items() if nulls[column]}
    rows = collect(
        canonical.group_by(EVENT).agg(
            nw.len().alias("rows"),
            *[nw.col(column).count().alias(name) for column, name in counted.items()],
        )
    ).rows(named=True)
    valued = {OPTIONAL[role]: role for role in ("revenue", "cost", "score") if role in present}
    aggs: list[nw.Expr] = []
    for column, role in valued.items():
        value = nw.col(column)
        aggs += [
            value.count().alias(f"_{role}s"),
            value.min().alias(f"_{role}_min"),
            value.max().alias(f"_{role}_max"),
        ]
    if "score" in present:
        aggs.append(nw.col(FRACTION).sum().alias("_score_fraction"))
    found: dict[object, dict[str, Any]] = {}
    if valued:
        held = [~nw.col(column).is_null() for column in valued]
        any_value = held[0]
        for more in held[1:]:
            any_value = any_value | more
        holders = with_screen_columns(canonical.filter(any_value), present)
        found = {
            row.pop(EVENT): row
            for row in collect(holders.group_by(EVENT).agg(*aggs)).rows(named=True)
        }
    none: dict[str, Any] = {
        **{f"_{role}s": 0 for role in valued.values()},
        **{f"_{role}_{end}": None for role in valued.values() for end in ("min", "max")},
        **({"_score_fraction": 0.0} if "score" in present else {}),
    }
    screened = []
    for row in rows:
        for column, name in columns.items():
            if column not in counted:  # no null in the column
                row[name] = row["rows"]
        screened.append({**row, **found.get(row[EVENT], none)})
    return screened


def _combined(values: list[Any], pick: Any) -> Any:  # noqa: ANN401 - backend scalars
    """``pick`` (min, max or sum) of the non-null values of finer groups; nan wins; None if none."""
    found = [plain(value) for value in values]
    numbers = [float(value) for value in found if value is not None]  # type: ignore[arg-type]
    if not numbers:
        return None
    if any(math.isnan(number) for number in numbers):
        return math.nan
    return pick(numbers)


def _per_event_type(rows: Iterable[dict[str, Any]]) -> dict[object, dict[str, Any]]:
    """Combine screened rows grouped finer than ``event_type`` into one row per event type."""
    groups: dict[object, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(plain(row[EVENT]), []).append(row)
    combined: dict[object, dict[str, Any]] = {}
    for name, parts in groups.items():
        merged: dict[str, Any] = {EVENT: name}
        for column in parts[0]:
            if column not in _SCREENED:  # the caller's group keys and other aggregations
                continue
            values = [part[column] for part in parts]
            if column.endswith("_min"):
                merged[column] = _combined(values, min)
            elif column.endswith("_max"):
                merged[column] = _combined(values, max)
            elif column == "_score_fraction":
                merged[column] = _combined(values, sum)
            else:  # counts
                merged[column] = sum(int(plain(value) or 0) for value in values)  # type: ignore[call-overload]
        combined[name] = merged
    return combined


def _at_least(value: Any, low: float) -> bool:  # noqa: ANN401 - a backend scalar
    """``value >= low`` for a backend scalar; False for nan (which then gets the exact check)."""
    return bool(float(value) >= low)


def _screened(
    row: dict[str, Any], types: EventTypes, csat_scale: tuple[int, int]
) -> dict[str, int] | None:
    """Exact counts from one screened row; None when a value may break a rule.

    Minimums and maximums are read only when the group holds non-null values, so a
    nan (a backend's all-nan minimum, or the nan fraction of a nan or infinite score)
    always fails the comparison and sends the frame to the exact check.
    """
    rows = int(row["rows"])
    counts = {
        "rows": rows,
        "null_customer": rows - int(row["_customers"]),
        "null_timestamp": rows - int(row["_timestamps"]),
    }
    for role in ("revenue", "cost"):
        if f"_{role}s" in row:
            filled = int(row[f"_{role}s"])
            if filled and not (
                _at_least(row[f"_{role}_min"], 0.0)
                and _at_least(-float(row[f"_{role}_max"]), -_LARGEST)
            ):
                return None
            counts[f"null_{role}"] = rows - filled
            counts[f"negative_{role}"] = 0
            counts[f"infinite_{role}"] = 0
    if "_scores" in row:
        filled = int(row["_scores"])
        bounds = {types.nps_response: (0, 10), types.csat_response: csat_scale}.get(row[EVENT])
        if (
            bounds is not None
            and filled
            and not (
                _at_least(row["_score_min"], bounds[0])
                and _at_least(-float(row["_score_max"]), -bounds[1])
                and float(row["_score_fraction"]) == 0
            )
        ):
            return None
        counts.update(null_score=rows - filled, bad_nps=0, bad_csat=0)
    return counts


def screened_totals(
    rows: Iterable[dict[str, Any]], types: EventTypes, csat_scale: tuple[int, int]
) -> list[tuple[object, dict[str, int]]] | None:
    """Problem counts per event type from rows of :func:`screen_aggs`; None if not decided.

    The rows may be grouped finer than by ``event_type`` (by period and segment as well,
    as the report's first query does): they are combined per event type first. None when
    a value may break a rule: then :func:`exact_totals` counts the problems.
    """
    totals = []
    for name, row in _per_event_type(rows).items():
        counts = _screened(row, types, csat_scale)
        if counts is None:
            return None
        totals.append((name, counts))
    return totals


def exact_totals(
    canonical: nw.LazyFrame[Any],
    present: frozenset[str],
    types: EventTypes,
    csat_scale: tuple[int, int],
) -> list[tuple[object, dict[str, int]]]:
    """Problem counts per event type from the indicator columns of :func:`row_flags`."""
    flags = row_flags(present, types, csat_scale)
    exact = collect(
        canonical.with_columns(**flags)
        .group_by(EVENT)
        .agg(nw.len().alias("rows"), *[nw.col(name).sum() for name in flags])
    )
    return [
        (plain(row[EVENT]), {key: int(value) for key, value in row.items() if key != EVENT})
        for row in exact.rows(named=True)
    ]


def event_totals(
    canonical: nw.LazyFrame[Any],
    present: frozenset[str],
    types: EventTypes,
    csat_scale: tuple[int, int],
) -> list[tuple[object, dict[str, int]]]:
    """Return ``(event_type value, problem counts)`` per event type, counted in the backend.

    The counts are those of :func:`row_flags` summed per event type, plus ``rows``.
    Values are plain Python (nan read as None, see :func:`~retention_kpis._core.frames.plain`).
    """
    screened = with_screen_columns(canonical, present)
    summary = collect(screened.group_by(EVENT).agg(*screen_aggs(present)))
    totals = screened_totals(summary.rows(named=True), types, csat_scale)
    if totals is not None:
        return totals
    return exact_totals(canonical, present, types, csat_scale)


def raise_on_problems(
    totals: dict[str, dict[str, int]],
    schema: EventSchema,
    csat_scale: tuple[int, int],
) -> None:
    """Raise the first problem found, naming the column, the problem and the row count."""
    types = schema.event_types

    def count(flag: str, kinds: Sequence[str] | None = None) -> tuple[int, str]:
        per_type = {
            name: row.get(flag, 0) for name, row in totals.items() if kinds is None or name in kinds
        }
        hit = sorted(name for name, n in per_type.items() if n)
        return sum(per_type.values()), ", ".join(repr(name) for name in hit)

    n, where = count("null_timestamp")
    if n:
        msg = (
            f"Column {schema.timestamp!r} of events is null on {count_rows(n)} "
            f"(event types: {where})."
        )
        raise InvalidInputError(msg)
    customer_kinds = [name for name in types.known() if name != types.spend]
    n, where = count("null_customer", customer_kinds)
    if n:
        msg = (
            f"Column {schema.customer_id!r} of events is null on {count_rows(n)} of customer "
            f"events (event types: {where}). Only {types.spend!r} rows may have no customer."
        )
        raise InvalidInputError(msg)
    checks = [
        ("infinite_revenue", None, schema.revenue, "must be finite"),
        ("negative_revenue", None, schema.revenue, "must be >= 0 (refunds are not supported)"),
        ("infinite_cost", None, schema.cost, "must be finite"),
        ("null_revenue", [types.purchase], schema.revenue, "must not be null on purchases"),
        ("negative_cost", None, schema.cost, "must be >= 0"),
        ("null_cost", [types.spend], schema.cost, "must not be null on spend rows"),
        (
            "null_score",
            [types.nps_response, types.csat_response],
            schema.score,
            "must not be null on survey responses",
        ),
        ("bad_nps", None, schema.score, "must hold whole NPS scores in [0, 10] on NPS responses"),
        (
            "bad_csat",
            None,
            schema.score,
            (
                f"must hold whole CSAT scores in [{csat_scale[0]}, {csat_scale[1]}] "
                "(csat_scale) on CSAT responses"
            ),
        ),
    ]
    for problem, kinds, column, requirement in checks:
        n, where = count(problem, kinds)
        if n:
            msg = (
                f"Column {column!r} of events {requirement}. "
                f"Got {count_rows(n)} that {'does' if n == 1 else 'do'} not (event types: {where})."
            )
            raise InvalidInputError(msg)


def check_order_ids(
    canonical: nw.LazyFrame[Any], schema: EventSchema, *, float_customers: bool | None = None
) -> None:
    """Raise when one order id belongs to purchases of more than one customer.

    Rows of one order (line items) are summed into one order, so an id shared by
    two customers would make one order out of two people's purchases.
    ``float_customers`` says whether the customer column is a float column (read from
    the frame's schema when None: a query of its own on SQLFrame).
    """
    purchases = canonical.filter(
        (nw.col(EVENT) == schema.event_types.purchase)
        & ~nw.col(ORDER).is_null()
        & ~nw.col(CUSTOMER).is_null()
    )
    implementation = canonical.implementation
    eager = implementation.is_pandas_like() or implementation.is_pyarrow()
    if float_customers is None:
        float_customers = canonical.collect_schema()[CUSTOMER].is_float()
    if eager or float_customers:
        # pandas cannot order unordered categoricals; polars' max skips nan.
        aggs = [nw.col(CUSTOMER).n_unique().alias("_customers")]
        many = nw.col("_customers") > 1
    else:
        # Engines compare an id's smallest and largest customer faster than they count them.
        aggs = [nw.col(CUSTOMER).min().alias("_lowest"), nw.col(CUSTOMER).max().alias("_highest")]
        many = nw.col("_lowest") != nw.col("_highest")
    shared = purchases.group_by(ORDER).agg(*aggs, nw.len().alias("rows")).filter(many)
    found = collect(shared.select(nw.len().alias("orders"), nw.col("rows").sum().alias("rows")))
    orders = int(found.item(0, "orders") or 0)
    if orders:
        first = collect(shared.sort(ORDER).head(1)).item(0, ORDER)
        msg = (
            f"Column {schema.order_id!r} of events holds {orders} order "
            f"id{'s' if orders != 1 else ''} shared by more than one customer "
            f"({count_rows(int(found.item(0, 'rows')))}; first: {first!r}).\n"
            "Hint: an order id must belong to one customer; make the ids unique per customer."
        )
        raise InvalidInputError(msg)
