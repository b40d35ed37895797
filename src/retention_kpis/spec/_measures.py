"""Counts and sums of custom measures, per period and segment, inside the events' backend.

Only counts and sums are computed here (narwhals expressions, collected as one
small table per measure); the division of a ratio goes through
:func:`retention_kpis._core.checks.divide` and session conversion through
:func:`~retention_kpis.conversion_rate`, so no KPI formula is written twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.calendar import Period, period_index, period_start
from retention_kpis._core.columns import CUSTOMER, EVENT, OPTIONAL, PERIOD
from retention_kpis._core.frames import collect, flag, plain
from retention_kpis._core.text import count_rows
from retention_kpis.events import EventSchema, PreparedEvents
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError
from retention_kpis.spec.models import Measure

__all__ = ["Key", "MeasureFrame", "measure_table", "raw_columns", "session_counts"]

Key = tuple[dt.date | None, tuple[Any, ...]]
"""``(period start or None, segment values)``."""


@dataclasses.dataclass(frozen=True)
class MeasureFrame:
    """Validated events with what is needed to aggregate them."""

    prepared: PreparedEvents
    schema: EventSchema
    segments: tuple[str, ...]


def _column(schema: EventSchema, name: str) -> str:
    """Return the frame column of a role (``revenue`` -> the canonical column) or a raw name."""
    if name in OPTIONAL:
        return OPTIONAL[name]
    if name == "customer_id":
        return CUSTOMER
    if name in {"channel", "campaign"}:
        return str(getattr(schema, name))
    return name


def raw_columns(schema: EventSchema, measures: Sequence[Measure]) -> list[str]:
    """Raw columns the measures need kept beside the canonical ones (filters, sums, ...)."""
    needed: list[str] = []
    for measure in measures:
        kind, argument = measure.aggregation
        names = [*measure.filter, *([argument] if kind != "count" else [])]
        for name in names:
            column = _column(schema, name)
            if not column.startswith("__rk_"):
                needed.append(column)
    return list(dict.fromkeys(needed))


def _event_value(schema: EventSchema, kind: str) -> str:
    return schema.event_types.named().get(kind, kind)


def _with_period(frame: MeasureFrame, window: Period | None) -> tuple[nw.LazyFrame[Any], list[str]]:
    lf = frame.prepared.frame
    keys = list(frame.segments)
    if window is not None:
        lf = lf.with_columns(period_index(window).alias(PERIOD))
        keys = [PERIOD, *keys]
    return lf, keys


def _collect(
    lf: nw.LazyFrame[Any], keys: list[str], window: Period | None, segments: int
) -> dict[Key, dict[str, Any]]:
    table: dict[Key, dict[str, Any]] = {}
    for row in collect(lf).rows(named=True):
        index = plain(row[PERIOD]) if window is not None else None
        segment = tuple(plain(row[name]) for name in keys[-segments:]) if segments else ()
        start = period_start(window, int(index) if isinstance(index, (int, float)) else None)
        table[(start, segment)] = {k: plain(v) for k, v in row.items() if k not in keys}
    return table


def _grouped(lf: nw.LazyFrame[Any], keys: list[str], *aggs: nw.Expr) -> nw.LazyFrame[Any]:
    return lf.group_by(*keys).agg(*aggs) if keys else lf.select(*aggs)


def _check_nothing_to_aggregate(
    lf: nw.LazyFrame[Any], schema: EventSchema, kind: str, argument: str
) -> None:
    """Raise when rows match a measure whose optional column (``revenue``, ...) is absent.

    validate_events lets a frame without purchases lack ``revenue`` (and so on);
    a measure over that column then has nothing to aggregate, unless other rows match.
    """
    rows = int(collect(lf.select(nw.len())).item())
    if rows:
        name = getattr(schema, argument, argument)
        msg = (
            f"Missing column {name!r} in events, needed to {kind} {argument!r} over "
            f"{count_rows(rows, 'matching row')}.\n"
            "Hint: map the column with EventSchema (the spec's `events:` section)."
        )
        raise ColumnNotFoundError(msg)


def measure_table(frame: MeasureFrame, measure: Measure, window: Period | None) -> dict[Key, float]:
    """Return the measure's value per ``(period start, segment values)`` holding matching rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from retention_kpis.events import validate_events
    >>> events = pd.DataFrame({"customer_id": ["a", "b", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06", "2024-02-01"],
    ...     "event_type": ["visit", "visit", "visit"]})
    >>> frame = MeasureFrame(validate_events(events), EventSchema(), ())
    >>> measure_table(frame, Measure(count="visit"), "M")
    {(datetime.date(2024, 1, 1), ()): 2.0, (datetime.date(2024, 2, 1), ()): 1.0}
    """
    schema = frame.schema
    lf, keys = _with_period(frame, window)
    kind, argument = measure.aggregation
    event = argument if kind == "count" else measure.event
    if event is not None:
        lf = lf.filter(nw.col(EVENT) == _event_value(schema, event))
    for name, wanted in measure.filter.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        lf = lf.filter(nw.col(_column(schema, name)).is_in(values))
    if kind != "count" and _column(schema, argument) not in lf.collect_schema().names():
        _check_nothing_to_aggregate(lf, schema, kind, argument)
        return {}
    if kind == "count":
        grouped = _grouped(lf, keys, nw.len().alias("value"))
    elif kind == "sum":
        column = _column(schema, argument)
        dtype = lf.collect_schema()[column]
        if not dtype.is_numeric():
            msg = f"Column {column!r} of events must be numeric to sum it. Got dtype {dtype}."
            raise InvalidInputError(msg)
        lf = lf.with_columns(nw.col(column).cast(nw.Float64()).alias("_value"))
        grouped = _grouped(lf, keys, nw.col("_value").sum().alias("value"))
    else:
        column = _column(schema, argument)
        distinct = lf.filter(~nw.col(column).is_null()).select(*keys, column).unique()
        grouped = _grouped(distinct, keys, nw.len().alias("value"))
    table = _collect(grouped, keys, window, len(frame.segments))
    return {key: float(row["value"] or 0) for key, row in table.items()}


def session_counts(
    frame: MeasureFrame, session_column: str, window: Period | None
) -> dict[Key, tuple[int, int]]:
    """Return ``(converted sessions, sessions)``: sessions with a visit, and those also buying."""
    types = frame.schema.event_types
    lf, keys = _with_period(frame, window)
    is_visit = nw.col(EVENT) == types.visit
    is_purchase = nw.col(EVENT) == types.purchase
    sessions = (
        lf.filter(~nw.col(session_column).is_null() & (is_visit | is_purchase))
        .with_columns(flag(is_visit).alias("_v"), flag(is_purchase).alias("_p"))
        .group_by(*keys, session_column)
        .agg(nw.col("_v").max(), nw.col("_p").max())
        .with_columns((nw.col("_v") * nw.col("_p")).alias("_both"))
        .filter(nw.col("_v") == 1)
    )
    grouped = _grouped(sessions, keys, nw.col("_both").sum(), nw.len().alias("_sessions"))
    table = _collect(grouped, keys, window, len(frame.segments))
    return {key: (int(row["_both"] or 0), int(row["_sessions"])) for key, row in table.items()}
