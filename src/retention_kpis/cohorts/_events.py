"""Event preparation shared by cohorts and funnels: validation, seconds, durations.

Event type names are explicit parameters of the journey functions; they are
added to the schema's accepted types (``EventTypes.other``) before validation,
so a step such as ``"cart_add"`` needs no schema change. Rows of event types
the schema still does not know are ignored (they play no part in any of these
computations) and reported in the result's ``notes``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._aggregate import _days_since_epoch
from retention_kpis._event_checks import TIMESTAMP
from retention_kpis.events import EventSchema, EventTypes, PreparedEvents, validate_events
from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "SECONDS",
    "check_columns",
    "check_event_name",
    "check_schema",
    "max_timestamp",
    "parse_duration",
    "prepare",
    "seconds_expr",
]

SECONDS = "__rk_seconds"
_UNITS = {"s": 1, "min": 60, "h": 3_600, "D": 86_400, "W": 604_800}
_DURATION = re.compile(r"^\s*(\d+)\s*(s|min|h|D|W)\s*$")


def seconds_expr() -> nw.Expr:
    """Whole seconds since 1970-01-01 00:00 of the canonical timestamp (fractions dropped)."""
    ts = nw.col(TIMESTAMP)
    return (
        _days_since_epoch() * 86_400
        + ts.dt.hour().cast(nw.Int64) * 3_600
        + ts.dt.minute().cast(nw.Int64) * 60
        + ts.dt.second().cast(nw.Int64)
    )


def parse_duration(value: object, name: str, func: str) -> int:
    """Return a positive duration in whole seconds.

    Accepts a :class:`datetime.timedelta` or a string ``"<integer><unit>"`` with
    unit ``s``, ``min``, ``h``, ``D`` or ``W`` (``"7D"``, ``"30min"``).

    Examples
    --------
    >>> parse_duration("7D", "within", "funnel"), parse_duration("30min", "gap", "f")
    (604800, 1800)
    """
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(int(match.group(1)) * _UNITS[match.group(2)])
    else:
        msg = (
            f"The {name!r} parameter of {func} must be a timedelta or a string such as '7D', "
            f"'12h', '30min' (units s, min, h, D, W). Got {value!r} instead."
        )
        raise InvalidInputError(msg)
    if seconds <= 0 or not seconds.is_integer():
        msg = (
            f"The {name!r} parameter of {func} must be a positive whole number of seconds. "
            f"Got {value!r} instead."
        )
        raise InvalidInputError(msg)
    return int(seconds)


def check_event_name(value: object, name: str, func: str) -> str:
    """Return a non-empty event type name, or raise naming the parameter."""
    if not isinstance(value, str) or not value:
        msg = f"The {name!r} parameter of {func} must be a non-empty string. Got {value!r} instead."
        raise InvalidInputError(msg)
    return value


def check_schema(schema: object, func: str) -> EventSchema:
    """Return the schema, ``EventSchema()`` for None."""
    if schema is None:
        return EventSchema()
    if not isinstance(schema, EventSchema):
        msg = (
            f"The 'schema' parameter of {func} must be an EventSchema. "
            f"Got {type(schema).__name__} instead."
        )
        raise InvalidInputError(msg)
    return schema


def check_columns(value: object, name: str, func: str) -> tuple[str, ...]:
    """Return ``by``-like column names as a tuple (None is empty)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) and v for v in value):
        names = tuple(value)
        if len(set(names)) == len(names):
            return names
    msg = (
        f"The {name!r} parameter of {func} must be a column name or a sequence of distinct "
        f"column names. Got {value!r} instead."
    )
    raise InvalidInputError(msg)


def prepare(
    events: object,
    *,
    schema: EventSchema,
    names: Sequence[str],
    keep: Sequence[str] = (),
) -> PreparedEvents:
    """Validate events, accepting ``names`` as event types and keeping ``keep`` columns."""
    types = schema.event_types
    extra = tuple(name for name in dict.fromkeys(names) if name not in types.known())
    if extra:
        widened = EventTypes(**{**types.model_dump(), "other": (*types.other, *extra)})
        schema = EventSchema(**{**schema.model_dump(), "event_types": widened})
    return validate_events(events, schema=schema, by=list(keep), unknown_events="ignore")


def max_timestamp(lf: nw.LazyFrame[Any]) -> dt.datetime | None:
    """Return the latest canonical timestamp as a naive datetime (None when empty)."""
    value = lf.select(nw.col(TIMESTAMP).max()).collect().item()
    if value is None or value != value:  # noqa: PLR0124 - pandas' NaT on an empty frame
        return None
    to_pydatetime = getattr(value, "to_pydatetime", None)
    if callable(to_pydatetime):
        value = to_pydatetime()
    if not isinstance(value, dt.datetime):  # pragma: no cover - backends return datetimes
        msg = f"Unexpected timestamp type {type(value).__name__}."
        raise InvalidInputError(msg)
    return value.replace(microsecond=0)
