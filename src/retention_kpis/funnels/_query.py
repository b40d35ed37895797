"""Funnel steps as grouped queries and joins inside the events' backend.

Only one small table is collected: per segment, the units entering each step and
the median time from the previous step. Event times are compared as the input's
datetimes (its own precision, so events within one second keep their order);
gaps become whole microseconds (:func:`~retention_kpis._core.calendar.microseconds_expr`)
only on the per-unit table, before the median.

* Units: the customer (``unit="user"``), (customer, session id) or (customer,
  built session). A built session is numbered per customer over the customer's
  *distinct* event times (so ties cannot split a session): a time opens a new
  session when the customer's previous time lies ``session_gap`` or more before it.
* Ordered: ``R0`` is each unit's first step-1 time (a group-by); for each next
  step one left join of the units with that step's rows, a filter
  ``R(k-1) <= t <= R0 + within`` and a group-by minimum per unit give ``Rk``
  (greedy earliest matching); the earlier columns ride along in that group-by, so
  each step reads the previous one once (no subplan is repeated).
* Unordered: ``T0`` is each unit's first funnel time; one join keeps the rows in
  ``[T0, T0 + within]`` and one group-by gives each step's first time ``Fk``;
  step ``k`` is reached at ``max(F1..Fk)`` when all of them exist.
* Segments: the ``by`` values of the unit's entry row (its first step-1 row, or
  first funnel row when unordered). Rows tied on time are broken by the smallest
  step code (unordered), then the smallest ``by`` values in column order, nulls
  last: per column one group-by minimum and, between columns, a join keeping
  the rows at that minimum.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.calendar import microseconds_expr
from retention_kpis._core.columns import CUSTOMER, EVENT, PREFIX, TIMESTAMP
from retention_kpis._core.frames import collect, grouped, plain
from retention_kpis._core.text import count_rows
from retention_kpis.exceptions import InvalidInputError

__all__ = ["MICROSECONDS", "SegmentValue", "StepTotals", "funnel_totals"]

SegmentValue = str | int | float | bool | None
MICROSECONDS = 1_000_000
"""Microseconds in a second: the unit of the medians in :class:`StepTotals`."""

_SESSION = "__rk_session"
_START = "__rk_start"
_CODE = "__rk_step"
_DEADLINE = "__rk_deadline"
_CANDIDATE = "__rk_candidate"
_LEAST = "__rk_least"
_SEGMENT = "__rk_segment_"


def _reached(step: int) -> str:
    return f"{PREFIX}reached_{step}"


def _first(step: int) -> str:
    return f"{PREFIX}first_{step}"


def _filled(step: int) -> str:
    return f"{PREFIX}filled_{step}"


def _gap(step: int) -> str:
    return f"{PREFIX}gap_{step}"


def _count(step: int) -> str:
    return f"{PREFIX}count_{step}"


def _median(step: int) -> str:
    return f"{PREFIX}median_{step}"


@dataclasses.dataclass(frozen=True)
class StepTotals:
    """Per segment: units reaching each step and median microseconds from the previous one."""

    entrants: tuple[int, ...]
    median_microseconds: tuple[float | None, ...]
    """``None`` for step 1 and for steps nobody reached."""


def _segment_value(value: object) -> SegmentValue:
    value = plain(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _built_sessions(lf: nw.LazyFrame[Any], gap: int) -> nw.LazyFrame[Any]:
    """Return (customer, time, session number) over each customer's distinct event times."""
    times = lf.select(CUSTOMER, TIMESTAMP).unique()
    previous = nw.col(TIMESTAMP).shift(1).over(CUSTOMER, order_by=TIMESTAMP)
    opens = previous.is_null() | (previous.dt.offset_by(f"{gap}s") <= nw.col(TIMESTAMP))
    flags = nw.when(opens).then(nw.lit(1, nw.Int64())).otherwise(nw.lit(0, nw.Int64()))
    return times.with_columns(flags.alias(_SESSION)).with_columns(
        nw.col(_SESSION).cum_sum().over(CUSTOMER, order_by=TIMESTAMP)
    )


