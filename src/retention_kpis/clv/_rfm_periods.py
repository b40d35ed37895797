"""Integer period indices of timestamps, computed inside any dataframe engine.

A timestamp's *period index* counts whole periods since an origin:

* ``"h"``: hours since 1970-01-01 00:00 (the timestamp floored to the hour);
* ``"D"``: days since 1970-01-01 (floored to the calendar day);
* ``"W"``: weeks since Monday 1969-12-29 (weeks run Monday to Sunday, as
  pandas' ``to_period("W")``, used by lifetimes);
* ``"M"``: calendar months since January of year 0 (``12 * year + month - 1``).

Time-zone-aware timestamps are floored in their own wall-clock time. The
difference of two indices is the number of periods between the two floored
timestamps, which is what lifetimes computes with ``to_period(freq)``.

The same arithmetic runs in Python (:func:`period_of`) for the observation and
calibration ends, so the bounds and the data are floored identically.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeAlias
from zoneinfo import ZoneInfo

import narwhals.stable.v2 as nw
import numpy as np

from retention_kpis._core.timestamps import parse_timestamps
from retention_kpis.exceptions import InvalidInputError

__all__ = ["TIME_UNITS", "TimeUnit", "as_moment", "period_expr", "period_of"]

TimeUnit: TypeAlias = Literal["h", "D", "W", "M"]
TIME_UNITS: tuple[TimeUnit, ...] = ("h", "D", "W", "M")

_EPOCH = dt.date(1970, 1, 1)
_MS_PER_HOUR = 3_600_000
_MS_PER_DAY = 86_400_000
# Shift epoch milliseconds by a whole number of weeks (about 3,800 years) so the
# integer divisions only see non-negative numbers: floor and truncation agree
# on every backend for any date from year 1 on.
_SHIFT_DAYS = 7 * 200_000
# Days from 0001-01-01 to 1970-01-01 in the proleptic Gregorian calendar.
_DAYS_BEFORE_EPOCH = 719_162
# Backends whose ``dt.timestamp`` is available (and much faster than calendar parts).
_EPOCH_BACKENDS = frozenset(
    {
        nw.Implementation.PANDAS,
        nw.Implementation.MODIN,
        nw.Implementation.CUDF,
        nw.Implementation.POLARS,
        nw.Implementation.PYARROW,
    }
)


def _days_from_epoch_ms(moment: nw.Expr) -> nw.Expr:
    shifted = moment.dt.timestamp("ms") + _SHIFT_DAYS * _MS_PER_DAY
    return shifted // _MS_PER_DAY - _SHIFT_DAYS


def _days_from_calendar(moment: nw.Expr) -> nw.Expr:
    """Days since 1970-01-01 from year and day of year (for engines without epochs)."""
    before = moment.dt.year().cast(nw.Int64) - 1  # whole years before this one, >= 0
    days_before_year = 365 * before + before // 4 - before // 100 + before // 400
    return days_before_year + moment.dt.ordinal_day().cast(nw.Int64) - 1 - _DAYS_BEFORE_EPOCH


def period_expr(frame: nw.LazyFrame[Any], column: str, time_unit: TimeUnit) -> nw.Expr:
    """Return an Int64 expression with the period index of ``column``.

    ``column`` may hold datetimes (naive or zoned), dates or ISO 8601 strings
    (checked and parsed by :func:`retention_kpis._core.timestamps.parse_timestamps`).
    """
    dtype = frame.collect_schema()[column]
    moment = parse_timestamps(frame, column, dtype, frame="transactions")
    if time_unit == "M":
        return moment.dt.year().cast(nw.Int64) * 12 + moment.dt.month().cast(nw.Int64) - 1
    if frame.implementation in _EPOCH_BACKENDS:
        if time_unit == "h":
            shifted = moment.dt.timestamp("ms") + _SHIFT_DAYS * _MS_PER_DAY
            return (shifted // _MS_PER_HOUR - _SHIFT_DAYS * 24).cast(nw.Int64)
        days = _days_from_epoch_ms(moment)
    else:
        days = _days_from_calendar(moment)
        if time_unit == "h":
            return (days * 24 + moment.dt.hour().cast(nw.Int64)).cast(nw.Int64)
    if time_unit == "W":
        return ((days + _SHIFT_DAYS + 3) // 7 - _SHIFT_DAYS // 7).cast(nw.Int64)
    return days.cast(nw.Int64)


def period_of(moment: dt.datetime, time_unit: TimeUnit) -> int:
    """Return the period index of one naive datetime (same origin as :func:`period_expr`).

    Examples
    --------
    >>> import datetime as dt
    >>> period_of(dt.datetime(1970, 1, 2, 5), "h"), period_of(dt.datetime(1970, 1, 5), "W")
    (29, 1)
    """
    if time_unit == "M":
        return 12 * moment.year + moment.month - 1
    days = (moment.date() - _EPOCH).days
    if time_unit == "h":
        return 24 * days + moment.hour
    if time_unit == "W":
        return (days + 3) // 7
    return days


def as_moment(value: object, name: str, func: str, *, time_zone: str | None) -> dt.datetime:
    """Return a date-like argument as a naive wall-clock datetime.

    Accepts :class:`datetime.datetime` (and ``pandas.Timestamp``),
    :class:`datetime.date`, :class:`numpy.datetime64` and ISO 8601 strings. A
    zoned value is converted to ``time_zone`` (the timestamp column's zone)
    before its zone is dropped; it is refused when the column is naive.
    """
    moment: dt.datetime
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)  # noqa: DTZ001 - wall-clock date
    elif isinstance(value, np.datetime64) and not np.isnat(value):
        moment = value.astype("datetime64[us]").item()
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            msg = (
                f"The {name!r} parameter of {func} must be an ISO 8601 date or datetime. "
                f"Got {value!r} instead."
            )
            raise InvalidInputError(msg) from exc
    else:
        msg = (
            f"The {name!r} parameter of {func} must be a date, datetime or ISO 8601 string. "
            f"Got {value!r} instead."
        )
        raise InvalidInputError(msg)
    if moment.tzinfo is None:
        return moment
    if time_zone is None:
        msg = (
            f"The {name!r} parameter of {func} is time-zone aware but the timestamp column "
            f"is not. Got {value!r} instead.\nHint: pass a naive date or datetime."
        )
        raise InvalidInputError(msg)
    return moment.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)
