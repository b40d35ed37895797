"""Paths on polars: one sort by (owner, time, kind, channel), then order-preserving scans.

The generic path (:func:`._paths.path_table` on the other backends) cuts paths with
window functions ordered by time: every ordered window is a sort inside each partition,
and a path needs two of them (Markov three). On polars the rows are sorted once; a
path is then a run of consecutive rows, and every per-path quantity is a running sum,
a shift or a fill from the run's first or last row (linear scans; no hash partition).
The columns and their values are those of the generic path, bit for bit: positions,
lengths and conversion counts are integers; the period of a path is its last row's;
the only float sums (a path's revenue and first-purchase shares, over its
conversions) are the same window sums as in the generic path.

In the sorted order, a path is the owner's rows from just after a conversion instant
(or the owner's first row) up to and including the conversions of the next conversion
instant: touches at the instant of a conversion sort before it (``kind`` 0 < 1) and
belong to it, conversions of one instant share one path. A non-converting journey is
the run after the owner's last conversion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.columns import PERIOD

__all__ = ["last_in_path", "path_sum", "sorted_rows"]

_START = "__rk_path_start"
_LAST = "__rk_path_last"
_RUN = "__rk_run"
_SEEN = "__rk_seen"
_KEY = "__rk_sort_key"
_UNITS = (1_000_000, 1_000, 1)  # time units tried for the packed key (us per unit)
_KEY_BITS = 63  # the packed key is a non-negative Int64


def _from_last(expr: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Give every row of a path the value of ``expr`` on the path's last row (never null)."""
    import polars as pl  # noqa: PLC0415 - optional backend

    return pl.when(pl.col(_LAST)).then(expr).backward_fill()