def _entry_segments(
    candidates: nw.LazyFrame[Any], keys: list[str], by: Sequence[str], carry: list[str]
) -> nw.LazyFrame[Any]:
    """One row per unit: ``carry`` columns (equal on a unit's rows) and the least ``by`` values.

    ``candidates`` holds each unit's rows tied at its entry time. The least values are
    lexicographic over ``by`` with nulls last: a column's minimum ignores nulls (null
    only when all are null), and the rows kept for the next column are those at it.
    """
    for name in by[:-1]:
        least = candidates.group_by(*keys).agg(nw.col(name).min().alias(_LEAST))
        at_least = (nw.col(name) == nw.col(_LEAST)) | nw.col(_LEAST).is_null()
        candidates = candidates.join(least, on=keys).filter(at_least).drop(_LEAST)
    return candidates.group_by(*keys).agg(*[nw.col(name).min() for name in [*carry, *by]])


def _ordered_units(
    rows: nw.LazyFrame[Any], keys: list[str], names: Sequence[str], by: Sequence[str], within: int
) -> nw.LazyFrame[Any]:
    """Units entering step 1 with ``R0..R(n-1)`` (null where not reached) and segments.

    Each step reads the previous step's units once (a left join with the step's rows,
    then a group-by per unit that carries the earlier columns along), so the query
    stays linear in the number of steps on engines that do not share subplans.
    """
    step_rows = [rows.filter(nw.col(EVENT) == name) for name in names]
    first = step_rows[0].group_by(*keys).agg(nw.col(TIMESTAMP).min().alias(_reached(0)))
    if by:
        tied = (
            step_rows[0]
            .select(*keys, TIMESTAMP, *by)
            .join(first, on=keys)
            .filter(nw.col(TIMESTAMP) == nw.col(_reached(0)))
        )
        units = _entry_segments(tied, keys, by, [_reached(0)])
    else:
        units = first
    units = units.with_columns(nw.col(_reached(0)).dt.offset_by(f"{within}s").alias(_DEADLINE))
    carried = [_reached(0), _DEADLINE, *by]
    for step in range(1, len(names)):
        time = nw.col(TIMESTAMP)
        matched = (time >= nw.col(_reached(step - 1))) & (time <= nw.col(_DEADLINE))
        units = (
            units.join(step_rows[step].select(*keys, TIMESTAMP), on=keys, how="left")
            .with_columns(nw.when(matched).then(time).alias(_CANDIDATE))
            .group_by(*keys)
            .agg(
                nw.col(_CANDIDATE).min().alias(_reached(step)),
                *[nw.col(name).min() for name in carried],
            )
        )
        carried.append(_reached(step))
    return units


def _unordered_units(
    rows: nw.LazyFrame[Any], keys: list[str], names: Sequence[str], by: Sequence[str], within: int
) -> nw.LazyFrame[Any]:
    """Units with a step-1 event in their window, ``R0..R(n-1)`` and segments."""
    starts = rows.group_by(*keys).agg(nw.col(TIMESTAMP).min().alias(_START))
    joined = rows.join(
        starts.with_columns(nw.col(_START).dt.offset_by(f"{within}s").alias(_DEADLINE)), on=keys
    )
    firsts = [nw.when(nw.col(EVENT) == name).then(nw.col(TIMESTAMP)) for name in names]
    units = (
        joined.filter(nw.col(TIMESTAMP) <= nw.col(_DEADLINE))
        .with_columns(*[first.alias(_first(k)) for k, first in enumerate(firsts)])
        .group_by(*keys)
        .agg(*[nw.col(_first(k)).min() for k in range(len(names))])
    )
    if by:
        code: Any = None
        for index, name in enumerate(names):
            hit = nw.col(EVENT) == name
            code = (nw.when(hit) if code is None else code.when(hit)).then(nw.lit(index))
        tied = joined.filter(nw.col(TIMESTAMP) == nw.col(_START)).select(
            *keys, *by, code.alias(_CODE)
        )
        least = tied.group_by(*keys).agg(nw.col(_CODE).min().alias(_LEAST))
        tied = tied.join(least, on=keys).filter(nw.col(_CODE) == nw.col(_LEAST)).drop(_LEAST)
        units = units.join(_entry_segments(tied, keys, by, []), on=keys)
    reached = []
    for step in range(len(names)):
        done = [nw.col(_first(k)) for k in range(step + 1)]
        present = nw.all_horizontal(*[~first.is_null() for first in done], ignore_nulls=False)
        latest = nw.max_horizontal(*done) if step else done[0]  # Spark's greatest needs two
        reached.append(nw.when(present).then(latest).alias(_reached(step)))
    return units.with_columns(*reached).filter(~nw.col(_reached(0)).is_null())


