"""Conversion funnels over an event frame: entrants, conversion, drop-off, time to convert.

Definitions (see ``docs/funnels.md``; Mixpanel's and Amplitude's "unique" funnels):

* a *unit* is a customer (``unit="user"``) or one of their sessions
  (``unit="session"``: the ``session_column``, or sessions of the customer's
  events split by ``session_gap`` of inactivity, 30 minutes by default as in
  Google Analytics);
* ordered funnels (loose order): a unit enters at its *first* step-1 event at
  ``t1``, then each next step is matched greedily to its earliest event at or
  after the previous matched event and no later than ``t1 + within``; later
  step-1 events do not restart the window;
* unordered funnels: the window opens at the unit's first event of any step;
  step ``k`` counts units that did each of steps ``1..k`` inside it;
* a unit's segment (``by``) is read on its entry event (first touch).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from retention_kpis._core.checks import (
    ZeroDivision,
    check_choice,
    check_columns,
    check_name,
    check_zero_division,
)
from retention_kpis._core.durations import parse_duration
from retention_kpis._core.kinds import remember_kind
from retention_kpis.events import EventSchema, PreparedEvents
from retention_kpis.events.schema import check_schema
from retention_kpis.events.validate import validate_with_types
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.funnels._query import SegmentValue, StepTotals, funnel_totals
from retention_kpis.funnels._result import FunnelResult, FunnelStep, Unit, sort_key, step_rows

__all__ = ["funnel"]

_FUNC = "funnel"


def check_steps(steps: object, func: str) -> tuple[str, ...]:
    """Return distinct, non-empty step names; at least one."""
    if isinstance(steps, (str, bytes)) or not isinstance(steps, Sequence) or not steps:
        msg = (
            f"The 'steps' parameter of {func} must be a non-empty list of event types. "
            f"Got {steps!r} instead."
        )
        raise InvalidInputError(msg)
    names = tuple(check_name(step, "steps", func) for step in steps)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        msg = (
            f"The 'steps' parameter of {func} must not repeat an event type. "
            f"Got {repeated} more than once."
        )
        raise InvalidInputError(msg)
    return names


@dataclasses.dataclass(frozen=True)
class FunnelInput:
    """Validated events and the checked unit options of one funnel call."""

    prepared: PreparedEvents
    unit: Unit
    by: tuple[str, ...]
    session_column: str | None
    session_gap: int | None
    """Seconds of inactivity ending a built session (``unit="session"`` without a column)."""

    def totals(
        self, names: Sequence[str], *, within: int, ordered: bool
    ) -> dict[tuple[SegmentValue, ...], StepTotals]:
        """Per segment, the units reaching each step (one grouped query in the backend)."""
        return funnel_totals(
            self.prepared.frame,
            names=names,
            ordered=ordered,
            within=within,
            by=self.by,
            session_column=self.session_column,
            session_gap=self.session_gap,
        )


def prepare_units(
    events: object,
    *,
    names: Sequence[str],
    unit: object,
    by: object,
    schema: object,
    session_column: object,
    session_gap: object,
    func: str,
) -> FunnelInput:
    """Check the unit options and validate the events (one pass, in their backend)."""
    unit_ = check_choice(unit, "unit", func, ("user", "session"))
    by_ = check_columns(by, "by", func)
    schema_ = check_schema(schema, func)
    session = None
    if session_column is not None:
        if unit_ != "session":
            msg = (
                f"The 'session_column' parameter of {func} is only used with unit='session'. "
                f"Got {session_column!r} instead."
            )
            raise InvalidInputError(msg)
        session = check_name(session_column, "session_column", func)
    gap = (
        int(parse_duration(session_gap, "session_gap", func, whole_seconds=True))
        if unit_ == "session" and session is None
        else None
    )
    prepared = validate_with_types(
        events, schema=schema_, names=names, keep=[*by_, *([session] if session else [])]
    )
    return FunnelInput(
        prepared=prepared,
        unit="user" if unit_ == "user" else "session",
        by=by_,
        session_column=session,
        session_gap=gap,
    )


def funnel(
    events: object,
    steps: Sequence[str],
    *,
    within: str | dt.timedelta = "7D",
    unit: Unit = "user",
    ordered: bool = True,
    by: Sequence[str] | str | None = None,
    schema: EventSchema | None = None,
    session_column: str | None = None,
    session_gap: str | dt.timedelta = "30min",
    zero_division: ZeroDivision = "warn",
) -> FunnelResult:
    """Conversion funnel: how many units reach each step, and where they drop off.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event, checked with :func:`~retention_kpis.validate_events`
        (step names are accepted as event types; rows of other unknown types are
        ignored and reported in ``notes``).
    steps : sequence of str
        Distinct event types, in funnel order, e.g.
        ``["visit", "cart_add", "checkout", "purchase"]``.
    within : str or timedelta, default="7D"
        Conversion window from the entry event: ``"7D"``, ``"12h"``, ``"30min"``,
        ``"2W"``, ``"90s"`` or a timedelta; must be positive. Bounds inclusive.
    unit : {"user", "session"}, default="user"
        Count customers, or sessions (a customer may enter once per session).
    ordered : bool, default=True
        Steps in the given order (loose: other events may come between), or in
        any order within the window.
    by : str or sequence of str, optional
        Segment columns, read on each unit's entry event.
    schema : EventSchema, optional
        Column names; ``EventSchema()`` by default.
    session_column : str, optional
        With ``unit="session"``: the column holding session ids (must not be
        null on step rows). Without it sessions are built from the events.
    session_gap : str or timedelta, default="30min"
        Inactivity that ends a built session (a gap ``>= session_gap`` starts a
        new one, as in Google Analytics); used only without ``session_column``.
    zero_division : {"warn"} or float, default="warn"
        Conversion and drop-off shares after a step nobody reached.

    Returns
    -------
    FunnelResult
        One row per segment and step: entrants, conversion from step 1 and from
        the previous step, drop-off count and share, median seconds from the
        previous step. Entrants never increase along the steps.
        :meth:`~FunnelResult.to_frame` returns the events' kind of frame.

    Raises
    ------
    InvalidInputError
        If ``steps`` is empty or repeats a type, ``within`` is not positive, an
        option is unknown, or the events break the data contract.
    ColumnNotFoundError
        If a required, ``by`` or session column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b", "c"],
    ...     "timestamp": ["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-02 09:00",
    ...                   "2024-01-01 11:00", "2024-01-20 11:00", "2024-01-03 08:00"],
    ...     "event_type": ["visit", "cart_add", "purchase", "visit", "cart_add", "visit"],
    ...     "revenue": [None, None, 30.0, None, None, None],
    ... })
    >>> result = funnel(events, ["visit", "cart_add", "purchase"], within="7D")
    >>> [row.entrants for row in result.rows]
    [3, 1, 1]
    >>> result.rows[1].median_seconds_from_previous
    300.0
    """
    names = check_steps(steps, _FUNC)
    window = int(parse_duration(within, "within", _FUNC, whole_seconds=True))
    flag: object = ordered
    if not isinstance(flag, bool):
        msg = f"The 'ordered' parameter of {_FUNC} must be True or False. Got {ordered!r} instead."
        raise InvalidInputError(msg)
    policy = check_zero_division(zero_division, _FUNC)
    prepared = prepare_units(
        events,
        names=names,
        unit=unit,
        by=by,
        schema=schema,
        session_column=session_column,
        session_gap=session_gap,
        func=_FUNC,
    )
    totals = prepared.totals(names, within=window, ordered=ordered)
    if not totals and not prepared.by:  # nobody entered: the steps, with undefined shares
        totals[()] = StepTotals(
            entrants=(0,) * len(names), median_microseconds=(None,) * len(names)
        )
    rows: list[FunnelStep] = []
    for segment in sorted(totals, key=sort_key):
        rows += step_rows(segment, totals[segment], names, zero_division=policy)
    result = FunnelResult(
        steps=names,
        within_seconds=window,
        unit=prepared.unit,
        ordered=ordered,
        by=prepared.by,
        session_gap_seconds=prepared.session_gap,
        rows=tuple(rows),
        notes=prepared.prepared.notes,
    )
    return remember_kind(result, events)
