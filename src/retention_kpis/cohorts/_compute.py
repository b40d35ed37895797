"""Backend-side cohort aggregation and the observation rule of cohort cells.

Per customer, inside the events' backend: the cohort (period index of the first
``cohort_event``) and the first event's time in whole seconds; then each return
event's offset, ``period index - cohort index`` (calendar) or
``(t - t0) // period length`` (rolling). Only small per-(cohort, offset) tables
are collected.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal, cast

import narwhals.stable.v2 as nw

from retention_kpis._core.calendar import period_index, period_start, seconds_expr
from retention_kpis._core.columns import CUSTOMER, EVENT, REVENUE, SECONDS, TIMESTAMP
from retention_kpis._core.frames import collect, plain
from retention_kpis.cohorts._table import Mode, Period, Window

__all__ = ["LENGTH", "CohortCells", "cohort_cells", "last_complete_offset"]

LENGTH = {"D": 86_400, "W": 7 * 86_400, "M": 30 * 86_400}
"""Rolling period lengths in seconds: a day is 24 h, a week 7 days, a month 30 days."""
_EPOCH = dt.datetime(1970, 1, 1)  # noqa: DTZ001 - timestamps are naive wall-clock times
_IDX = "__rk_idx"
_COHORT = "__rk_cohort"
_START = "__rk_start"
_FIRST = "__rk_first"
_OFFSET = "__rk_offset"
_KEY = "__rk_key"
_VALUE = "__rk_value"
_SIZE = "__rk_size"
_LAST = "__rk_last_start"


def seconds_of(moment: dt.datetime) -> int:
    """Whole seconds since 1970-01-01 of a naive datetime."""
    return int((moment - _EPOCH).total_seconds())


def _index_of(period: Period, moment: dt.datetime) -> int:
    """Python twin of :func:`retention_kpis._core.calendar.period_index` for one datetime."""
    days = (moment.date() - _EPOCH.date()).days
    if period == "D":
        return days
    if period == "W":
        return (days + 3) // 7
    return moment.year * 12 + moment.month - 1


def last_complete_offset(
    period: Period, window: Window, cohort: int, last_start: int, end: dt.datetime
) -> int:
    """Largest offset ``k`` whose period ends by ``end`` (inclusive, whole seconds), or -1.

    Calendar: offset ``k`` of cohort ``c`` is the period ``c + k``; it is fully
    observed when the next period starts at or before ``end + 1 s``. Rolling: the
    offset ends ``(k + 1) * length`` after the cohort's *latest* first event.
    """
    after_end = end + dt.timedelta(seconds=1)
    if window == "calendar":
        return _index_of(period, after_end) - cohort - 1
    return (seconds_of(after_end) - last_start) // LENGTH[period] - 1


@dataclasses.dataclass(frozen=True)
class CohortCells:
    """Collected cohort aggregates: cohorts by period index and their cell values."""

    cohorts: tuple[int, ...]
    sizes: tuple[int, ...]
    last_starts: tuple[int, ...]
    values: dict[tuple[int, int], float]
    """``(cohort index, offset or bracket position) -> count or revenue``."""

    def start_date(self, period: Period, cohort: int) -> dt.date:
        """First day of a cohort's period."""
        start = period_start(period, cohort)
        assert start is not None
        return start


def _offset(window: Window, period: Period) -> nw.Expr:
    if window == "calendar":
        return nw.col(_IDX) - nw.col(_COHORT)
    return (nw.col(SECONDS) - nw.col(_START)) // LENGTH[period]


