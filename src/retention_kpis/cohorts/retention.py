"""Cohort retention tables: N-period ("on"), unbounded ("on_or_after") and bracket retention.

Definitions (see ``docs/cohorts.md``, after Amplitude's and Mixpanel's retention charts):

* a customer's *cohort* is the period (``"D"``, ``"W"`` Monday-based, ``"M"``) of
  their first ``cohort_event``; later cohort events do not move them;
* offset 0 is the cohort event itself: retention at offset 0 is 1 by definition;
* ``window="calendar"``: offset ``k`` is the ``k``-th calendar period after the
  cohort's (cohort January, offset 1 = February); ``window="rolling"``: offset
  ``k`` covers ``[t0 + k L, t0 + (k + 1) L)`` after the customer's own first event
  time ``t0``, with ``L`` = 24 h, 7 days or 30 days;
* ``mode="on"``: returned (did ``return_event``) in offset ``k``;
  ``"on_or_after"``: returned in offset ``k`` or later; ``"bracket"``: returned in
  any offset of a custom range ``(first, last)``;
* a cell whose offset range ends after ``observation_end`` is None (not observed),
  never zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from retention_kpis._core.checks import check_name
from retention_kpis._core.frames import max_timestamp
from retention_kpis._core.kinds import remember_kind
from retention_kpis.cohorts._compute import CohortCells, cohort_cells, last_complete_offset
from retention_kpis.cohorts._options import (
    check_brackets,
    check_mode,
    check_observation_end,
    check_period,
    check_window,
)
from retention_kpis.cohorts._table import CohortTable, Mode, Period, Window
from retention_kpis.events import EventSchema
from retention_kpis.events.schema import check_schema
from retention_kpis.events.validate import validate_with_types

__all__ = ["cohort_retention"]

_FUNC = "cohort_retention"


def observable_offsets(
    cells: CohortCells, period: Period, window: Window, end: dt.datetime
) -> list[int]:
    """Per cohort, its last fully observed offset (-1 when not even offset 0 ended)."""
    return [
        last_complete_offset(period, window, cohort, last_start, end)
        for cohort, last_start in zip(cells.cohorts, cells.last_starts, strict=True)
    ]


def cohort_retention(
    events: object,
    *,
    cohort_event: str | None = None,
    return_event: str | None = None,
    period: Period = "M",
    mode: Mode = "on",
    brackets: Sequence[tuple[int, int]] | None = None,
    window: Window = "calendar",
    schema: EventSchema | None = None,
    observation_end: dt.datetime | dt.date | None = None,
) -> CohortTable:
    """Cohort retention table: who came back, per cohort and period offset.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event (pandas, polars eager or lazy, DuckDB, ...), checked
        with :func:`~retention_kpis.validate_events`.
    cohort_event : str, optional
        Event type that puts a customer in a cohort (their first one);
        ``schema.event_types.purchase`` by default.
    return_event : str, optional
        Event type that counts as a return; ``cohort_event`` by default.
    period : {"D", "W", "M"}, default="M"
        Period of cohorts and offsets (weeks start on Monday).
    mode : {"on", "on_or_after", "bracket"}, default="on"
        ``"on"`` (N-period retention): returned in offset ``k``.
        ``"on_or_after"`` (unbounded): returned in offset ``k`` or later.
        ``"bracket"``: returned in any offset of each bracket.
    brackets : sequence of (int, int), optional
        With ``mode="bracket"`` only: sorted, non-overlapping inclusive offset
        ranges ``(first, last)`` with ``1 <= first <= last``, e.g.
        ``[(1, 1), (2, 3), (4, 6)]``; at most 500 of them (``MAX_BRACKETS``).
    window : {"calendar", "rolling"}, default="calendar"
        Calendar periods, or rolling periods of 24 h / 7 days / 30 days from each
        customer's first ``cohort_event``.
    schema : EventSchema, optional
        Column names; ``EventSchema()`` by default.
    observation_end : datetime or date, optional
        Last observed instant (a date means its 23:59:59); default: the latest
        timestamp in the data. Events after it are not used; cells ending after it
        are None.

    Returns
    -------
    CohortTable
        Cohorts (rows) by offsets (columns ``0..K``, or ``0`` plus one per
        bracket): counts, shares, cohort sizes and the size-weighted average
        over fully observed cells (the retention curve). ``K`` is the largest
        offset fully observed for at least one cohort.
        :meth:`~CohortTable.to_frame` returns the events' kind of frame.

    Raises
    ------
    InvalidInputError
        If an option is unknown, brackets are malformed, unsorted, overlap or
        more than 500, or
        if the events break the data contract.
    ColumnNotFoundError
        If a required column is missing.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "c", "c"],
    ...     "timestamp": ["2024-01-03", "2024-02-10", "2024-01-20", "2024-02-01", "2024-03-05"],
    ...     "event_type": ["purchase"] * 5,
    ...     "revenue": [10.0] * 5,
    ... })
    >>> table = cohort_retention(events, observation_end=dt.date(2024, 3, 31))
    >>> table.columns, table.cohort_sizes, table.shares
    (('0', '1', '2'), (2, 1), ((1.0, 0.5, 0.0), (1.0, 1.0, None)))
    """
    period_ = check_period(period, _FUNC)
    mode_ = check_mode(mode, _FUNC)
    window_ = check_window(window, _FUNC)
    brackets_ = check_brackets(brackets, mode_, _FUNC)
    end = check_observation_end(observation_end, _FUNC)
    schema_ = check_schema(schema, _FUNC)
    start_name = check_name(
        schema_.event_types.purchase if cohort_event is None else cohort_event,
        "cohort_event",
        _FUNC,
    )
    back_name = check_name(
        start_name if return_event is None else return_event, "return_event", _FUNC
    )
    prepared = validate_with_types(events, schema=schema_, names=[start_name, back_name])
    end = end if end is not None else max_timestamp(prepared.frame)
    if end is None:
        end = dt.datetime(1970, 1, 1)  # noqa: DTZ001 - empty input: an empty table
    cells = cohort_cells(
        prepared.frame,
        period=period_,
        window=window_,
        cohort_event=start_name,
        return_event=back_name,
        end=end,
        measure="customers",
        mode=mode_,
        brackets=brackets_,
    )
    observed = observable_offsets(cells, period_, window_, end)
    if mode_ == "bracket":
        offsets = ((0, 0), *brackets_)
    else:
        offsets = tuple((k, k) for k in range(max([0, *observed]) + 1))
    counts: list[tuple[int | None, ...]] = []
    shares: list[tuple[float | None, ...]] = []
    for cohort, size, last in zip(cells.cohorts, cells.sizes, observed, strict=True):
        row = [
            size
            if hi == 0
            else int(cells.values.get((cohort, position), 0))
            if hi <= last
            else None
            for position, (_, hi) in enumerate(offsets)
        ]
        counts.append(tuple(row))
        shares.append(tuple(None if n is None else n / size for n in row))
    average: list[float | None] = []
    for position in range(len(offsets)):
        pairs = [(row[position], size) for row, size in zip(counts, cells.sizes, strict=True)]
        done = [(n, size) for n, size in pairs if n is not None]
        total = sum(size for _, size in done)
        average.append(sum(n for n, _ in done) / total if total else None)
    table = CohortTable(
        period=period_,
        window=window_,
        mode=mode_,
        cohort_event=start_name,
        return_event=back_name,
        observation_end=end,
        cohorts=tuple(cells.start_date(period_, cohort) for cohort in cells.cohorts),
        offsets=offsets,
        cohort_sizes=cells.sizes,
        counts=tuple(counts),
        shares=tuple(shares),
        average=tuple(average),
        notes=prepared.notes,
    )
    return remember_kind(table, events)
