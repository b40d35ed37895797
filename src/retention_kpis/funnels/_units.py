"""Collect the funnel events of each unit (user or session) as sorted numpy arrays.

Only the rows and columns the funnel needs are collected from the backend: the
customer, the time in microseconds (the input's precision, so that the order
of events within one second is kept), the step code, the session column and the
``by`` columns of rows whose event type is a step. Without a session column,
sessions are built GA-style from *all* validated events of a customer: a new
session starts when the customer has been inactive for ``session_gap`` or more;
then every event is collected, but only these few columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from retention_kpis._core.calendar import microseconds_expr
from retention_kpis._core.columns import CUSTOMER, EVENT
from retention_kpis._core.frames import collect, plain
from retention_kpis._core.text import count_rows
from retention_kpis.exceptions import InvalidInputError

__all__ = ["MICROSECONDS", "SegmentValue", "Units", "collect_units"]

IntArray = npt.NDArray[np.int64]
SegmentValue = str | int | float | bool | None
_STEP = "__rk_step"
_MICROSECONDS = "__rk_microseconds"
MICROSECONDS = 1_000_000
"""Microseconds in a second: the unit of :attr:`Units.time`."""


@dataclasses.dataclass(frozen=True)
class Units:
    """Step events sorted by (unit, time, step code, by values).

    ``unit[i]`` is the row's unit code (0..n_units-1, contiguous runs),
    ``time[i]`` microseconds since 1970, ``code[i]`` the index of the row's
    event type in the ``names`` passed to :func:`collect_units`, and
    ``by_columns[j][i]`` the row's value of the ``j``-th ``by`` column.
    """

    n_units: int
    unit: IntArray
    time: IntArray
    code: IntArray
    by_columns: tuple[npt.NDArray[Any], ...]

    def segment(self, row: int) -> tuple[SegmentValue, ...]:
        """Return the ``by`` values of one row (backend scalars as plain Python, others as str)."""
        return tuple(_segment_value(column[row]) for column in self.by_columns)


def _segment_value(value: object) -> SegmentValue:
    value = plain(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _run_starts(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Return True where a row starts a new run of equal values (the arrays are sorted)."""
    starts = np.ones(values.size, dtype=bool)
    if values.size > 1:
        starts[1:] = values[1:] != values[:-1]
    return starts


def collect_units(
    lf: nw.LazyFrame[Any],
    *,
    names: Sequence[str],
    by: Sequence[str],
    session_column: str | None,
    session_gap: int | None,
) -> Units:
    """Collect step rows with their unit codes (see the module docstring)."""
    code: Any = None
    for index, name in enumerate(names):
        hit = nw.col(EVENT) == name
        code = (nw.when(hit) if code is None else code.when(hit)).then(nw.lit(index))
    frame = lf.with_columns(microseconds_expr().alias(_MICROSECONDS), code.alias(_STEP))
    if session_gap is None:
        frame = frame.filter(~nw.col(_STEP).is_null())
    keys = [CUSTOMER, *([session_column] if session_column else [])]
    columns = list(dict.fromkeys([*keys, _MICROSECONDS, _STEP, *by]))
    order = [*keys, _MICROSECONDS, _STEP, *by]
    collected = collect(frame.select(*columns).sort(order, nulls_last=True))
    customers = collected.get_column(CUSTOMER).to_numpy()
    time = collected.get_column(_MICROSECONDS).to_numpy().astype(np.int64)
    if session_column is not None:
        sessions = collected.get_column(session_column)
        missing = int(sessions.is_null().sum())
        if missing:
            msg = (
                f"Column {session_column!r} (session_column) of events is null on "
                f"{count_rows(missing, 'funnel event row')}."
            )
            raise InvalidInputError(msg)
        starts = _run_starts(customers) | _run_starts(sessions.to_numpy())
    else:
        starts = _run_starts(customers)
    if session_gap is not None:
        gaps = np.zeros(time.size, dtype=bool)
        gaps[1:] = (time[1:] - time[:-1]) >= session_gap * MICROSECONDS
        starts |= gaps
    unit = np.cumsum(starts, dtype=np.int64) - 1
    steps = collected.get_column(_STEP)
    is_step = ~steps.is_null().to_numpy()
    step_codes = steps.fill_null(-1).to_numpy().astype(np.int64)
    rows = np.flatnonzero(is_step)
    by_columns = tuple(collected.get_column(name).to_numpy()[rows] for name in by)
    kept_units = unit[rows]
    _, dense = np.unique(kept_units, return_inverse=True)
    return Units(
        n_units=int(dense.max()) + 1 if dense.size else 0,
        unit=dense.astype(np.int64).reshape(-1),
        time=time[rows],
        code=step_codes[rows],
        by_columns=by_columns,
    )
