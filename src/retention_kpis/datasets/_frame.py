"""Event blocks and their assembly into one sorted pandas frame.

Each generator step of :func:`~retention_kpis.datasets.make_events` returns an
:class:`EventBlock` of numpy arrays (one event type, or a few); the blocks are
concatenated once, filtered to the window, sorted by time and turned into the
frame. Adding an event type means writing one more function that returns a
block and appending its name to :data:`EVENT_TYPES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "CAMPAIGNS",
    "BoolArray",
    "FloatArray",
    "IntArray", "CHANNELS", "COLUMNS", "EVENT_TYPES", "EventBlock", "assemble", "empty"]

EVENT_TYPES: tuple[str, ...] = (
    "visit",
    "signup",
    "purchase",
    "spend",
    "nps_response",
    "csat_response",
    "referral",
    "churn",
)
"""Event types in code order: ``EVENT_TYPES[code]`` is the string written to the frame."""

CHANNELS: tuple[str, ...] = ("organic", "paid_search", "social", "email", "referral", "direct")
"""Acquisition channels in code order."""

CAMPAIGNS: tuple[tuple[str, int], ...] = (
    ("brand_search", 1),
    ("generic_search", 1),
    ("social_prospecting", 2),
    ("social_retargeting", 2),
    ("newsletter", 3),
    ("winback", 3),
    ("refer_a_friend", 4),
)
"""Campaigns in code order, each with the code of its channel; organic and direct have none."""

COLUMNS: tuple[str, ...] = (
    "customer_id",
    "timestamp",
    "event_type",
    "revenue",
    "cost",
    "channel",
    "campaign",
    "score",
    "order_id",
)
"""Columns of the frame, in order (the default ``EventSchema`` names)."""

_NS_PER_SECOND = 1_000_000_000

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EventBlock:
    """Events of one generator step as parallel numpy arrays.

    Attributes
    ----------
    customer : ndarray of int64
        Customer index (0-based), or -1 for events without a customer (spend).
    seconds : ndarray of float64
        Seconds after ``start``.
    event : ndarray of int64
        Index into :data:`EVENT_TYPES`.
    channel, campaign : ndarray of int64
        Indexes into :data:`CHANNELS` and :data:`CAMPAIGNS`; -1 for a null campaign.
    revenue, cost, score : ndarray of float64 or None
        Values for this block's rows; None means nan on every row.
    """

    customer: IntArray
    seconds: FloatArray
    event: IntArray
    channel: IntArray
    campaign: IntArray
    revenue: FloatArray | None = None
    cost: FloatArray | None = None
    score: FloatArray | None = None


def _values(blocks: Sequence[EventBlock], field: str) -> FloatArray:
    parts = []
    for block in blocks:
        values = getattr(block, field)
        parts.append(np.full(block.seconds.size, np.nan) if values is None else values)
    return np.concatenate(parts) if parts else np.empty(0)


def _strings(codes: IntArray, labels: Sequence[str]) -> pd.Series:  # type: ignore[type-arg]
    """Map integer codes to labels (-1 -> null) as pandas' default string column.

    With pyarrow installed the labels are taken through a dictionary array (fast
    and compact); without it through a numpy object array.
    """
    default_dtype = pd.Series(["x"]).dtype
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional dependency, imported where used
    except ImportError:  # pragma: no cover - pyarrow is installed with the test extra
        objects = np.array([*labels, None], dtype=object)[codes]
        return pd.Series(objects, dtype=default_dtype)
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    strings = pa.DictionaryArray.from_arrays(indices, pa.array(list(labels), pa.string()))
    series = pd.Series(strings.cast(pa.string()).to_pandas())
    return series.astype(default_dtype, copy=False)


def _nullable_ids(ids: IntArray) -> pd.arrays.IntegerArray:
    """Turn ids with -1 for missing into a nullable Int64 array."""
    return pd.arrays.IntegerArray(ids.astype(np.int64), ids < 0)


def assemble(
    blocks: Sequence[EventBlock], *, start: pd.Timestamp, window_seconds: float
) -> pd.DataFrame:
    """Concatenate blocks, drop events after the window, sort by time, build the frame.

    Timestamps are floored to whole seconds. The sort is stable, so events with
    the same second keep the order of ``blocks`` (a visit before its signup).
    Customer ids are ``index + 1``; order ids number purchases 1, 2, ... in time order.
    """
    seconds = np.concatenate([b.seconds for b in blocks])
    keep = seconds <= window_seconds
    whole_seconds = np.floor(seconds[keep]).astype(np.int64)
    order = np.argsort(whole_seconds, kind="stable")
    whole_seconds = whole_seconds[order]

    def take(values: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return values[keep][order]

    customer = take(np.concatenate([b.customer for b in blocks]))
    event = take(np.concatenate([b.event for b in blocks]))
    is_purchase = event == EVENT_TYPES.index("purchase")
    order_id = np.full(event.size, -1, dtype=np.int64)
    order_id[is_purchase] = np.arange(1, int(is_purchase.sum()) + 1)
    customer_id = np.where(customer >= 0, customer + 1, -1)
    timestamps = start.as_unit("ns").value + whole_seconds * _NS_PER_SECOND
    return pd.DataFrame(
        {
            "customer_id": _nullable_ids(customer_id),
            "timestamp": pd.to_datetime(timestamps, unit="ns"),
            "event_type": _strings(event, EVENT_TYPES),
            "revenue": take(_values(blocks, "revenue")),
            "cost": take(_values(blocks, "cost")),
            "channel": _strings(take(np.concatenate([b.channel for b in blocks])), CHANNELS),
            "campaign": _strings(
                take(np.concatenate([b.campaign for b in blocks])), [c for c, _ in CAMPAIGNS]
            ),
            "score": take(_values(blocks, "score")),
            "order_id": _nullable_ids(order_id),
        },
        columns=list(COLUMNS),
    )


def empty(start: pd.Timestamp) -> pd.DataFrame:
    """Return a frame with no rows and the columns and dtypes of :func:`assemble`."""
    none = np.empty(0, dtype=np.int64)
    block = EventBlock(customer=none, seconds=np.empty(0), event=none, channel=none, campaign=none)
    return assemble([block], start=start, window_seconds=0.0)