def cohort_cells(
    lf: nw.LazyFrame[Any],
    *,
    period: Period,
    window: Window,
    cohort_event: str,
    return_event: str,
    end: dt.datetime,
    measure: Literal["customers", "revenue"],
    mode: Mode = "on",
    brackets: tuple[tuple[int, int], ...] = (),
) -> CohortCells:
    """Aggregate events into cohort sizes and per-(cohort, offset) values in the backend.

    ``measure="customers"`` counts distinct returning customers per offset
    ``>= 1`` (``mode`` decides which offsets a return counts in);
    ``measure="revenue"`` sums the revenue of ``return_event`` rows per offset
    ``>= 0``. Events after ``end`` and return events before the customer's first
    cohort event are not used.

    One query, one collect: the customers' first cohort events (key ``-1``: the
    cohort's size and latest start) and their returns (key: the offset or bracket
    position) are stacked and grouped once on (cohort, key).
    """
    lf = lf.filter(
        nw.col(EVENT).is_in(sorted({cohort_event, return_event}))
        & (nw.col(TIMESTAMP) <= nw.lit(end))
    ).with_columns(period_index(period).alias(_IDX))
    # Whole seconds are computed per customer, not per row: a return at t counts when
    # seconds(t) >= seconds(t0), that is when t >= t0 truncated to its second.
    starts = (
        lf.filter(nw.col(EVENT) == cohort_event)
        .group_by(CUSTOMER)
        .agg(nw.col(_IDX).min().alias(_COHORT), nw.col(TIMESTAMP).min().alias(_FIRST))
        .with_columns(
            seconds_expr(_FIRST).alias(_START), nw.col(_FIRST).dt.truncate("1s").alias(_FIRST)
        )
    )
    keep = [CUSTOMER, _IDX, TIMESTAMP, *([REVENUE] if measure == "revenue" else [])]
    returns = (
        lf.filter(nw.col(EVENT) == return_event)
        .select(*keep)
        .join(starts, on=CUSTOMER, how="inner")
        .filter(nw.col(TIMESTAMP) >= nw.col(_FIRST))
    )
    if window == "rolling":
        returns = returns.with_columns(seconds_expr().alias(SECONDS))
    returns = returns.with_columns(_offset(window, period).alias(_OFFSET))
    if measure == "revenue":
        cells = returns.select(
            _COHORT, nw.col(_OFFSET).alias(_KEY), nw.col(REVENUE).alias(_VALUE), _no_start()
        )
        value = nw.col(_VALUE).sum()
    else:
        cells = _returning_customers(returns.filter(nw.col(_OFFSET) >= 1), mode, brackets)
        value = nw.len()
    stacked = nw.concat(
        [
            starts.select(
                _COHORT,
                nw.lit(-1, nw.Int64()).alias(_KEY),
                nw.lit(None, nw.Float64()).alias(_VALUE),
                nw.col(_START).cast(nw.Float64()),
            ),
            cells.select(
                nw.col(_COHORT),
                nw.col(_KEY).cast(nw.Int64()),
                nw.col(_VALUE).cast(nw.Float64()),
                nw.col(_START),
            ),
        ],
        how="vertical",
    )
    table = collect(
        stacked.group_by(_COHORT, _KEY).agg(
            nw.len().alias(_SIZE), value.alias(_VALUE), nw.col(_START).max().alias(_LAST)
        )
    )
    sizes: dict[int, tuple[int, int]] = {}
    values: dict[tuple[int, int], float] = {}
    for row in table.rows(named=True):
        cohort, key = int(row[_COHORT]), int(row[_KEY])
        if key < 0:
            sizes[cohort] = (int(row[_SIZE]), int(row[_LAST]))
            continue
        total = plain(row[_VALUE] if measure == "revenue" else row[_SIZE])
        values[cohort, key] = 0.0 if total is None else float(cast("float", total))
    if measure == "customers" and mode == "on_or_after":
        values = _on_or_after(values)
    ordered = sorted(sizes)
    return CohortCells(
        cohorts=tuple(ordered),
        sizes=tuple(sizes[cohort][0] for cohort in ordered),
        last_starts=tuple(sizes[cohort][1] for cohort in ordered),
        values=values,
    )


def _on_or_after(by_latest: dict[tuple[int, int], float]) -> dict[tuple[int, int], float]:
    """Count customers per offset ``k`` from customers per latest return offset ``m >= k``."""
    out: dict[tuple[int, int], float] = {}
    for (cohort, latest), n in sorted(by_latest.items()):
        for k in range(1, latest + 1):
            out[cohort, k] = out.get((cohort, k), 0.0) + n
    return out


def _no_start() -> nw.Expr:
    """Return the start column of stacked return rows: null (cohort rows carry the start).

    Float64, not Int64: pandas holds no null in an int64 column (whole seconds since 1970
    are exact floats).
    """
    return nw.lit(None, nw.Float64()).alias(_START)


def _bracket_position(brackets: tuple[tuple[int, int], ...]) -> nw.Expr:
    """``1 + i`` where the offset lies in bracket ``i``, null outside every bracket.

    Brackets are sorted and disjoint, so the expression is a balanced binary
    search: ``log2(len(brackets))`` nested ``when`` (at most 9 for the
    ``MAX_BRACKETS = 500`` brackets accepted) instead of one ``when`` per
    bracket, whose chain of 200 already exceeded Python's recursion limit in
    the backends. The tree is built bottom-up without recursion.
    """
    offset = nw.col(_OFFSET)
    level: list[tuple[int, nw.Expr]] = [
        (lo, nw.when((offset >= lo) & (offset <= hi)).then(nw.lit(index + 1)))
        for index, (lo, hi) in enumerate(brackets)
    ]
    while len(level) > 1:
        merged: list[tuple[int, nw.Expr]] = []
        for left in range(0, len(level) - 1, 2):
            (first, below), (split, above) = level[left], level[left + 1]
            merged.append((first, nw.when(offset < split).then(below).otherwise(above)))
        if len(level) % 2:
            merged.append(level[-1])
        level = merged
    return level[0][1]


def _returning_customers(
    returns: nw.LazyFrame[Any], mode: Mode, brackets: tuple[tuple[int, int], ...]
) -> nw.LazyFrame[Any]:
    """One row per customer and (cohort, key) they count in: the offset or bracket position.

    ``"on_or_after"`` keys each customer by their latest return offset ``m`` (they
    returned "on or after" every ``k <= m``; the cumulative counts are summed in Python).
    """
    if mode == "on":
        keyed = returns.select(CUSTOMER, _COHORT, nw.col(_OFFSET).alias(_KEY)).unique()
    elif mode == "on_or_after":
        keyed = returns.group_by(CUSTOMER, _COHORT).agg(nw.col(_OFFSET).max().alias(_KEY))
    else:
        keyed = (
            returns.with_columns(_bracket_position(brackets).alias(_KEY))
            .filter(~nw.col(_KEY).is_null())
            .select(CUSTOMER, _COHORT, _KEY)
            .unique()
        )
    return keyed.select(_COHORT, _KEY, nw.lit(None, nw.Float64()).alias(_VALUE), _no_start())