def _check_sessions(rows: nw.LazyFrame[Any], session_column: str) -> None:
    """Raise when a funnel step row has no session id."""
    missing = collect(rows.select(nw.col(_SESSION).is_null().sum().alias("missing"))).item()
    if missing:
        msg = (
            f"Column {session_column!r} (session_column) of events is null on "
            f"{count_rows(int(missing), 'funnel event row')}."
        )
        raise InvalidInputError(msg)


def funnel_totals(
    lf: nw.LazyFrame[Any],
    *,
    names: Sequence[str],
    ordered: bool,
    within: int,
    by: Sequence[str],
    session_column: str | None,
    session_gap: int | None,
) -> dict[tuple[SegmentValue, ...], StepTotals]:
    """Return each segment's :class:`StepTotals`, computed in the backend (see module doc).

    ``lf`` holds validated events (canonical columns, ``by`` and the session
    column under their own names); ``within`` and ``session_gap`` are seconds.
    Only segments with at least one entrant appear.
    """
    private = [f"{_SEGMENT}{index}" for index in range(len(by))]
    schema = lf.collect_schema() if by else {}
    columns = [
        # Categorical (pandas' coded strings) and Enum segments compare as their text.
        (
            nw.col(name).cast(nw.String)
            if schema[name] in {nw.Categorical, nw.Enum}
            else nw.col(name)
        ).alias(alias)
        for name, alias in zip(by, private, strict=True)
    ]
    if session_column is not None:
        columns.append(nw.col(session_column).alias(_SESSION))
    events = lf.filter(~nw.col(CUSTOMER).is_null()).select(CUSTOMER, TIMESTAMP, EVENT, *columns)
    if session_column is not None or session_gap is None:  # built sessions need every event
        events = events.filter(nw.col(EVENT).is_in(list(names)))
    if events.implementation.is_pyarrow():
        # narwhals' pyarrow backend has no window functions (built sessions) and its grouped
        # median is Arrow's approximate_median (a t-digest): pyarrow input (eager, in memory)
        # is handed to pandas, these few columns only.
        events = nw.from_native(collect(events).to_pandas()).lazy()
    rows = events.filter(nw.col(EVENT).is_in(list(names)))
    keys = [CUSTOMER]
    if session_column is not None:
        _check_sessions(rows, session_column)
        keys.append(_SESSION)
    elif session_gap is not None:
        sessions = _built_sessions(events, session_gap)
        rows = rows.join(sessions, on=[CUSTOMER, TIMESTAMP])
        keys.append(_SESSION)
    build = _ordered_units if ordered else _unordered_units
    units = build(rows, keys, names, private, within)
    # Times become microseconds only here, on one row per unit; unreached steps are filled with
    # the entry time first (pandas cannot cast the date parts of NaT to integers).
    filled = [
        nw.col(_reached(k)).fill_null(nw.col(_reached(0))).alias(_filled(k))
        for k in range(len(names))
    ]
    gaps = [
        nw.when(~nw.col(_reached(k)).is_null())
        .then(microseconds_expr(_filled(k)) - microseconds_expr(_filled(k - 1)))
        .alias(_gap(k))
        for k in range(1, len(names))
    ]
    aggs = [nw.len().alias(_count(0))]
    for k in range(1, len(names)):
        aggs += [
            nw.col(_reached(k)).count().alias(_count(k)),
            nw.col(_gap(k)).median().alias(_median(k)),
        ]
    units = units.with_columns(*filled).with_columns(*gaps) if gaps else units
    table = collect(grouped(units, private, *aggs))
    totals: dict[tuple[SegmentValue, ...], StepTotals] = {}
    for row in table.rows(named=True):
        entrants = tuple(int(row[_count(k)] or 0) for k in range(len(names)))
        if not entrants[0]:
            continue
        medians = tuple(
            None if k == 0 or plain(row[_median(k)]) is None else float(row[_median(k)])
            for k in range(len(names))
        )
        segment = tuple(_segment_value(row[name]) for name in private)
        totals[segment] = StepTotals(entrants=entrants, median_microseconds=medians)
    return totals
