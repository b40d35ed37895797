"""Build conversion paths and non-converting journeys from validated events.

Only the touchpoint and conversion rows, and only the columns the models need
(customer, timestamp, channel, revenue, ``by`` columns, period), are collected,
sorted by the backend; everything after that is vectorised numpy.

Definitions (see ``docs/attribution.md``):

* the *owner* of a row is its customer within its ``by`` segment (rows are split
  by their own ``by`` values first);
* rows are sorted by ``(*by, customer, timestamp, is conversion, channel,
  revenue)``, so touches of an owner are ordered by time then channel name and
  the result never depends on row order;
* the path of a conversion at time ``T`` holds the owner's touches with
  ``T - lookback <= t <= T`` and ``t > T_prev``, where ``T_prev`` is the owner's
  latest conversion strictly before ``T`` (the path resets after a conversion;
  conversions at the same timestamp share one path);
* the non-converting journey of an owner holds the touches after the owner's last
  conversion (all touches if none) with ``t >= t_last - lookback``, where
  ``t_last`` is the owner's last touch.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from retention_kpis._core.calendar import Period, period_index
from retention_kpis._core.columns import CUSTOMER, REVENUE, TIMESTAMP
from retention_kpis._core.columns import EVENT as _EVENT
from retention_kpis._core.frames import collect, flag, plain

__all__ = [
    "BoolArray",
    "FloatArray",
    "IntArray",
    "Journeys",
    "build_journeys",
    "channel_label",
    "distinct_sorted",
    "expand",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
_CHANNEL = "__rk_channel"
_PERIOD = "__rk_period"
_IS_CONVERSION = "__rk_is_conversion"


@dataclasses.dataclass(frozen=True)
class Journeys:
    """Touches, conversion paths and non-converting journeys as flat arrays.

    A path is the slice ``[lo, hi)`` of the touch arrays; ``group`` indexes
    :attr:`groups`, whose keys are ``(period index, *segment values)`` when a
    period is given, else ``(*segment values,)``.
    """

    channels: tuple[str, ...]
    groups: tuple[tuple[Any, ...], ...]
    touch_channel: IntArray
    touch_time: IntArray
    conv_lo: IntArray
    conv_hi: IntArray
    conv_time: IntArray
    conv_revenue: FloatArray
    conv_group: IntArray
    null_lo: IntArray
    null_hi: IntArray
    null_group: IntArray


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


def _null_flag(name: str) -> str:
    return f"__rk_null_{name}"


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


def _collect(
    lf: nw.LazyFrame[Any],
    *,
    touch_events: Sequence[str],
    conversion_event: str,
    channel: str,
    by: Sequence[str],
    period: Period | None,
    has_revenue: bool,
) -> dict[str, npt.NDArray[Any]]:
    """Collect the needed columns of touch and conversion rows, sorted, as numpy arrays."""
    is_conversion = nw.col(_EVENT) == conversion_event
    is_touch = nw.col(_EVENT).is_in(list(touch_events)) & ~nw.col(channel).is_null()
    columns: list[nw.Expr] = [
        nw.col(CUSTOMER),
        nw.col(TIMESTAMP),
        flag(is_conversion).alias(_IS_CONVERSION),
        channel_label(lf.collect_schema()[channel], channel).alias(_CHANNEL),
        *[nw.col(name) for name in by],
        *[nw.col(name).is_null().alias(_null_flag(name)) for name in by],
    ]
    order = [*by, CUSTOMER, TIMESTAMP, _IS_CONVERSION, _CHANNEL]
    if has_revenue:
        columns.append(nw.col(REVENUE).cast(nw.Float64).fill_null(0.0))
        order.append(REVENUE)
    if period is not None:
        columns.append(period_index(period).alias(_PERIOD))
    frame = collect(lf.filter(is_conversion | is_touch).select(*columns).sort(order))
    arrays = {name: frame.get_column(name).to_numpy() for name in frame.columns}
    arrays[TIMESTAMP] = arrays[TIMESTAMP].astype("datetime64[us]").astype(np.int64)
    arrays[_IS_CONVERSION] = arrays[_IS_CONVERSION].astype(bool)
    if not has_revenue:
        arrays[REVENUE] = np.zeros(frame.shape[0])
    return arrays


def _changes(values: npt.NDArray[Any], nulls: BoolArray | None) -> BoolArray:
    """Flag rows that differ from the previous one (the first row included); null == null."""
    change = np.ones(values.size, dtype=bool)
    if nulls is None:
        change[1:] = values[1:] != values[:-1]
        return change
    values = values.astype(object)
    values[nulls] = None
    both_null = nulls[1:] & nulls[:-1]
    both_set = ~nulls[1:] & ~nulls[:-1]
    same = both_null | (both_set & np.asarray(values[1:] == values[:-1], dtype=bool))
    change[1:] = ~same
    return change


def _owners(
    arrays: dict[str, npt.NDArray[Any]], by: Sequence[str]
) -> tuple[IntArray, IntArray, list[tuple[Any, ...]]]:
    """Return each row's segment and owner numbers, and each segment's values."""
    n = arrays[CUSTOMER].size
    segment_change = np.zeros(n, dtype=bool)
    if n:
        segment_change[0] = True
    for name in by:
        segment_change |= _changes(arrays[name], arrays[_null_flag(name)].astype(bool))
    owner_change = segment_change | _changes(arrays[CUSTOMER], None)
    starts = np.flatnonzero(segment_change)
    values = [
        tuple(
            None if arrays[_null_flag(name)][start] else plain(arrays[name][start]) for name in by
        )
        for start in starts.tolist()
    ]
    segment = np.cumsum(segment_change, dtype=np.int64) - 1
    owner = np.cumsum(owner_change, dtype=np.int64) - 1
    return segment, owner, values


@dataclasses.dataclass(frozen=True)
class _Timeline:
    """Sort keys ``owner * span + rank(time)`` that order rows by owner, then time."""

    instants: IntArray
    span: np.int64

    def key(self, owner: IntArray, time: IntArray) -> IntArray:
        """Key of ``(owner, time)``; ``owner * span`` sorts before every time of the owner."""
        return owner * self.span + np.searchsorted(self.instants, time).astype(np.int64) + 1


def _conversion_slices(
    line: _Timeline,
    touch_key: IntArray,
    conv_owner: IntArray,
    conv_time: IntArray,
    lookback_us: int | None,
) -> tuple[IntArray, IntArray]:
    """Slice ``[lo, hi)`` of the touches of each conversion (window and reset rules)."""
    conv_key = line.key(conv_owner, conv_time)
    owner_start = np.searchsorted(touch_key, conv_owner * line.span, side="left")
    first_same = np.searchsorted(conv_key, conv_key, side="left")
    previous = np.maximum(first_same - 1, 0)
    has_previous = (first_same > 0) & (conv_owner[previous] == conv_owner)
    after_previous = np.searchsorted(
        touch_key, line.key(conv_owner, conv_time[previous]), side="right"
    )
    lo = np.where(has_previous, after_previous, owner_start)
    if lookback_us is not None:
        window = line.key(conv_owner, conv_time - lookback_us)
        lo = np.maximum(lo, np.searchsorted(touch_key, window, side="left"))
    hi = np.searchsorted(touch_key, conv_key, side="right")
    return np.minimum(lo, hi).astype(np.int64), hi.astype(np.int64)


def _journey_slices(
    line: _Timeline,
    touch_key: IntArray,
    *,
    touch_owner: IntArray,
    touch_time: IntArray,
    conv_owner: IntArray,
    conv_time: IntArray,
    lookback_us: int | None,
) -> tuple[IntArray, IntArray, IntArray]:
    """Owner and slice ``[lo, hi)`` of every non-converting journey."""
    owners = touch_owner[_changes(touch_owner, None)] if touch_owner.size else touch_owner
    start = np.searchsorted(touch_key, owners * line.span, side="left")
    hi = np.searchsorted(touch_key, (owners + 1) * line.span, side="left")
    lo = start
    if conv_owner.size:
        last = np.maximum(np.searchsorted(conv_owner, owners, side="right") - 1, 0)
        converted = conv_owner[last] == owners
        after = np.searchsorted(touch_key, line.key(owners, conv_time[last]), side="right")
        lo = np.where(converted, after, start)
    if lookback_us is not None and owners.size:
        window = line.key(owners, touch_time[hi - 1] - lookback_us)
        lo = np.maximum(lo, np.searchsorted(touch_key, window, side="left"))
    keep = lo < hi
    return owners[keep], lo[keep].astype(np.int64), hi[keep].astype(np.int64)


def _groups(
    segment_values: list[tuple[Any, ...]],
    segments: IntArray,
    periods: IntArray | None,
) -> tuple[tuple[tuple[Any, ...], ...], IntArray]:
    """Distinct ``(period, *segment)`` keys, sorted, and the group code of every row given."""
    if periods is None:
        combined = segments
    else:
        low = int(periods.min()) if periods.size else 0
        combined = (periods - low) * max(len(segment_values), 1) + segments
    keys = distinct_sorted(combined)
    codes = np.searchsorted(keys, combined).astype(np.int64)
    if periods is None:
        groups = tuple(segment_values[key] for key in keys.tolist())
    else:
        width = max(len(segment_values), 1)
        groups = tuple((key // width + low, *segment_values[key % width]) for key in keys.tolist())
    return groups, codes


def build_journeys(
    lf: nw.LazyFrame[Any],
    *,
    touch_events: Sequence[str],
    conversion_event: str,
    channel: str,
    by: Sequence[str],
    period: Period | None,
    lookback_us: int | None,
    has_revenue: bool,
) -> Journeys:
    """Collect touches and conversions and cut them into paths (see the module docstring)."""
    arrays = _collect(
        lf,
        touch_events=touch_events,
        conversion_event=conversion_event,
        channel=channel,
        by=by,
        period=period,
        has_revenue=has_revenue,
    )
    is_conv = arrays[_IS_CONVERSION]
    segment, owner, segment_values = _owners(arrays, by)
    touches, conversions = np.flatnonzero(~is_conv), np.flatnonzero(is_conv)
    names = arrays[_CHANNEL][touches].tolist()
    channels = sorted(set(names))
    code_of = {name: code for code, name in enumerate(channels)}
    touch_channel = np.fromiter(map(code_of.__getitem__, names), dtype=np.int64, count=len(names))
    time = arrays[TIMESTAMP]
    touch_owner, touch_time = owner[touches], time[touches]
    conv_owner, conv_time = owner[conversions], time[conversions]
    if lookback_us is not None and time.size:
        lookback_us = min(lookback_us, int(time.max() - time.min()) + 1)
    shifted = [] if lookback_us is None else [conv_time - lookback_us, touch_time - lookback_us]
    instants = distinct_sorted(np.concatenate([touch_time, conv_time, *shifted]))
    line = _Timeline(instants=instants, span=np.int64(instants.size + 1))
    touch_key = line.key(touch_owner, touch_time)
    conv_lo, conv_hi = _conversion_slices(line, touch_key, conv_owner, conv_time, lookback_us)
    _, null_lo, null_hi = _journey_slices(
        line,
        touch_key,
        touch_owner=touch_owner,
        touch_time=touch_time,
        conv_owner=conv_owner,
        conv_time=conv_time,
        lookback_us=lookback_us,
    )
    last_touch = touches[null_hi - 1]
    rows = np.concatenate([conversions, last_touch])
    periods = arrays[_PERIOD].astype(np.int64)[rows] if period is not None else None
    groups, codes = _groups(segment_values, segment[rows], periods)
    return Journeys(
        channels=tuple(str(name) for name in channels),
        groups=groups,
        touch_channel=touch_channel,
        touch_time=touch_time.astype(np.int64),
        conv_lo=conv_lo,
        conv_hi=conv_hi,
        conv_time=conv_time.astype(np.int64),
        conv_revenue=arrays[REVENUE][conversions].astype(np.float64),
        conv_group=codes[: conversions.size],
        null_lo=null_lo,
        null_hi=null_hi,
        null_group=codes[conversions.size :],
    )
