"""Build conversion paths and non-converting journeys from validated events.

Only the touchpoint and conversion rows, and only the columns the models need
(customer, timestamp, event type, channel, revenue, ``by`` columns, period), are
collected from the backend; everything after that is vectorised numpy.

Definitions (see ``docs/attribution.md``):

* the *owner* of a row is its customer within its ``by`` segment (rows are split
  by their own ``by`` values first);
* touches are sorted by ``(owner, timestamp, channel name)`` and conversions by
  ``(owner, timestamp, revenue)``, so the result never depends on row order;
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
import math
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from retention_kpis._aggregate import Period, period_index
from retention_kpis.events import CUSTOMER, EVENT, REVENUE, TIMESTAMP, plain

__all__ = [
    "BoolArray",
    "FloatArray", "IntArray", "Journeys", "build_journeys", "expand", "sorted_codes"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
_CHANNEL = "__rk_channel"
_PERIOD = "__rk_period"


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


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        type(value).__name__ == "NAType"
    )


def _sort_key(value: object) -> tuple[Any, ...]:
    return (0,) if value is None else (1, type(value).__name__, value)


def sorted_codes(values: npt.NDArray[Any]) -> tuple[list[Any], IntArray]:
    """Return the sorted distinct values (nulls as None, first) and each row's code.

    Examples
    --------
    >>> import numpy as np
    >>> sorted_codes(np.array(["b", None, "a", "b"], dtype=object))
    ([None, 'a', 'b'], array([2, 0, 1, 2]))
    """
    if values.dtype != object:
        uniques, inverse = np.unique(values, return_inverse=True)
        return [None if _is_null(plain(v)) else plain(v) for v in uniques], inverse.astype(np.int64)
    normalised = [None if _is_null(v) else plain(v) for v in values.tolist()]
    distinct = sorted(set(normalised), key=_sort_key)
    index = {value: code for code, value in enumerate(distinct)}
    codes = np.fromiter((index[v] for v in normalised), dtype=np.int64, count=len(normalised))
    return distinct, codes


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
    """Collect the needed columns of touch and conversion rows as numpy arrays."""
    columns: list[nw.Expr] = [
        nw.col(CUSTOMER),
        nw.col(TIMESTAMP),
        nw.col(EVENT),
        nw.col(channel).cast(nw.String).alias(_CHANNEL),
        *[nw.col(name) for name in by],
    ]
    if has_revenue:
        columns.append(nw.col(REVENUE).cast(nw.Float64).fill_null(0.0))
    if period is not None:
        columns.append(period_index(period).alias(_PERIOD))
    frame = lf.filter(nw.col(EVENT).is_in([*touch_events, conversion_event])).select(*columns).collect()
    arrays = {name: frame.get_column(name).to_numpy() for name in frame.columns}
    arrays[TIMESTAMP] = arrays[TIMESTAMP].astype("datetime64[us]").astype(np.int64)
    if not has_revenue:
        arrays[REVENUE] = np.zeros(frame.shape[0])
    return arrays


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
    event = arrays[EVENT].astype(object)
    channel_values = arrays[_CHANNEL].astype(object)
    has_channel = np.array([not _is_null(v) for v in channel_values.tolist()], dtype=bool)
    is_conv = event == conversion_event
    is_touch = np.isin(event, list(touch_events)) & has_channel & ~is_conv
    segment_values, segment_codes = [], []
    for name in by:
        values, codes = sorted_codes(arrays[name])
        segment_values.append(values)
        segment_codes.append(codes)
    _, customer_codes = sorted_codes(arrays[CUSTOMER])
    owner_rows = np.column_stack([*segment_codes, customer_codes]).astype(np.int64)
    owner_keys, owner = np.unique(owner_rows, axis=0, return_inverse=True)
    owner = owner.reshape(-1).astype(np.int64)
    channels, channel_codes = sorted_codes(channel_values[is_touch])
    time = arrays[TIMESTAMP]
    t_order = np.lexsort((channel_codes, time[is_touch], owner[is_touch]))
    touch_owner = owner[is_touch][t_order]
    touch_time = time[is_touch][t_order]
    touch_channel = channel_codes[t_order]
    c_order = np.lexsort((arrays[REVENUE][is_conv], time[is_conv], owner[is_conv]))
    conv_owner = owner[is_conv][c_order]
    conv_time = time[is_conv][c_order]
    conv_revenue = arrays[REVENUE][is_conv][c_order].astype(np.float64)
    period_of = arrays.get(_PERIOD)
    conv_period = period_of[is_conv][c_order].astype(np.int64) if period_of is not None else None
    touch_period = period_of[is_touch][t_order].astype(np.int64) if period_of is not None else None

    if lookback_us is not None and time.size:
        lookback_us = min(lookback_us, int(time.max() - time.min()) + 1)
    shifted = [] if lookback_us is None else [conv_time - lookback_us, touch_time - lookback_us]
    instants = np.unique(np.concatenate([touch_time, conv_time, *shifted]))
    span = np.int64(instants.size + 1)

    def key(who: IntArray, when: IntArray) -> IntArray:
        return who * span + np.searchsorted(instants, when).astype(np.int64) + 1

    touch_key = key(touch_owner, touch_time)
    conv_key = key(conv_owner, conv_time)
    owner_start = np.searchsorted(touch_key, conv_owner * span, side="left")
    first_same = np.searchsorted(conv_key, conv_key, side="left")
    previous = np.maximum(first_same - 1, 0)
    has_previous = (first_same > 0) & (conv_owner[previous] == conv_owner)
    after_previous = np.searchsorted(touch_key, key(conv_owner, conv_time[previous]), side="right")
    conv_lo = np.where(has_previous, after_previous, owner_start)
    if lookback_us is not None:
        window = np.searchsorted(touch_key, key(conv_owner, conv_time - lookback_us), side="left")
        conv_lo = np.maximum(conv_lo, window)
    conv_hi = np.searchsorted(touch_key, conv_key, side="right")
    conv_lo = np.minimum(conv_lo, conv_hi)

    # Non-converting journeys: one per owner with touches after its last conversion.
    owners = np.unique(touch_owner)
    null_start = np.searchsorted(touch_key, owners * span, side="left")
    null_hi = np.searchsorted(touch_key, (owners + 1) * span, side="left")
    last_conv = np.searchsorted(conv_owner, owners, side="right") - 1
    converted = (last_conv >= 0) & (conv_owner[np.maximum(last_conv, 0)] == owners)
    after_last = np.searchsorted(
        touch_key, key(owners, conv_time[np.maximum(last_conv, 0)] if conv_time.size else owners), side="right"
    )
    null_lo = np.where(converted, after_last, null_start)
    if lookback_us is not None and owners.size:
        last_touch = touch_time[null_hi - 1]
        window = np.searchsorted(touch_key, key(owners, last_touch - lookback_us), side="left")
        null_lo = np.maximum(null_lo, window)
    keep = null_lo < null_hi
    owners, null_lo, null_hi = owners[keep], null_lo[keep], null_hi[keep]

    n_by = len(by)
    conv_groups = owner_keys[conv_owner, :n_by]
    null_groups = owner_keys[owners, :n_by]
    if conv_period is not None and touch_period is not None:
        conv_groups = np.column_stack([conv_period, conv_groups])
        null_groups = np.column_stack([touch_period[null_hi - 1], null_groups])
    all_groups = np.concatenate([conv_groups, null_groups]).reshape(-1, conv_groups.shape[1])
    group_rows, group_codes = np.unique(all_groups, axis=0, return_inverse=True)
    group_codes = group_codes.reshape(-1).astype(np.int64)
    offset = 1 if period is not None else 0
    groups = tuple(
        (*([int(row[0])] if period is not None else []),)
        + tuple(segment_values[i][row[offset + i]] for i in range(n_by))
        for row in group_rows.tolist()
    )
    return Journeys(
        channels=tuple(str(name) for name in channels),
        groups=groups,
        touch_channel=touch_channel.astype(np.int64),
        touch_time=touch_time.astype(np.int64),
        conv_lo=conv_lo.astype(np.int64),
        conv_hi=conv_hi.astype(np.int64),
        conv_time=conv_time.astype(np.int64),
        conv_revenue=conv_revenue,
        conv_group=group_codes[: conv_owner.size],
        null_lo=null_lo.astype(np.int64),
        null_hi=null_hi.astype(np.int64),
        null_group=group_codes[conv_owner.size :],
    )
