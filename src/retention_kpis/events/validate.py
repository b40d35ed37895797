"""Event validation: :func:`validate_events` checks a frame against the contract.

The checks run inside the frame's own backend (lazy frames stay lazy); the frame
comes back with the canonical column names of :mod:`retention_kpis._core.columns`,
ready for :func:`~retention_kpis.compute_kpis` and the journey analyses. The
row-level checks themselves are in :mod:`retention_kpis.events.checks`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import narwhals.stable.v2 as nw
from narwhals.stable.v2.dtypes import DType

from retention_kpis._core.columns import CUSTOMER, EVENT, OPTIONAL, PREFIX, TIMESTAMP
from retention_kpis._core.frames import as_lazy, collect, flag, forget_dropped_names
from retention_kpis._core.text import count_rows
from retention_kpis._core.timestamps import parse_timestamps
from retention_kpis.events.checks import (
    check_order_ids,
    exact_totals,
    raise_on_problems,
    screen_aggs,
    screen_by_type,
    screened_totals,
    with_screen_columns,
)
from retention_kpis.events.schema import EventSchema, EventTypes, PreparedEvents, UnknownEvents
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

__all__ = [
    "PendingEvents",
    "finish_events",
    "prepare_events",
    "require_columns",
    "screen_rows",
    "validate_events",
    "validate_with_types",
]


def require_columns(wanted: Sequence[str], available: Sequence[str], why: str) -> None:
    """Raise ColumnNotFoundError naming the missing columns, the available ones and the fix."""
    missing = [name for name in wanted if name not in available]
    if missing:
        msg = (
            f"Missing column(s) {missing} in events ({why}). "
            f"Available columns: {list(available)}.\n"
            "Hint: map your column names with EventSchema(customer_id='user_id', ...), "
            "or pass `by` columns that exist."
        )
        # SQLFrame's schema spells names that need quoting in SQL quoted (`customer id`).
        quoted = [name for name in missing if {f"`{name}`", f'"{name}"'} & set(available)]
        if quoted:
            msg += (
                f"\nSQLFrame lists {quoted} quoted: select them under names without spaces "
                "first, e.g. frame.select(F.col('customer id').alias('customer_id'), ...)."
            )
        raise ColumnNotFoundError(msg)


def _closest_kind(value: str, kinds: Sequence[str]) -> str | None:
    """Return the kind a value most likely means (difflib on it and its words), or None."""
    words = [value.lower(), *re.split(r"[^a-z0-9]+", value.lower())]
    for word in words:
        close = difflib.get_close_matches(word, kinds, n=1, cutoff=0.75)
        if close:
            return close[0]
    return None


def _mapping_hint(unknown: Sequence[str], types: EventTypes, present: Collection[str]) -> str:
    """Suggest mapping unknown event types to kinds whose own name the data lacks."""
    free = [kind for kind, value in types.named().items() if value not in present]
    pairs: dict[str, str] = {}
    for value in unknown:
        kind = _closest_kind(value, [kind for kind in free if kind not in pairs])
        if kind is not None:
            pairs[kind] = value
    if pairs:
        python = ", ".join(f"{kind}={value!r}" for kind, value in pairs.items())
        flags = " ".join(f"--event {kind}={value}" for kind, value in pairs.items())
        first = f"map them to their kinds: EventTypes({python}) (console script: {flags}); "
    else:
        first = (
            "map each to its kind: EventTypes(purchase='...') "
            "(console script: --event purchase=...); "
        )
    return (
        f"{first}name the others in EventSchema(event_types=EventTypes(other=(...))), or pass "
        "unknown_events='ignore' (their rows are dropped)."
    )


def _numeric(lf: nw.LazyFrame[Any], column: str, dtype: DType) -> nw.Expr:
    """Return a numeric column as Float64; an all-null column of another dtype reads as nulls.

    Casting up front keeps sums exact and alike on every backend: polars sums an
    Int32 column in Int32 (wrapping past 2**31), DuckDB sums decimals as Decimal.
    A float nan becomes null, as pandas reads it, so every backend counts it as
    a missing value (polars, pyarrow and DuckDB keep nan apart from null).
    """
    if dtype.is_float():
        values = nw.col(column) if dtype == nw.Float64 else nw.col(column).cast(nw.Float64())
        return values if _nan_is_null(lf, column) else values.fill_nan(None)
    if dtype.is_numeric():  # integers and decimals hold no nan
        if lf.implementation.is_pyarrow() and dtype in {nw.Int64, nw.UInt64}:
            return _wide_integer_as_float(column)
        return nw.col(column).cast(nw.Float64())
    filled = collect(lf.select(flag(~nw.col(column).is_null()).sum())).item()
    if filled:
        msg = f"Column {column!r} of events must be numeric. Got dtype {dtype} instead."
        raise InvalidInputError(msg)
    return nw.lit(None, dtype=nw.Float64())


def _key(lf: nw.LazyFrame[Any], column: str, dtype: DType) -> nw.Expr:
    """Return an id or segment column with one value per float key: nan -> null, -0.0 -> 0.0.

    Float keys are grouped by the backends apart where Python sees one key:
    polars, pyarrow and DuckDB keep nan apart from null (pandas reads nan as
    null), and pyarrow groups -0.0 apart from 0.0 (which compare equal, so the
    zero is written anew). Other dtypes are kept as they are.
    """
    if not dtype.is_float():
        return nw.col(column)
    values = nw.when(nw.col(column) == 0).then(nw.lit(0.0)).otherwise(nw.col(column))
    return values if _nan_is_null(lf, column) else values.fill_nan(None)


def _check_reserved(by: Sequence[str]) -> None:
    """Refuse ``by`` columns named with the library's private prefix."""
    reserved = [name for name in by if str(name).startswith(PREFIX)]
    if reserved:
        msg = (
            f"The 'by' columns of events must not start with {PREFIX!r} (reserved for the "
            f"library's own columns). Got {reserved} instead.\nHint: rename those columns."
        )
        raise InvalidInputError(msg)