def _before_start(running: Any, step: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Give every row of a path the running sum's value just before the path's first row."""
    import polars as pl  # noqa: PLC0415 - optional backend

    return pl.when(pl.col(_START)).then(running - step).forward_fill()


def path_sum(step: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Exact sum of an integer ``step`` over the path (difference of running sums)."""
    import polars as pl  # noqa: PLC0415 - optional backend

    running = step.cum_sum()
    return _from_last(running) - _before_start(running, step).fill_null(pl.lit(0))


def _running_in_path(step: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Sum an integer ``step`` from the path's first row to this row (inclusive)."""
    running = step.cum_sum()
    return running - _before_start(running, step)


def _owner_code(frame: Any, name: str) -> tuple[int, Any, Any] | None:  # noqa: ANN401
    """Return ``(codes, code, decode)`` for one owner column of ``frame``, or None.

    ``code`` (an expression, 0 for a null and 1 to ``codes - 1`` otherwise) orders as
    polars' sort orders the column, nulls first: an integer's offset from the column's
    minimum, or a text's rank among the sorted distinct values (polars' own string order);
    ``decode(expression)`` gives the value back, same type. None for other types.
    """
    import polars as pl  # noqa: PLC0415 - optional backend

    dtype = frame.schema[name]
    column = pl.col(name)
    if dtype == pl.String:
        names = frame.get_column(name).drop_nulls().unique().sort()
        values = pl.concat([pl.Series([None], dtype=pl.String), names])
        code = (column.cast(pl.Enum(names)).to_physical().cast(pl.Int64) + 1).fill_null(0)
        return values.len(), code, lambda packed: pl.lit(values).gather(packed)
    if not dtype.is_integer() or dtype == pl.UInt64:
        return None
    low, high = frame.select(
        column.cast(pl.Int64).min(), column.cast(pl.Int64).max().alias("h")
    ).row(0)
    if low is None:  # every value null
        low = high = 0
    # Below 2**62 once the key's bits fit: no Int64 overflow.
    code = (column.cast(pl.Int64) - (low - 1)).fill_null(0)
    return (
        high - low + 2,
        code,
        lambda packed: pl.when(packed > 0).then(packed + (low - 1)).cast(dtype),
    )


def _packed_key(
    frame: Any,  # noqa: ANN401 - a polars DataFrame
    *,
    owner: Sequence[str],
    us: str,
    conv: str,
    channel: str,
) -> Any:  # noqa: ANN401 - polars expressions
    """Return ``(key, decoded)`` sorting ``frame`` as (*owner, us, conv, channel), or None.

    ``key`` is one Int64 expression packing, from the most significant bit: each owner
    column's code (:func:`_owner_code`), the time's offset from its minimum in units of the
    largest of 1 s, 1 ms, 1 us dividing every offset, the is-conversion bit and the
    channel's rank among the sorted distinct labels (0: null; polars orders strings by
    their UTF-8 bytes, as Python's ``sorted`` orders code points). ``decoded`` gives the
    columns back, same values and types, from the key column :data:`_KEY`. None when a
    column's type or the ranges do not allow it (more than 63 bits, a null time, a
    conversion flag other than 0/1).
    """
    import polars as pl  # noqa: PLC0415 - optional backend

    if frame.schema[channel] != pl.String:
        return None
    codes = [_owner_code(frame, name) for name in owner]
    if any(code is None for code in codes):
        return None
    col = pl.col
    offset = col(us) - col(us).min()
    stats = frame.select(
        col(us).min().alias("us_min"),
        col(us).max().alias("us_max"),
        col(us).null_count().alias("us_nulls"),
        ((col(conv) == 0) | (col(conv) == 1)).all().alias("conv_bit"),
        *[(offset % unit == 0).all().alias(f"unit_{unit}") for unit in _UNITS],
        col(channel).unique().implode().alias("channels"),
    ).row(0, named=True)
    if stats["us_nulls"] or not stats["conv_bit"] or stats["us_min"] is None:
        return None
    unit = next(unit for unit in _UNITS if stats[f"unit_{unit}"])
    labels = sorted(label for label in stats["channels"] if label is not None)
    channel_bits = len(labels).bit_length()
    time_bits = ((stats["us_max"] - stats["us_min"]) // unit).bit_length()
    owner_bits = [(count - 1).bit_length() for count, _, _ in codes]  # type: ignore[misc]
    if sum(owner_bits) + time_bits + 1 + channel_bits > _KEY_BITS:
        return None
    time_shift = 2 ** (1 + channel_bits)
    rank = col(channel).cast(pl.Enum(labels)).to_physical().cast(pl.Int64) + 1
    key = (
        ((col(us) - stats["us_min"]) // unit) * time_shift
        + col(conv).cast(pl.Int64) * 2**channel_bits
        + rank.fill_null(0)
    )
    packed = col(_KEY)
    decoded = [
        (packed // time_shift % 2**time_bits * unit + stats["us_min"])
        .cast(frame.schema[us])
        .alias(us),
        (packed // 2**channel_bits % 2).cast(frame.schema[conv]).alias(conv),
        pl.lit(pl.Series([None, *labels], dtype=pl.String))
        .gather(packed % 2**channel_bits)
        .alias(channel),
    ]
    shift = 2 ** (time_bits + 1 + channel_bits)
    for name, bits, (_, code, decode) in zip(
        reversed(owner), reversed(owner_bits), reversed(codes), strict=True
    ):  # the last owner column just above the time
        key = key + code * shift
        decoded.append(decode(packed // shift % 2**bits).alias(name))
        shift *= 2**bits
    return key, decoded


def _sorted(native: Any, *, owner: Sequence[str], keys: list[str]) -> Any:  # noqa: ANN401
    """Sort the rows by ``(*owner, *keys)``: on one packed integer key when it fits.

    Polars sorts several key columns through a row encoding (about twice the time of one
    integer key carrying the same columns at 10M rows); the packed key gives the same
    order (ties, rows equal on every key column, keep their input order) and carries the
    key columns in its bits: they are decoded after the sort, not moved by it.
    """
    frame = native.collect(engine="in-memory")
    packed = _packed_key(frame, owner=owner, us=keys[0], conv=keys[1], channel=keys[2])
    if packed is None:
        return frame.lazy().sort([*owner, *keys])
    key, decoded = packed
    columns = frame.columns
    carried = [name for name in columns if name not in {*owner, *keys}]
    keyed = frame.select(key.alias(_KEY), *carried)
    del frame  # eager steps, so that the unsorted rows are freed before the sort
    return keyed.sort(_KEY, maintain_order=True).lazy().with_columns(decoded).select(columns)


def sorted_rows(
    rows: nw.LazyFrame[Any],
    *,
    names: dict[str, str],
    owner: Sequence[str],
    lookback_us: int | None,
    period: bool,
    values: Sequence[str],
    kinds: dict[str, int],
) -> nw.LazyFrame[Any]:
    """Return the rows sorted, with the generic path's columns (see :func:`._paths._cut`).

    ``names`` maps the roles ``us``, ``conversion``, ``channel``, ``inside``, ``position``,
    ``length``, ``n``, ``part``, ``reference`` and ``path`` (a path number) to their
    column names; ``kinds`` the row kinds ``CONVERSION``, ``TOUCH``, ``JOURNEY``,
    ``OUTSIDE``.
    """
    import polars as pl  # noqa: PLC0415 - optional backend

    us, conv, channel = names["us"], names["conversion"], names["channel"]
    col = pl.col
    native = _sorted(rows.to_native(), owner=owner, keys=[us, conv, channel])
    is_conversion = col(conv) == 1
    start = pl.int_range(pl.len()) == 0
    for name in owner:
        start = start | col(name).ne_missing(col(name).shift(1))
    # A path starts after a conversion row, unless that row is a conversion of the same
    # instant as this one (conversions of one instant share a path).
    after = (col(conv).shift(1) == 1) & ~(is_conversion & (col(us) == col(us).shift(1)))
    native = native.with_columns((start | after.fill_null(value=False)).alias(_START))
    native = native.with_columns(
        col(_START).shift(-1).fill_null(value=True).alias(_LAST),
        col(_START).cast(pl.Int64).cum_sum().alias(names["path"]),
    )
    # The path's reference time: its conversion instant, or a journey's last touch.
    reference = _from_last(col(us))
    native = native.with_columns(
        reference.alias(names["reference"]),
        _from_last(col(conv)).alias(_SEEN),  # 1 on a converting path
    )
    inside = pl.lit(value=True)
    if lookback_us is not None:
        inside = is_conversion | (col(names["reference"]) - col(us) <= lookback_us)
    native = native.with_columns(inside.alias(names["inside"]))
    touch = (col(names["inside"]) & ~is_conversion).cast(pl.Int64)
    columns = [
        _running_in_path(touch).alias(names["position"]),
        path_sum(touch).alias(names["length"]),
        path_sum(col(conv).cast(pl.Int64)).cast(pl.Float64).alias(names["n"]),
        *[col(name).sum().over(names["path"]).alias(f"{name}_path") for name in values],
    ]
    if period:
        columns.append(_from_last(col(PERIOD)).alias(PERIOD))
    native = native.with_columns(columns)
    part = (
        pl.when(is_conversion)
        .then(pl.lit(kinds["CONVERSION"]))
        .when(~col(names["inside"]))
        .then(pl.lit(kinds["OUTSIDE"]))
        .when(col(_SEEN) == 0)
        .then(pl.lit(kinds["JOURNEY"]))
        .otherwise(pl.lit(kinds["TOUCH"]))
    )
    native = native.with_columns(
        part.cast(pl.Int64).alias(names["part"]),
        col(names["inside"]).cast(pl.Int64),
    )
    frame: nw.LazyFrame[Any] = nw.from_native(native)
    return frame


def last_in_path(value: Any) -> Any:  # noqa: ANN401 - polars expressions
    """Give every row of a path the path's last non-null ``value`` (0: none)."""
    import polars as pl  # noqa: PLC0415 - optional backend

    reset = pl.when(pl.col(_START) & value.is_null()).then(pl.lit(0)).otherwise(value)
    return _from_last(reset.forward_fill())
