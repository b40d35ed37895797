"""Timestamp normalisation of event frames: one naive datetime, whatever the input.

* naive datetimes are used as they are;
* time-zone-aware datetimes keep their wall-clock time in their own zone (the
  zone is dropped, so periods follow the local calendar);
* dates become midnight datetimes;
* strings (and pandas object columns, read through ``str``) must be ISO 8601
  (``2024-01-05``, ``2024-01-05 10:00``, ``2024-01-05T10:00:00.5+01:00``) and
  real dates and times (``2024-02-30`` or ``25:00`` are counted as unparseable); they
  may carry a UTC offset, but then every row must carry the same one, and the
  wall-clock time is kept. Fractions of a second are dropped.

Parsing is done with string expressions and one explicit format, so every
backend parses the same strings the same way and bad rows can be counted
instead of failing inside the engine.
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.frames import collect, flag
from retention_kpis._core.text import count_rows
from retention_kpis.exceptions import InvalidInputError

__all__ = ["parse_timestamps"]

# A real calendar date: months of 31 and 30 days, February up to the 28th, and the
# 29th of February in leap years (divisible by 4 but not 100, or by 400).
# Digits are [0-9], never \d: \d also matches other scripts' digits (U+0661), which pandas
# would parse silently and polars would fail on. Years 0001-9999: Python's dates.
_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_DATE = (
    rf"(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"|[0-9]{2}(?:0[48]|[2468][048]|[13579][26])-02-29"
    r"|(?:[02468][48]|[2468]0|[13579][26])00-02-29)"
)
_ISO = (
    rf"^{_DATE}(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?)?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_OFFSET = r"(?:Z|[+-][0-9]{2}:?[0-9]{2})$"
_FORMAT = "%Y-%m-%d %H:%M:%S"


def _canonical(raw: nw.Expr) -> nw.Expr:
    """Rewrite a valid ISO 8601 string as ``YYYY-MM-DD HH:MM:SS`` (offset dropped)."""
    has_time = raw.str.slice(10, 1).is_in([" ", "T"])
    has_seconds = has_time & (raw.str.slice(16, 1) == ":")
    time = (
        nw.when(has_seconds)
        .then(raw.str.slice(11, 8))
        .when(has_time)
        .then(nw.concat_str([raw.str.slice(11, 5), nw.lit(":00")]))
        .otherwise(nw.lit("00:00:00"))
    )
    return nw.concat_str([raw.str.slice(0, 10), nw.lit(" "), time]).str.to_datetime(format=_FORMAT)


def _check_strings(lf: nw.LazyFrame[Any], column: str, raw: nw.Expr, frame: str) -> None:
    """Count unparseable strings and mixed time zones; raise naming the rows."""
    # Nulls are counted apart (as null timestamps). pandas' string dtype answers False
    # for them rather than null, and an object column keeps Python bools, which `~`
    # would negate as ints: hence the explicit null test and the cast.
    missing = raw.is_null()
    iso = (missing | raw.str.contains(_ISO).fill_null(value=True)).cast(nw.Boolean())
    has_offset = raw.str.contains(_OFFSET) & ~missing
    offset = (
        nw.when(raw.str.ends_with("Z"))
        .then(nw.lit("+0000"))
        .otherwise(raw.str.replace_all(":", "", literal=True).str.tail(5))
    )
    counts = collect(
        lf.select(
            flag(~iso).sum().alias("bad"),
            flag(has_offset).sum().alias("aware"),
            flag(~has_offset & ~missing).sum().alias("naive"),
            nw.when(has_offset).then(offset).n_unique().alias("offsets"),
            nw.len().alias("rows"),
        )
    ).rows(named=True)[0]
    bad, aware, naive, offsets, rows = (
        int(counts[key] or 0) for key in ("bad", "aware", "naive", "offsets", "rows")
    )
    if aware < rows:  # n_unique counted the null given to rows without an offset
        offsets -= 1
    if bad:
        first = collect(lf.filter(~iso).select(raw.alias("value")).head(1)).item(0, "value")
        msg = (
            f"Column {column!r} of {frame} holds {count_rows(bad)} that cannot be parsed as "
            f"ISO 8601 timestamps (first: {first!r}).\nHint: convert the column to datetimes first."
        )
        raise InvalidInputError(msg)
    if aware and naive:
        msg = (
            f"Column {column!r} of {frame} mixes time zones: {count_rows(aware)} with a UTC "
            f"offset and {count_rows(naive)} without.\n"
            "Hint: convert every timestamp to one time zone first."
        )
        raise InvalidInputError(msg)
    if aware and offsets > 1:
        msg = (
            f"Column {column!r} of {frame} mixes time zones: {aware} rows carry {offsets} "
            "different UTC offsets.\nHint: convert every timestamp to one time zone first."
        )
        raise InvalidInputError(msg)


def _zoned_pandas(lf: nw.LazyFrame[Any], column: str) -> bool:
    """Whether a pandas column holds zoned datetimes narwhals cannot name.

    narwhals reads the zone from the dtype's text and gives up (dtype Unknown) on
    zone names with a slash or sign it does not expect (``America/New_York``,
    ``Etc/GMT+5``); pandas still knows the zone (``dtype.tz``, or the pyarrow
    type's ``tz`` for ``timestamp[us, tz=...][pyarrow]``).
    """
    if not lf.implementation.is_pandas_like():
        return False
    native_dtype = lf.to_native()[column].dtype
    if getattr(native_dtype, "tz", None) is not None:
        return True
    return getattr(getattr(native_dtype, "pyarrow_dtype", None), "tz", None) is not None


def parse_timestamps(
    lf: nw.LazyFrame[Any],
    column: str,
    dtype: Any,  # noqa: ANN401 - a narwhals dtype instance
    *,
    frame: str = "events",
) -> nw.Expr:
    """Return an expression giving ``column`` as naive datetimes.

    Parameters
    ----------
    lf : narwhals.LazyFrame
        The events; string columns are checked with one aggregation.
    column : str
        The timestamp column.
    dtype : narwhals.dtypes.DType
        Its dtype.
    frame : str, default="events"
        What the frame is called in error messages (``"transactions"``).

    Returns
    -------
    narwhals.Expr
        A naive datetime expression.

    Raises
    ------
    InvalidInputError
        If the dtype is not a datetime, date, string or object, if strings are
        not ISO 8601, or if they mix time zones.

    Examples
    --------
    >>> import pandas as pd
    >>> import narwhals.stable.v2 as nw
    >>> lf = nw.from_native(pd.DataFrame({"t": ["2024-01-05 10:00"]})).lazy()
    >>> expr = parse_timestamps(lf, "t", lf.collect_schema()["t"])
    >>> str(lf.select(expr).collect().item(0, "t"))
    '2024-01-05 10:00:00'
    """
    raw = nw.col(column)
    if isinstance(dtype, nw.Datetime):
        return raw.dt.replace_time_zone(None) if dtype.time_zone is not None else raw
    if dtype == nw.Unknown and _zoned_pandas(lf, column):
        return raw.dt.replace_time_zone(None)
    if dtype == nw.Date:
        return raw.cast(nw.Datetime("us"))
    if dtype == nw.Object:
        raw = raw.cast(nw.String)
    elif dtype != nw.String:
        msg = (
            f"Column {column!r} of {frame} must hold datetimes, dates or ISO 8601 strings. "
            f"Got dtype {dtype} instead."
        )
        raise InvalidInputError(msg)
    _check_strings(lf, column, raw, frame)
    return _canonical(raw)