def _wide_integer_as_float(column: str) -> nw.Expr:
    """Cast a pyarrow 64-bit integer column to Float64, rounding beyond 2**53 as the others do.

    pyarrow's cast refuses integers that a float cannot hold exactly (``Integer value
    4611686018427387904 not in range``). The two 32-bit halves are exact floats; their
    recombination rounds once, to the float nearest the integer.
    """
    half = 2**32
    high = (nw.col(column) // half).cast(nw.Float64())
    low = (nw.col(column) % half).cast(nw.Float64())
    return high * float(half) + low


def _nan_is_null(lf: nw.LazyFrame[Any], column: str) -> bool:
    """Whether nan already reads as null: pandas' numpy float columns (nan is their missing value).

    Skipping ``fill_nan`` there saves a copy of the column; pandas' nullable and pyarrow
    float dtypes, like polars, pyarrow and DuckDB, keep nan apart from null.
    """
    if not lf.implementation.is_pandas():
        return False
    return str(lf.to_native()[column].dtype) in {"float64", "float32", "float16"}


def _coded(strings: nw.Expr, lf: nw.LazyFrame[Any]) -> nw.Expr:
    """Dictionary-encode a string column on pandas; other backends get it unchanged.

    pandas copies and hashes strings again in every filter and group-by (engines such as
    polars, DuckDB and Spark need no help); categories make those integer operations.
    """
    if lf.implementation.is_pandas_like():
        return strings.cast(nw.Categorical())
    return strings


def _unknown_events(
    totals: dict[str, dict[str, int]],
    canonical: nw.LazyFrame[Any],
    schema: EventSchema,
    unknown_events: UnknownEvents,
) -> tuple[dict[str, dict[str, int]], nw.LazyFrame[Any], list[str]]:
    """Raise on event types the schema does not know, or drop them with a note ("ignore")."""
    types = schema.event_types
    notes: list[str] = []
    known = types.known()
    unknown = {name: row["rows"] for name, row in totals.items() if name not in known}
    if unknown:
        listed = ", ".join(f"{name!r} ({count_rows(n)})" for name, n in sorted(unknown.items()))
        if unknown_events == "raise":
            msg = (
                f"Column {schema.event_type!r} of events holds unknown event types: {listed}. "
                f"Known: {sorted(known)}.\nHint: {_mapping_hint(sorted(unknown), types, totals)}"
            )
            raise InvalidInputError(msg)
        ignored = count_rows(sum(unknown.values()))
        notes.append(f"Ignored {ignored} with unknown event types: {listed}.")
        canonical = canonical.filter(nw.col(EVENT).is_in(sorted(known)))
        totals = {name: row for name, row in totals.items() if name in known}
    return totals, canonical, notes


def validate_events(
    events: object,
    *,
    schema: EventSchema | None = None,
    by: Sequence[str] = (),
    unknown_events: UnknownEvents = "raise",
    csat_scale: tuple[int, int] = (1, 5),
) -> PreparedEvents:
    """Check an event frame against the contract and return it with canonical columns.

    All checks run as one aggregation inside the frame's backend (lazy frames
    stay lazy); only per-event-type counts are collected. The input is never
    modified.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event, any frame narwhals accepts (pandas, polars eager or
        lazy, pyarrow, DuckDB, ...).
    schema : EventSchema, optional
        Column and event type names; ``EventSchema()`` by default.
    by : sequence of str, default=()
        Segment columns that must exist and are kept under their own names
        (names starting with ``__rk_`` are reserved). Float columns are
        normalised so that each value is one segment on every backend: nan
        becomes null and -0.0 becomes 0.0.
    unknown_events : {"raise", "ignore"}, default="raise"
        ``"raise"`` rejects ``event_type`` values the schema does not know;
        ``"ignore"`` drops those rows and says so in ``notes``.
    csat_scale : (int, int), default=(1, 5)
        Range CSAT scores must fall in.

    Returns
    -------
    PreparedEvents
        The canonical lazy frame, rows per event type, optional columns present
        and notes.

    Raises
    ------
    ColumnNotFoundError
        If a required column is missing (``customer_id``, ``timestamp``,
        ``event_type`` and ``by`` always; ``revenue``/``cost``/``score`` when
        purchases/spend rows/survey responses are present).
    InvalidInputError
        If timestamps are null, unparseable or mix time zones; if a customer
        event has no customer; if revenue or cost is negative (or null where
        needed); if scores are out of range; if event types are null or unknown
        (with ``unknown_events="raise"``); if a ``by`` column name starts
        with ``__rk_``.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06 10:00"],
    ...     "event_type": ["visit", "purchase"],
    ...     "revenue": [None, 20.0],
    ... })
    >>> validate_events(events).type_counts
    {'purchase': 1, 'visit': 1}
    """
    pending = prepare_events(
        events, schema=schema, by=by, unknown_events=unknown_events, csat_scale=csat_scale
    )
    return finish_events(pending, screen_rows(pending))


@dataclasses.dataclass(frozen=True)
class PendingEvents:
    """Events whose columns are checked, before their rows are (see :func:`prepare_events`).

    Attributes
    ----------
    frame : narwhals.LazyFrame
        The canonical lazy frame (:attr:`PreparedEvents.frame`), unknown event types kept.
    columns : frozenset of str
        Optional roles present.
    schema : EventSchema
        The schema the frame was read with.
    available : tuple of str
        The input's column names.
    unknown_events : {"raise", "ignore"}
        What :func:`finish_events` does with unknown event types.
    csat_scale : (int, int)
        Range CSAT scores must fall in.
    float_customers : bool
        Whether the customer id column holds floats.
    """

    frame: nw.LazyFrame[Any]
    columns: frozenset[str]
    schema: EventSchema
    available: tuple[str, ...]
    unknown_events: UnknownEvents
    csat_scale: tuple[int, int]
    float_customers: bool


def prepare_events(
    events: object,
    *,
    schema: EventSchema | None = None,
    by: Sequence[str] = (),
    unknown_events: UnknownEvents = "raise",
    csat_scale: tuple[int, int] = (1, 5),
) -> PendingEvents:
    """Check the columns of an event frame and build its canonical frame; rows come later.

    The first half of :func:`validate_events` (same parameters): no pass over the rows,
    except for string timestamps (parsed and checked here) and non-numeric optional
    columns. The row checks are :func:`~retention_kpis.events.checks.screen_aggs`
    aggregated per event type (alone, or beside other aggregations in the caller's own
    first query, which thereby validates the rows it reads), then :func:`finish_events`.
    """
    schema = EventSchema() if schema is None else schema
    if unknown_events not in {"raise", "ignore"}:
        msg = (
            "The 'unknown_events' parameter of validate_events must be 'raise' or 'ignore'. "
            f"Got {unknown_events!r} instead."
        )
        raise InvalidInputError(msg)
    lf = as_lazy(events)
    native_schema = lf.collect_schema()
    available = native_schema.names()
    require_columns(
        [schema.customer_id, schema.timestamp, schema.event_type], available, "required"
    )
    require_columns(list(by), available, "'by' segments")
    _check_reserved(by)
    present = frozenset(role for role in OPTIONAL if getattr(schema, role) in available)
    optional = {
        role: _key(lf, schema.order_id, native_schema[schema.order_id])
        if role == "order_id"
        else _numeric(lf, getattr(schema, role), native_schema[getattr(schema, role)])
        for role in sorted(present)
    }
    timestamps = parse_timestamps(lf, schema.timestamp, native_schema[schema.timestamp])
    canonical = lf.select(
        _key(lf, schema.customer_id, native_schema[schema.customer_id]).alias(CUSTOMER),
        timestamps.alias(TIMESTAMP),
        _coded(nw.col(schema.event_type).cast(nw.String), lf).alias(EVENT),
        *[expr.alias(OPTIONAL[role]) for role, expr in optional.items()],
        *[
            _coded(nw.col(name), lf)
            if native_schema[name] == nw.String
            else _key(lf, name, native_schema[name]).alias(name)
            for name in dict.fromkeys(by)
        ],
    )
    # SQLFrame would give the user's names (say "Revenue") to the library's own columns.
    canonical = forget_dropped_names(canonical)
    return PendingEvents(
        frame=canonical,
        columns=present,
        schema=schema,
        available=tuple(available),
        unknown_events=unknown_events,
        csat_scale=csat_scale,
        float_customers=native_schema[schema.customer_id].is_float(),
    )


def screen_rows(pending: PendingEvents) -> list[dict[str, Any]]:
    """Run the screening aggregation alone: one row per event type.

    One query on most backends; on polars three smaller ones (:func:`screen_by_type`).
    """
    if pending.frame.implementation.is_polars():
        return screen_by_type(pending.frame, pending.columns)
    screened = with_screen_columns(pending.frame, pending.columns)
    return collect(screened.group_by(EVENT).agg(*screen_aggs(pending.columns))).rows(named=True)


def finish_events(
    pending: PendingEvents,
    screened: Iterable[dict[str, Any]],
    *,
    check_orders: bool = True,
) -> PreparedEvents:
    """Finish :func:`validate_events` from the rows of the screening aggregation.

    ``screened`` holds :func:`~retention_kpis.events.checks.screen_aggs` grouped by the
    canonical event type column and possibly finer keys; when it cannot decide, the exact
    problem counts are taken in one more query. Raises the first problem found, as
    :func:`validate_events` does. ``check_orders=False`` leaves the order-id check (one
    query over purchases) to the caller: :func:`~retention_kpis.events.checks.check_order_ids`.
    """
    schema, present = pending.schema, pending.columns
    types = schema.event_types
    listed = screened_totals(screened, types, pending.csat_scale)
    if listed is None:
        listed = exact_totals(pending.frame, present, types, pending.csat_scale)
    totals: dict[str, dict[str, int]] = {}
    for name, counts in listed:
        if name is None:
            msg = f"Column {schema.event_type!r} of events is null on {count_rows(counts['rows'])}."
            raise InvalidInputError(msg)
        totals[str(name)] = counts
    totals, canonical, notes = _unknown_events(
        totals, pending.frame, schema, pending.unknown_events
    )
    needs = {
        "revenue": [types.purchase],
        "cost": [types.spend],
        "score": [types.nps_response, types.csat_response],
    }
    for role, kinds in needs.items():
        found = [kind for kind in kinds if kind in totals]
        if found and role not in present:
            require_columns(
                [getattr(schema, role)], pending.available, f"needed by {found[0]!r} events"
            )
    raise_on_problems(totals, schema, pending.csat_scale)
    if check_orders and "order_id" in present and types.purchase in totals:
        check_order_ids(canonical, schema, float_customers=pending.float_customers)
    return PreparedEvents(
        frame=canonical,
        type_counts={name: row["rows"] for name, row in sorted(totals.items())},
        columns=present,
        notes=tuple(notes),
    )


def validate_with_types(
    events: object,
    *,
    schema: EventSchema,
    names: Sequence[str],
    keep: Sequence[str] = (),
) -> PreparedEvents:
    """Validate events, accepting ``names`` as event types and keeping ``keep`` columns.

    The journey analyses (cohorts, funnels, attribution) take their event type
    names as parameters: those are added to the schema's accepted types
    (``EventTypes.other``) before validation, so a step such as ``"cart_add"``
    needs no schema change. Rows of types the schema still does not know are
    ignored and reported in ``notes``.
    """
    types = schema.event_types
    extra = tuple(name for name in dict.fromkeys(names) if name not in types.known())
    if extra:
        widened = EventTypes(**{**types.model_dump(), "other": (*types.other, *extra)})
        schema = EventSchema(**{**schema.model_dump(), "event_types": widened})
    return validate_events(events, schema=schema, by=list(keep), unknown_events="ignore")
