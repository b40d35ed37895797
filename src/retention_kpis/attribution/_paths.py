"""Build conversion paths in the events' own engine and reduce them to a small table.

Paths are cut in the backend and reduced there to one row per ``(kind, group,
channel, ...)`` that the chosen model needs: only that table is collected, never
the touch rows. polars sorts once and scans (:mod:`._polars_paths`), DuckDB runs
one shared window sort, a group-by and a join (:mod:`._duckdb_paths`), the others
(PySpark, SQLFrame, pandas; pyarrow through pandas) window functions (below); all
give the same table, bit for bit. Definitions (see ``docs/attribution.md``):

* the *owner* of a row is its customer within its ``by`` segment (rows are split
  by their own ``by`` values first; a null is a value);
* touches of an owner are ordered by time then channel name, so the result never
  depends on row order; times are whole microseconds;
* the path of a conversion at time ``T`` holds the owner's touches with
  ``T - lookback <= t <= T`` and ``t > T_prev``, where ``T_prev`` is the owner's
  latest conversion strictly before ``T`` (the path resets after a conversion;
  conversions at the same timestamp share one path). Equivalently, a touch at
  ``t`` belongs to the owner's earliest conversion instant ``T >= t``: one
  reverse running minimum per owner finds it;
* the non-converting journey of an owner holds the touches after the owner's last
  conversion (all touches if none) with ``t >= t_last - lookback``, where
  ``t_last`` is the owner's last touch.

Each path instance (owner, ``T``) is a window partition: the touch's position
(1-based) and the path's length, conversions and revenue are window aggregates
over it, so no join is needed. The period of a path is that of ``T`` (of
``t_last`` for a journey), the largest period index in the partition.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from retention_kpis._core.calendar import Period, microseconds_expr, period_index
from retention_kpis._core.columns import CHANNEL, CUSTOMER, PERIOD, REVENUE, TIMESTAMP
from retention_kpis._core.columns import EVENT as _EVENT
from retention_kpis._core.frames import Key, collect, flag, grouped, plain
from retention_kpis.attribution._duckdb_paths import duckdb_rows
from retention_kpis.attribution._polars_paths import last_in_path, path_sum, sorted_rows

__all__ = [
    "CONVERSION",
    "FIRST",
    "JOURNEY",
    "OUTSIDE",
    "TOUCH",
    "BoolArray",
    "FloatArray",
    "IntArray",
    "PathTable",
    "channel_label",
    "distinct_sorted",
    "expand",
    "path_table",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

CONVERSION, TOUCH, JOURNEY, OUTSIDE, FIRST = 0, 1, 2, 3, 4
"""Kinds of rows of the path table: a conversion (``a`` = 1 when its path has a
touch); a touch of a converting path; a touch of a non-converting journey (``a``
= 1 on the journey's last touch); a touch outside every lookback window (only its
channel counts, as a channel of the events); the first touch of a converting path
(Shapley: ``a`` is the path's channel set as a bitmask)."""

_US = "__rk_us"
_CONV = "__rk_is_conversion"
_CH = CHANNEL
_REV = "__rk_value_0"
_NEW = "__rk_value_1"
_END = "__rk_path_end"
_REF = "__rk_reference"
_INSIDE = "__rk_inside"
_POS = "__rk_position"
_LEN = "__rk_length"
_PART = "__rk_part"
_PREV = "__rk_previous"
_A = "__rk_a"
_B = "__rk_b"
_N = "__rk_n"
_PATH = "__rk_path"
_COUNT = "__rk_count"
_ORDER_OF = {_CONV: "__rk_order_0", _US: "__rk_order_1", _CH: "__rk_order_2"}
_ORDER = list(_ORDER_OF.values())
"""A path's order: touches by time then channel name, its conversions last."""
_LIMB_BITS = 26
_LIMBS = 4
"""Sums are exact: every weight and value is cut into an integer part and three 26-bit
fractions (78 bits below the point, finer bits dropped), summed as integers in the
engine and put together with ``math.fsum``: the same result on every backend and in
every row order, unlike a float sum in the engine's own order."""
_NAMES = {
    "us": _US,
    "conversion": _CONV,
    "channel": _CH,
    "inside": _INSIDE,
    "position": _POS,
    "length": _LEN,
    "n": _N,
    "part": _PART,
    "reference": _REF,
    "path": _PATH,
}
_KINDS = {"CONVERSION": CONVERSION, "TOUCH": TOUCH, "JOURNEY": JOURNEY, "OUTSIDE": OUTSIDE}
_EXP_DEGREE = 18
_NO_CONVERSION = 2**62  # larger than every microsecond timestamp (year 146,000)


@dataclasses.dataclass(frozen=True)
class PathTable:
    """The collected path table as arrays, one entry per row.

    ``part`` is one of :data:`CONVERSION`, ... ; ``group`` indexes :attr:`groups`
    (``(period index, *segment values)`` when a period is given, else
    ``(*segment values,)``), -1 on :data:`OUTSIDE` rows; ``channel`` and
    ``previous`` index :attr:`channels` (-1: none; ``previous`` is -1 on a path's
    first touch). ``n`` is the row's conversions (journeys: count), ``values[k]``
    its revenue (``k = 0``) and first-purchase shares (``k = 1``) as weighted by
    the model; ``a`` and ``b`` are the model's keys (see :func:`path_table`).
    """

    channels: tuple[str, ...]
    groups: tuple[Key, ...]
    part: IntArray
    group: IntArray
    channel: IntArray
    previous: IntArray
    a: FloatArray
    b: IntArray
    n: FloatArray
    values: FloatArray


def distinct_sorted(values: IntArray) -> IntArray:
    """Return the sorted distinct integers (a sort, not numpy's hash-based ``unique``).

    Examples
    --------
    >>> import numpy as np
    >>> distinct_sorted(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ordered: IntArray = np.sort(values)
    if ordered.size:
        ordered = ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]
    return ordered


def expand(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Flatten slices ``[lo, hi)``: return (slice number, position in slice, flat index).

    Examples
    --------
    >>> import numpy as np
    >>> [a.tolist() for a in expand(np.array([3, 7]), np.array([5, 8]))]
    [[0, 0, 1], [0, 1, 0], [3, 4, 7]]
    """
    lengths = hi - lo
    owner = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    position = np.arange(owner.size, dtype=np.int64) - np.repeat(starts, lengths)
    return owner, position, np.repeat(lo, lengths) + position


def channel_label(dtype: Any, channel: str) -> nw.Expr:  # noqa: ANN401 - a narwhals dtype
    """Return the channel as text, the same on every backend: what Python's ``str`` prints.

    Backends cast numbers and booleans to text differently (pyarrow writes the
    float 3.0 as ``"3"``, polars as ``"3.0"``; pandas writes ``"True"``, the
    others ``"true"``), so whole floats and booleans are spelled out here:
    ``3.0 -> "3.0"``, ``True -> "True"``. Other floats keep the backend's
    shortest round-trip decimal (``0.5 -> "0.5"``), as Python prints them too.
    A nan channel never gets here: validation reads it as null (no touch).
    """
    column = nw.col(channel)
    if dtype == nw.Boolean:
        return nw.when(column).then(nw.lit("True")).when(~column).then(nw.lit("False"))
    if dtype.is_float():
        # Whole floats are the text without a point or exponent ("3" on pyarrow): add ".0".
        text = column.cast(nw.String)
        whole = text.str.contains(r"^-?[0-9]+$").fill_null(value=False)
        return nw.when(whole).then(nw.concat_str([text, nw.lit(".0")])).otherwise(text)
    return column.cast(nw.String)


def _microseconds(lf: nw.LazyFrame[Any]) -> nw.Expr:
    """Whole microseconds since the epoch (finer digits dropped), the engine's fastest way."""
    implementation = lf.implementation
    if implementation.is_polars() or implementation.is_pandas_like():
        return nw.col(TIMESTAMP).dt.timestamp("us")
    return microseconds_expr()


def _rows(
    lf: nw.LazyFrame[Any],
    *,
    touch_events: Sequence[str],
    conversion_event: str,
    channel: str,
    by: Sequence[str],
    period: Period | None,
    has_revenue: bool,
    new_customers: bool,
) -> nw.LazyFrame[Any]:
    """Touch and conversion rows with only the columns the paths need."""
    is_conversion = nw.col(_EVENT) == conversion_event
    is_touch = nw.col(_EVENT).is_in(list(touch_events)) & ~nw.col(channel).is_null()
    revenue = nw.col(REVENUE).cast(nw.Float64).fill_null(0.0) if has_revenue else nw.lit(0.0)
    label = channel_label(lf.collect_schema()[channel], channel)
    columns = [
        *[nw.col(name) for name in by],
        nw.col(CUSTOMER),
        _microseconds(lf).alias(_US),
        flag(is_conversion).alias(_CONV),
        # "" on conversions: narwhals' pandas backend misorders a window key holding nulls.
        nw.when(is_touch).then(label).otherwise(nw.lit("")).alias(_CH),
        nw.when(is_conversion).then(revenue).otherwise(nw.lit(0.0)).alias(_REV),
    ]
    if period is not None:
        columns.append(period_index(period).alias(PERIOD))
    rows = lf.filter(is_conversion | is_touch).select(*columns)
    if new_customers:
        # Each customer's earliest conversion instant; its k conversion rows get 1/k each.
        buyer = (nw.col(_CONV) == 1) & ~nw.col(CUSTOMER).is_null()
        earliest = nw.when(buyer).then(nw.col(_US)).otherwise(nw.lit(_NO_CONVERSION))
        rows = rows.with_columns(earliest.min().over(CUSTOMER).alias(_REF))
        rows = rows.with_columns(flag(buyer & (nw.col(_US) == nw.col(_REF))).alias(_REF))
        rows = rows.with_columns(nw.col(_REF).sum().over(CUSTOMER).alias(_NEW))
        share = nw.lit(1.0) / nw.col(_NEW).cast(nw.Float64)
        first = nw.col(_REF) == 1
        rows = rows.with_columns(
            nw.when(first).then(share).otherwise(nw.lit(0.0)).alias(_NEW)
        ).drop(_REF)
    return rows


def _cut(
    rows: nw.LazyFrame[Any],
    *,
    owner: Sequence[str],
    lookback_us: int | None,
    period: Period | None,
    values: Sequence[str],
) -> tuple[nw.LazyFrame[Any], list[str]]:
    """Give every row its path (window partition), position, length and kind."""
    conversion = nw.col(_CONV) == 1
    pending = nw.when(conversion).then(nw.col(_US)).otherwise(nw.lit(_NO_CONVERSION))
    # A running minimum in descending (time, is conversion) order (the conversions of an
    # instant before its touches); written with negated columns, not reverse=True, which
    # narwhals' pandas backend does not apply in order.
    # Copies of the order keys: narwhals' pandas backend ignores an order key that is
    # also the column the window function reads.
    rows = rows.with_columns(
        (-nw.col(_US)).alias(_REF),
        (-nw.col(_CONV)).alias(_INSIDE),
        *[nw.col(name).alias(key) for name, key in _ORDER_OF.items()],
    )
    end = pending.cum_min().over(*owner, order_by=[_REF, _INSIDE])
    rows = rows.with_columns(end.alias(_END))
    path = [*owner, _END]  # one partition per path: its touches outside the window first
    rows = rows.with_columns(nw.col(_US).max().over(*path).alias(_REF))
    inside = nw.col(_CONV) >= 0  # every row (a column, so that it can be summed)
    if lookback_us is not None:
        inside = conversion | (nw.col(_REF) - nw.col(_US) <= lookback_us)
    totals = [nw.col(name).sum().over(*path).alias(f"{name}_path") for name in values]
    if period is not None:
        totals.append(nw.col(PERIOD).max().over(*path))
    rows = rows.with_columns(
        flag(inside).alias(_INSIDE),
        nw.col(_REF).cum_count().over(*path, order_by=_ORDER).alias(_POS),
        flag(~inside).sum().over(*path).alias(_PREV),
        flag(inside & ~conversion).sum().over(*path).alias(_LEN),
        nw.col(_CONV).sum().over(*path).cast(nw.Float64).alias(_N),
        *totals,
    )
    # Positions among the touches inside the window (those outside come first).
    rows = rows.with_columns((nw.col(_POS) - nw.col(_PREV)).alias(_POS))
    part = (
        nw.when(conversion)
        .then(nw.lit(CONVERSION))
        .when(nw.col(_INSIDE) == 0)
        .then(nw.lit(OUTSIDE))
        .when(nw.col(_END) == _NO_CONVERSION)
        .then(nw.lit(JOURNEY))
        .otherwise(nw.lit(TOUCH))
    )
    return rows.with_columns(part.cast(nw.Int64).alias(_PART)), path


def _model_keys(
    rows: nw.LazyFrame[Any],
    *,
    path: Sequence[str],
    groups: Sequence[str],
    model: str,
    options: dict[str, Any],
) -> tuple[nw.LazyFrame[Any], nw.Expr, nw.Expr, nw.Expr, nw.Expr]:
    """Return the rows and the model's keys ``a``, ``b``, previous channel and touch weight."""
    is_touch = nw.col(_PART) == TOUCH
    first, last = nw.col(_POS) == 1, nw.col(_POS) == nw.col(_LEN)
    zero = nw.lit(0, nw.Int64())
    a: nw.Expr = zero
    b: nw.Expr = zero
    previous: nw.Expr = nw.lit(None, nw.String())
    weight: nw.Expr = nw.lit(1.0)
    order = _ORDER
    if model == "first_touch":
        a = flag(first)
    elif model == "last_touch":
        a = flag(last)
    elif model == "last_non_direct":
        non_direct = is_touch & (nw.col(_CH) != options["direct_channel"])
        chosen = nw.when(non_direct).then(nw.col(_POS)).max().over(*path)
        rows = rows.with_columns(chosen.alias(_A))
        a = flag(nw.col(_POS) == nw.coalesce(nw.col(_A), nw.col(_LEN)))
    elif model in {"linear", "position_based"}:
        a = nw.col(_LEN)
        if model == "position_based":
            b = nw.when(first).then(nw.lit(0)).when(last).then(nw.lit(2)).otherwise(nw.lit(1))
    elif model == "time_decay":
        # 2 ** (-age / half-life), ages from the path's newest touch (no underflow).
        newest = nw.when(is_touch).then(nw.col(_US)).max().over(*path)
        rows = rows.with_columns(newest.alias(_A))
        age = (nw.col(_A) - nw.col(_US)).cast(nw.Float64)
        # A product, not a division: polars divides by a literal as a product with its
        # reciprocal, which differs from true division in the last bit.
        rows = rows.with_columns((age * (1.0 / options["half_life_us"])).alias(_B))
        rows = rows.with_columns(_exp2_negative(nw.col(_B)).alias(_B))
        # The path's total, exact in any order (integer limbs), then put together in one
        # fixed order of float additions: the same weights on every backend.
        rows = rows.with_columns(nw.when(is_touch).then(nw.col(_B)).otherwise(0.0).alias(_A))
        rows = rows.with_columns(*_limbs(_A))
        parts = [f"{_A}_{index}" for index in range(_LIMBS)]
        rows = rows.with_columns(*[nw.col(name).sum().over(*path).alias(name) for name in parts])
        total = nw.lit(0.0)
        for index, name in enumerate(parts):
            total = total + nw.col(name).cast(nw.Float64) * 2.0 ** (-_LIMB_BITS * index)
        rows = rows.with_columns((nw.col(_B) / total).alias(_B))
        weight = nw.col(_B)
    elif model == "markov":
        b = flag(last)
        rows = rows.with_columns(nw.col(_CH).shift(1).over(*path, order_by=order).alias(_PREV))
        previous = nw.when(~first).then(nw.col(_PREV))  # not the touch before the window
    else:  # shapley: the path's channel set as a bitmask of the group's own channel ranks
        local = nw.col(_CH).rank("dense").over(*groups, _PART)
        rows = rows.with_columns(local.alias(_B))
        rows = rows.with_columns(
            nw.when(is_touch).then(nw.col(_POS)).min().over(*path, _CH).alias(_A)
        )
        earliest = nw.col(_POS) == nw.col(_A)
        bit = nw.when(is_touch & earliest).then(nw.lit(2.0) ** (nw.col(_B) - 1)).otherwise(0.0)
        rows = rows.with_columns(bit.sum().over(*path).alias(_A))
        a = nw.when(first).then(nw.col(_A)).otherwise(nw.lit(0.0))
        b = nw.col(_B)
        weight = nw.when(first).then(nw.lit(1.0)).otherwise(nw.lit(0.0))
    return rows, a, b, previous, weight


def _polars_model_keys(
    rows: nw.LazyFrame[Any],
    *,
    groups: Sequence[str],
    model: str,
    options: dict[str, Any],
) -> tuple[nw.LazyFrame[Any], nw.Expr, nw.Expr, nw.Expr, nw.Expr]:
    """:func:`_model_keys` on rows sorted by :func:`._polars_paths.sorted_rows` (scans, no windows).

    The keys and weights are the same values: the window aggregates over a path become
    running sums and fills along the sorted rows.
    """
    import polars as pl  # noqa: PLC0415 - optional backend

    if model not in {"last_non_direct", "time_decay", "markov", "shapley"}:
        return _model_keys(rows, path=[_PATH], groups=groups, model=model, options=options)
    col = pl.col
    is_touch = col(_PART) == TOUCH
    native = rows.to_native()
    zero = nw.lit(0, nw.Int64())
    a: nw.Expr = zero
    b: nw.Expr = zero
    previous: nw.Expr = nw.lit(None, nw.String())
    weight: nw.Expr = nw.lit(1.0)
    if model == "last_non_direct":
        non_direct = is_touch & (col(_CH) != options["direct_channel"])
        chosen = last_in_path(pl.when(non_direct).then(col(_POS)))  # positions grow: the max
        native = native.with_columns(chosen.alias(_A))
        picked = nw.when(nw.col(_A) > 0).then(nw.col(_A)).otherwise(nw.col(_LEN))
        a = flag(nw.col(_POS) == picked)
    elif model == "time_decay":
        native = native.with_columns(
            last_in_path(pl.when(is_touch).then(col(_US))).alias(_A)  # the newest touch
        )
        frame = nw.from_native(native)
        age = (nw.col(_A) - nw.col(_US)).cast(nw.Float64)
        frame = frame.with_columns((age * (1.0 / options["half_life_us"])).alias(_B))
        frame = frame.with_columns(_exp2_negative(nw.col(_B)).alias(_B))
        frame = frame.with_columns(
            nw.when(nw.col(_PART) == TOUCH).then(nw.col(_B)).otherwise(0.0).alias(_A)
        )
        frame = frame.with_columns(*_limbs(_A))
        parts = [f"{_A}_{index}" for index in range(_LIMBS)]
        native = frame.to_native().with_columns(
            *[path_sum(col(name)).alias(name) for name in parts]
        )
        frame = nw.from_native(native)
        total = nw.lit(0.0)
        for index, name in enumerate(parts):
            total = total + nw.col(name).cast(nw.Float64) * 2.0 ** (-_LIMB_BITS * index)
        frame = frame.with_columns((nw.col(_B) / total).alias(_B))
        return frame, a, b, previous, nw.col(_B)
    elif model == "markov":
        b = flag(nw.col(_POS) == nw.col(_LEN))
        native = native.with_columns(col(_CH).shift(1).alias(_PREV))
        previous = nw.when(nw.col(_POS) != 1).then(nw.col(_PREV))
    else:  # shapley, as in _model_keys: bits of the group's channel ranks, once per channel
        native = native.with_columns(col(_CH).rank("dense").over(*groups, _PART).alias(_B))
        first_seen = pl.struct(_PATH, _PART, _CH).is_first_distinct()
        bit = pl.when(is_touch & first_seen).then(pl.lit(2, pl.Int64).pow(col(_B) - 1))
        native = native.with_columns(path_sum(bit.fill_null(0)).cast(pl.Float64).alias(_A))
        first = nw.col(_POS) == 1
        a = nw.when(first).then(nw.col(_A)).otherwise(nw.lit(0.0))
        b = nw.col(_B)
        weight = nw.when(first).then(nw.lit(1.0)).otherwise(nw.lit(0.0))
    return nw.from_native(native), a, b, previous, weight


def _duckdb_model_keys(
    rows: nw.LazyFrame[Any],
    *,
    path: Sequence[str],
    groups: Sequence[str],
    model: str,
    options: dict[str, Any],
) -> tuple[nw.LazyFrame[Any], nw.Expr, nw.Expr, nw.Expr, nw.Expr]:
    """:func:`_model_keys` on :func:`._duckdb_paths.duckdb_rows` (its previous channel, ``a``)."""
    zero = nw.lit(0, nw.Int64())
    if model == "markov":
        previous = nw.when(nw.col(_POS) != 1).then(nw.col(_PREV))
        return rows, zero, flag(nw.col(_POS) == nw.col(_LEN)), previous, nw.lit(1.0)
    if model == "last_non_direct":
        picked = nw.when(nw.col(_A) > 0).then(nw.col(_A)).otherwise(nw.col(_LEN))
        return rows, flag(nw.col(_POS) == picked), zero, nw.lit(None, nw.String()), nw.lit(1.0)
    return _model_keys(rows, path=path, groups=groups, model=model, options=options)


def path_table(
    lf: nw.LazyFrame[Any],
    *,
    touch_events: Sequence[str],
    conversion_event: str,
    channel: str,
    by: Sequence[str],
    period: Period | None,
    lookback_us: int | None,
    has_revenue: bool,
    model: str,
    options: dict[str, Any],
    new_customers: bool = False,
) -> PathTable:
    """Cut the paths in the engine and collect the model's small table (module docstring).

    Keys per kind of row: a conversion's ``a`` says whether its path has a touch; a
    journey touch's ``a`` marks the journey's last touch. A converting touch's ``a``
    is 1 on the credited touch (first, last, last non-direct), the path length
    (linear, position-based; ``b`` 0/1/2 = first/middle/last), 0 (time-decay: the
    weights are already in ``n`` and ``values``); Markov gives the previous channel
    and ``b`` = 1 on the last touch; Shapley's :data:`FIRST` rows carry the
    path's channel bitmask in ``a`` and every converting touch its channel's rank
    in its group in ``b``.
    """
    if lf.implementation.is_pyarrow():  # no ordered windows in narwhals' pyarrow backend
        lf = nw.from_native(lf.collect().to_pandas()).lazy()
    values = [_REV, _NEW] if new_customers else [_REV]
    rows = _rows(
        lf,
        touch_events=touch_events,
        conversion_event=conversion_event,
        channel=channel,
        by=by,
        period=period,
        has_revenue=has_revenue,
        new_customers=new_customers,
    )
    groups = [*by] if period is None else [PERIOD, *by]
    if lf.implementation.is_polars():
        rows = sorted_rows(
            rows,
            names=_NAMES,
            owner=[*by, CUSTOMER],
            lookback_us=lookback_us,
            period=period is not None,
            values=values,
            kinds=_KINDS,
        )
        rows, a, b, previous, weight = _polars_model_keys(
            rows, groups=groups, model=model, options=options
        )
    elif lf.implementation.is_duckdb():
        rows = duckdb_rows(
            rows,
            names={**_NAMES, "end": _END, "previous": _PREV, "a": _A},
            owner=[*by, CUSTOMER],
            lookback_us=lookback_us,
            period=period is not None,
            values=values,
            kinds=_KINDS,
            no_conversion=_NO_CONVERSION,
            direct_channel=options["direct_channel"] if model == "last_non_direct" else None,
        )
        rows, a, b, previous, weight = _duckdb_model_keys(
            rows, path=[*by, CUSTOMER, _END], groups=groups, model=model, options=options
        )
    else:
        rows, path = _cut(
            rows, owner=[*by, CUSTOMER], lookback_us=lookback_us, period=period, values=values
        )
        rows, a, b, previous, weight = _model_keys(
            rows, path=path, groups=groups, model=model, options=options
        )
    kind = nw.col(_PART)
    is_touch, is_conversion = kind == TOUCH, kind == CONVERSION
    if model == "shapley":
        kind = nw.when(is_touch & (nw.col(_POS) == 1)).then(nw.lit(FIRST)).otherwise(kind)
    keyed = rows.select(
        kind.cast(nw.Int64).alias(_PART),
        *[nw.col(name) for name in groups],
        nw.when(~is_conversion).then(nw.col(_CH)).alias(_CH),
        nw.when(is_touch | (nw.col(_PART) == JOURNEY)).then(previous).alias(_PREV),
        nw.when(is_conversion)
        .then(flag(nw.col(_LEN) > 0))
        .when(is_touch)
        .then(a)
        .when(kind == JOURNEY)
        .then(flag(nw.col(_POS) == nw.col(_LEN)))
        .otherwise(nw.lit(0))
        .cast(nw.Float64)
        .alias(_A),
        nw.when(is_touch).then(b).otherwise(nw.lit(0)).cast(nw.Int64).alias(_B),
        nw.when(is_conversion)
        .then(nw.lit(1.0))
        .when(is_touch)
        .then(nw.col(_N) * weight)
        .when(kind == JOURNEY)
        .then(nw.lit(1.0))
        .otherwise(nw.lit(0.0))
        .alias(_N),
        *[
            nw.when(is_conversion)
            .then(nw.col(name))
            .when(is_touch)
            .then(nw.col(f"{name}_path") * weight)
            .otherwise(nw.lit(0.0))
            .alias(name)
            for name in values
        ],
    )
    keys = [_PART, *groups, _CH, _PREV, _A, _B]
    # Rows with the same keys and the same weighted numbers first (most touches repeat
    # their path's numbers), then the exact limbs of each distinct number times its count.
    counted = keyed.group_by(*keys, _N, *values).agg(nw.len().alias(_COUNT))
    limbs = [limb for name in [_N, *values] for limb in _limbs(name)]
    counted = counted.select(*keys, nw.col(_COUNT).cast(nw.Int64), *limbs)
    parts = [name for name in counted.collect_schema().names() if name not in {*keys, _COUNT}]
    counted = counted.select(*keys, *[nw.col(name) * nw.col(_COUNT) for name in parts])
    reduced = grouped(counted, keys, *[nw.col(name).sum() for name in parts])
    # polars' streaming engine (the default from polars 2) runs the sort and the scans
    # 2-3x slower than the in-memory engine here.
    if reduced.implementation.is_polars():
        table = reduced.collect(engine="in-memory")
    else:
        table = collect(reduced)
    return _arrays(table, groups=groups, by=by, values=values)


def _exp2_negative(x: nw.Expr) -> nw.Expr:
    """Return ``2 ** -x`` for ``x >= 0`` with IEEE operations only: the same bits everywhere.

    Engines' ``pow`` differ in the last bit (polars and numpy do); here ``x = k + f``, ``2 **
    -k`` is exact and ``2 ** -f = exp(-f ln 2)`` is its Taylor series to degree 18 in one
    fixed Horner order (error below 1e-18 for ``f ln 2 < 0.7``).
    """
    whole = x.floor()
    y = (x - whole) * math.log(2.0)
    series = nw.lit(1.0 / math.factorial(_EXP_DEGREE))
    for n in range(_EXP_DEGREE - 1, -1, -1):
        series = series * (-y) + 1.0 / math.factorial(n)
    return series * (nw.lit(2.0) ** (-whole))


def _limbs(name: str) -> list[nw.Expr]:
    """Cut a float column into exact integer limbs (see :data:`_LIMBS`)."""
    rest = nw.col(name)
    limbs = []
    for index in range(_LIMBS):
        whole = rest.floor()
        limbs.append(whole.cast(nw.Int64).alias(f"{name}_{index}"))
        rest = (rest - whole) * float(2**_LIMB_BITS)
    return limbs


def _unlimb(column: dict[str, list[Any]], name: str, size: int) -> FloatArray:
    """Put the summed limbs of ``name`` together, correctly rounded, per row."""
    parts = [column[f"{name}_{index}"] for index in range(_LIMBS)]
    scale = [2.0 ** (-_LIMB_BITS * index) for index in range(_LIMBS)]
    return np.array(
        [
            math.fsum(int(part[row]) * factor for part, factor in zip(parts, scale, strict=True))
            for row in range(size)
        ],
        dtype=np.float64,
    )


def _group_order(key: Key) -> tuple[tuple[bool, str, Any], ...]:
    """Sort groups by period, then segment values (nulls first), as the results list them."""
    return tuple((value is not None, str(type(value)), value) for value in key)


def _arrays(
    table: nw.DataFrame[Any], *, groups: Sequence[str], by: Sequence[str], values: Sequence[str]
) -> PathTable:
    """Return the collected table as :class:`PathTable` arrays (channels, groups sorted)."""
    column = {name: table.get_column(name).to_list() for name in table.columns}
    for name in (_CH, _PREV):  # pandas' null is nan
        column[name] = [plain(value) for value in column[name]]
    part = np.array(column[_PART], dtype=np.int64)
    names = sorted({name for name in column[_CH] if name is not None})
    code = {name: index for index, name in enumerate(names)}
    keys = [tuple(plain(column[name][row]) for name in groups) for row in range(part.size)]
    if len(groups) > len(by):  # the period index first
        keys = [(int(key[0]), *key[1:]) for key in keys]  # type: ignore[call-overload]
    inside = [p != OUTSIDE for p in part.tolist()]
    distinct = sorted(
        {key for key, keep in zip(keys, inside, strict=True) if keep}, key=_group_order
    )
    index = {key: number for number, key in enumerate(distinct)}
    group = np.array(
        [index[key] if keep else -1 for key, keep in zip(keys, inside, strict=True)],
        dtype=np.int64,
    )
    channel = np.array([code.get(name, -1) for name in column[_CH]], dtype=np.int64)
    previous = np.array([code.get(name, -1) for name in column[_PREV]], dtype=np.int64)
    a, b = np.array(column[_A], dtype=np.float64), np.array(column[_B], dtype=np.int64)
    # The engine returns groups in any order: sort, so that every later sum is in one order.
    order = np.lexsort((b, a, previous, channel, group, part))
    n = _unlimb(column, _N, part.size)
    sums = np.array([_unlimb(column, name, part.size) for name in values], dtype=np.float64)
    return PathTable(
        channels=tuple(names),
        groups=tuple(distinct),
        part=part[order],
        group=group[order],
        channel=channel[order],
        previous=previous[order],
        a=a[order],
        b=b[order],
        n=n[order],
        values=sums.reshape(len(values), part.size)[:, order],
    )
