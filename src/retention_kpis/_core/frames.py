"""narwhals frame helpers: wrapping the input, grouping, collecting, plain scalars.

Native frames come in through :func:`as_lazy` (every backend as a narwhals
LazyFrame) and small aggregated tables go out through :func:`collect_table`
as plain Python, keyed by their group columns.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import narwhals.stable.v2 as nw
from narwhals.exceptions import DuplicateError

from retention_kpis._core.columns import PREFIX, TIMESTAMP, segment_names
from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "Key",
    "as_lazy",
    "as_lazy_and_eager",
    "collect",
    "collect_table",
    "flag",
    "forget_dropped_names",
    "grouped",
    "key_order",
    "max_timestamp",
    "one_of",
    "plain",
    "private_segments",
    "sorted_keys",
]

Key: TypeAlias = tuple[Any, ...]
"""The group values of one row of an aggregated table: ``(period index, *segments)``."""


def plain(value: object) -> object:
    """Turn a backend scalar into plain Python; float nan (pandas' null) into None.

    Examples
    --------
    >>> import numpy as np
    >>> plain(np.int64(3)), plain(float("nan"))
    (3, None)
    """
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        value = item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def as_lazy(frame: object, name: str = "events", func: str | None = None) -> nw.LazyFrame[Any]:
    """Wrap any native frame narwhals supports as a narwhals LazyFrame, else raise.

    An eager frame becomes the lazy view of itself (nothing is copied); a frame
    that is already narwhals is taken as it is.
    """
    return as_lazy_and_eager(frame, name, func)[0]


def as_lazy_and_eager(
    frame: object, name: str = "events", func: str | None = None
) -> tuple[nw.LazyFrame[Any], bool]:
    """Return :func:`as_lazy` of ``frame`` and whether ``frame`` was eager.

    ``name`` and ``func`` name the parameter in the error message
    (``The 'events' parameter of compute_kpis must be ...``).
    """
    where = f"The {name!r} parameter" + (f" of {func}" if func else "")
    try:
        wrapped = nw.from_native(frame)  # type: ignore[call-overload]  # any native frame
    except TypeError as exc:
        msg = (
            f"{where} must be a dataframe narwhals supports (pandas, polars, "
            f"pyarrow, DuckDB, ...). Got {type(frame).__name__} instead."
        )
        raise InvalidInputError(msg) from exc
    except DuplicateError as exc:  # pandas allows repeated column names
        names = [str(column) for column in getattr(frame, "columns", ())]
        repeated = sorted({column for column in names if names.count(column) > 1})
        msg = (
            f"{where} must have distinct column names. Got {repeated} more "
            "than once.\nHint: drop or rename the repeated columns first."
        )
        raise InvalidInputError(msg) from exc
    if isinstance(wrapped, nw.DataFrame):
        return wrapped.lazy(), True
    if isinstance(wrapped, nw.LazyFrame):
        if wrapped.implementation.is_sqlframe():
            _check_postgres_time_zone(frame, where)
        return wrapped, False
    msg = f"{where} must be a dataframe, not a series. Got {type(frame).__name__}."
    raise InvalidInputError(msg)


def private_segments(
    lf: nw.LazyFrame[Any], by: Sequence[str]
) -> tuple[nw.LazyFrame[Any], tuple[str, ...]]:
    """Keep the private columns of validated events and the ``by`` columns under private names.

    The aggregations name their helper and result columns freely (``events``,
    ``_converted``, ...); a user's ``by`` column of the same name would collide
    with them. Renamed ``__rk_by_<i>`` (and every other user column dropped),
    segments cannot collide; the caller maps the names back in its output.

    Examples
    --------
    >>> import pandas as pd
    >>> lf = nw.from_native(pd.DataFrame({"__rk_customer": [1], "events": ["a"]})).lazy()
    >>> frame, names = private_segments(lf, ["events"])
    >>> frame.collect_schema().names(), names
    (['__rk_customer', '__rk_by_0'], ('__rk_by_0',))
    """
    private = segment_names(list(by))
    # `columns`, not collect_schema(): SQLFrame knows the names of a plan without asking the
    # database, while its schema costs four statements (a view and three catalog queries).
    own = [name for name in lf.columns if name.startswith(PREFIX)]
    renamed = [nw.col(name).alias(alias) for name, alias in zip(by, private, strict=True)]
    return lf.select(*own, *renamed), private


_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "GMT", "Etc/GMT", "UCT", "Etc/UCT", "Zulu", "Etc/Zulu"})


def _check_postgres_time_zone(frame: object, where: str) -> None:
    """Refuse a SQLFrame PostgreSQL frame whose session is not in UTC (one small query).

    SQLFrame reads a ``timestamptz`` column as the wall time of the session's
    ``TimeZone``, so a Tokyo session would move 23:30 UTC on Jan 31 into February,
    unlike every other backend (which reads instants in UTC).
    """
    session = getattr(frame, "session", None)
    if getattr(session, "execution_dialect_name", None) != "postgres":
        return
    query = "SELECT current_setting('TimeZone') AS zone"
    zone = str(session.sql(query, dialect="postgres").collect()[0][0])  # type: ignore[union-attr]
    if zone not in _UTC_NAMES:
        msg = (
            f"{where} must come from a PostgreSQL session in UTC (SQLFrame reads timestamptz "
            f"as the session zone's wall time). Got TimeZone {zone!r} instead.\n"
            "Hint: connect with options='-c timezone=UTC', or run SET TIME ZONE 'UTC'."
        )
        raise InvalidInputError(msg)


def forget_dropped_names(lf: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """SQLFrame: forget the display names of columns the frame no longer has.

    SQLFrame remembers the name of every column selected or aliased with its case
    (``Revenue``) and, Spark names being case-insensitive, gives it to any later column
    whose name equals it but for case: the library's own ``revenue`` sum came back as
    ``Revenue`` and the report, not finding ``revenue``, showed 0.0. Call this on a
    frame the library selected (its columns renamed to its own names): the names of the
    columns it still has are kept, the others are dropped. Other backends, and SQLFrame
    frames with nothing to forget, are returned as they are. The input frame is not
    modified (SQLFrame's ``copy`` makes a new frame).

    Examples
    --------
    >>> import polars as pl
    >>> lf = nw.from_native(pl.LazyFrame({"a": [1]}))
    >>> forget_dropped_names(lf) is lf
    True
    """
    if not lf.implementation.is_sqlframe():
        return lf
    native = lf.to_native()
    names = getattr(native, "display_name_mapping", None)
    expression = getattr(native, "expression", None)
    if not isinstance(names, dict) or expression is None:  # pragma: no cover - SQLFrame < 4.10
        return lf
    kept = set(expression.named_selects)
    if kept.issuperset(names):
        return lf
    current = {name: shown for name, shown in names.items() if name in kept}
    forgetful: nw.LazyFrame[Any] = nw.from_native(native.copy(display_name_mapping=current))
    return forgetful


def flag(condition: nw.Expr) -> nw.Expr:
    """Return a 0/1 integer column of a condition, null counting as 0 (sums on every backend)."""
    # when/then rather than a cast: PostgreSQL casts a boolean to integer, not to bigint.
    return nw.when(condition).then(nw.lit(1, nw.Int64())).otherwise(nw.lit(0, nw.Int64()))


def one_of(column: str, values: Sequence[object]) -> nw.Expr:
    """``column`` equals one of ``values``: equalities joined by OR (for a never-null column).

    It equals ``is_in`` where ``column`` is never null (validated event types), and costs
    less: on SQLFrame, ``is_in`` becomes ``CASE WHEN x IS NULL THEN NULL ELSE x IN (...)
    END``, whose selectivity PostgreSQL cannot estimate (it planned 5.1M of 10.2M events
    for 0.3M), and the inflated cost switched on JIT inlining and optimisation: 1.2 s of
    CPU for a 1.6 s query. polars filters 10M strings faster with the equalities too.

    Examples
    --------
    >>> import polars as pl
    >>> lf = nw.from_native(pl.LazyFrame({"e": ["a", "b", "c"]}))
    >>> lf.filter(one_of("e", ["a", "c"])).collect()["e"].to_list()
    ['a', 'c']
    """
    if not values:
        return nw.lit(value=False)
    condition = nw.col(column) == values[0]
    for value in values[1:]:
        condition = condition | (nw.col(column) == value)
    return condition


def grouped(lf: nw.LazyFrame[Any], keys: Sequence[str], *aggs: nw.Expr) -> nw.LazyFrame[Any]:
    """Aggregate per ``keys``, or over the whole frame when there are none."""
    if keys:
        return lf.group_by(*keys).agg(*aggs)
    return lf.select(*aggs)


def collect(lf: nw.LazyFrame[Any]) -> nw.DataFrame[Any]:
    """Run a lazy frame's query and return its rows as an eager frame.

    narwhals collects SQLFrame frames through Arrow, which only SQLFrame's DuckDB
    and Databricks sessions export; on the others (PostgreSQL, BigQuery, Snowflake,
    Redshift) the rows the database returns are fetched and put in a pyarrow table
    with the frame's schema.

    Examples
    --------
    >>> import polars as pl
    >>> collect(nw.from_native(pl.LazyFrame({"a": [1]}))).item()
    1
    """
    if not lf.implementation.is_sqlframe():
        return lf.collect()
    try:
        return lf.collect()
    except NotImplementedError:  # "Arrow conversion is not supported by this engine"
        pass
    import pyarrow as pa  # noqa: PLC0415 - the 'sql' extra installs it

    native = lf.to_native()
    rows = native.collect()
    if not rows:  # no values to type the columns from: ask for the schema
        return nw.from_native(pa.Table.from_pylist([], schema=_arrow_schema(lf)), eager_only=True)
    # The types come from the values the driver returns (int, float, Decimal, str, datetime,
    # ...), so no schema query is needed: SQLFrame's costs four statements per plan.
    names = list(native.columns)
    columns = [pa.array([row[index] for row in rows]) for index in range(len(names))]
    return nw.from_native(pa.Table.from_arrays(columns, names=names), eager_only=True)


def _arrow_schema(lf: nw.LazyFrame[Any]) -> Any:  # noqa: ANN401 - a pyarrow schema
    """Return the Arrow schema of a SQLFrame plan, session-zone timestamps read as naive."""
    import pyarrow as pa  # noqa: PLC0415 - the 'sql' extra installs it

    schema = lf.collect_schema().to_arrow()
    fields = []
    for field in schema:
        kind = field.type
        if pa.types.is_timestamp(kind) and kind.tz == "<unknown>":
            # narwhals' mark for Spark-like session-zone timestamps: the values are naive
            # wall times of the session, which the library requires to be UTC.
            kind = pa.timestamp(kind.unit)
        fields.append(pa.field(field.name, kind))
    return pa.schema(fields)


def collect_table(lf: nw.LazyFrame[Any], keys: Sequence[str]) -> dict[Key, dict[str, Any]]:
    """Collect a small aggregated table as ``{key: {column: plain value}}``."""
    table: dict[Key, dict[str, Any]] = {}
    for row in collect(lf).rows(named=True):
        key = tuple(plain(row[name]) for name in keys)
        table[key] = {name: plain(value) for name, value in row.items() if name not in keys}
    return table


def key_order(key: Key) -> tuple[tuple[bool, str, Any], ...]:
    """Sort key of a group key: nulls last, values of one type together, then by value."""
    return tuple((value is None, str(type(value)), value) for value in key)


def sorted_keys(keys: Iterable[Key]) -> list[Key]:
    """Distinct group keys in report order (:func:`key_order`)."""
    return sorted(set(keys), key=key_order)


def max_timestamp(lf: nw.LazyFrame[Any]) -> dt.datetime | None:
    """Return the latest canonical timestamp as a naive datetime (None when empty)."""
    value = collect(lf.select(nw.col(TIMESTAMP).max())).item()
    if value is None or value != value:  # noqa: PLR0124 - pandas' NaT on an empty frame
        return None
    to_pydatetime = getattr(value, "to_pydatetime", None)
    if callable(to_pydatetime):
        value = to_pydatetime()
    if not isinstance(value, dt.datetime):  # pragma: no cover - backends return datetimes
        msg = f"Unexpected timestamp type {type(value).__name__}."
        raise InvalidInputError(msg)
    return value.replace(microsecond=0)
