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
    "CHANNELS",
    "COLUMNS",
    "EVENT_TYPES",
    "BoolArray",
    "EventBlock",
    "FloatArray",
    "IntArray",
    "assemble",
    "concatenate",
    "empty",
    "follow",
]

EVENT_TYPES: tuple[str, ...] = (
    "visit",
    "signup",
    "purchase",
    "spend",
    "nps_response",
    "csat_response",
    "referral",
    "churn",
    "cart_add",
    "checkout",
    "email_sent",
    "email_open",
    "email_click",
    "unsubscribe",
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
    value : ndarray of float64 or None
        The event's number: ``revenue`` of a purchase, ``cost`` of a spend row,
        ``score`` of a survey response; None for event types without one.
    """

    customer: IntArray
    seconds: FloatArray
    event: IntArray
    channel: IntArray
    campaign: IntArray
    value: FloatArray | None = None


def concatenate(blocks: Sequence[EventBlock]) -> EventBlock:
    """Concatenate blocks into one (values are nan where a block has none)."""
    return EventBlock(
        customer=np.concatenate([b.customer for b in blocks]),
        seconds=np.concatenate([b.seconds for b in blocks]),
        event=np.concatenate([b.event for b in blocks]),
        channel=np.concatenate([b.channel for b in blocks]),
        campaign=np.concatenate([b.campaign for b in blocks]),
        value=_concatenate_values(blocks),
    )


def follow(
    block: EventBlock, seconds: FloatArray, event_type: str, keep: BoolArray | None = None
) -> EventBlock:
    """Events of another type by the same customers, channels and campaigns as ``block``."""
    rows = np.arange(block.seconds.size) if keep is None else np.flatnonzero(keep)
    return EventBlock(
        customer=block.customer[rows],
        seconds=seconds[rows],
        event=np.full(rows.size, EVENT_TYPES.index(event_type), dtype=np.int64),
        channel=block.channel[rows],
        campaign=block.campaign[rows],
    )


_VALUE_CODES = {
    "revenue": [EVENT_TYPES.index("purchase")],
    "cost": [EVENT_TYPES.index("spend")],
    "score": [EVENT_TYPES.index("nps_response"), EVENT_TYPES.index("csat_response")],
}
"""Which event types fill each numeric column with their block's ``value``."""


def _concatenate_values(blocks: Sequence[EventBlock]) -> FloatArray:
    """Concatenate the blocks' values, with nan for blocks without values."""
    values = np.full(sum(b.seconds.size for b in blocks), np.nan)
    offset = 0
    for block in blocks:
        if block.value is not None:
            values[offset : offset + block.seconds.size] = block.value
        offset += block.seconds.size
    return values


def _strings(codes: npt.NDArray[np.int32], labels: Sequence[str]) -> pd.Series[str]:
    """Map integer codes to labels (-1 -> null) as pandas' default string column.

    With pyarrow installed the labels are taken through a dictionary array (fast
    and compact); without it through a numpy object array.
    """
    default_dtype = pd.Series(["x"]).dtype
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional dependency, imported where used
    except ImportError:  # pragma: no cover - pyarrow is installed with the test extra
        objects = np.array([*labels, None], dtype=object)[codes]
        fallback: pd.Series[str] = pd.Series(objects, dtype=default_dtype)
        return fallback
    indices = pa.array(codes, mask=codes < 0)
    strings = pa.DictionaryArray.from_arrays(indices, pa.array(list(labels), pa.string()))
    series = pd.Series(strings.cast(pa.large_string()).to_pandas())
    converted: pd.Series[str] = series.astype(default_dtype)
    return converted


def _nullable_ids(ids: IntArray) -> pd.arrays.IntegerArray:
    """Turn ids with -1 for missing into a nullable Int64 array."""
    return pd.arrays.IntegerArray(ids, ids < 0)


def _time_order(seconds: FloatArray, window_seconds: float) -> tuple[IntArray, IntArray]:
    """Positions of the events inside the window in time order, and their whole seconds.

    Sorting the unique key ``whole_seconds * n + position`` gives a stable sort by
    time (ties keep their position) with numpy's fast unstable sort.
    """
    total = seconds.size
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    inside = np.flatnonzero(seconds <= window_seconds)
    whole = np.floor(seconds[inside]).astype(np.int64)
    if whole.size == 0 or int(whole.max()) < (2**62) // total:
        key = np.sort(whole * total + inside)
        order, position = np.divmod(key, total)
        return position, order
    by_time = np.argsort(whole, kind="stable")  # pragma: no cover - windows of centuries
    return inside[by_time], whole[by_time]  # pragma: no cover


def assemble(
    blocks: Sequence[EventBlock], *, start: pd.Timestamp, window_seconds: float
) -> pd.DataFrame:
    """Concatenate blocks, drop events after the window, sort by time, build the frame.

    Timestamps are floored to whole seconds. The sort is stable, so events in
    the same second keep the order of ``blocks`` (a visit before its signup).
    Customer ids are ``index + 1``; order ids number purchases 1, 2, ... in time order.
    """
    position, whole_seconds = _time_order(
        np.concatenate([b.seconds for b in blocks]), window_seconds
    )
    # One gather for the three small codes, packed into an int32.
    packed = np.concatenate(
        [(b.event << 16) | (b.channel << 8) | (b.campaign + 1) for b in blocks]
    ).astype(np.int32)[position]
    event = packed >> 16
    channel = (packed >> 8) & 0xFF
    campaign = (packed & 0xFF) - 1
    customer = np.concatenate([b.customer for b in blocks])[position]
    value = _concatenate_values(blocks)[position]
    numbers = {
        column: np.where(np.isin(event, codes), value, np.nan)
        for column, codes in _VALUE_CODES.items()
    }
    is_purchase = event == EVENT_TYPES.index("purchase")
    order_id = np.full(event.size, -1, dtype=np.int64)
    order_id[is_purchase] = np.arange(1, int(is_purchase.sum()) + 1)
    columns = {
        "customer_id": _nullable_ids(np.where(customer >= 0, customer + 1, -1)),
        "timestamp": (start.as_unit("ns").value + whole_seconds * _NS_PER_SECOND).view(
            "datetime64[ns]"
        ),
        "event_type": _strings(event, EVENT_TYPES),
        "revenue": numbers["revenue"],
        "cost": numbers["cost"],
        "channel": _strings(channel, CHANNELS),
        "campaign": _strings(campaign, [c for c, _ in CAMPAIGNS]),
        "score": numbers["score"],
        "order_id": _nullable_ids(order_id),
    }
    frame: pd.DataFrame = pd.DataFrame(columns, columns=list(COLUMNS), copy=False)
    return frame


def empty(start: pd.Timestamp) -> pd.DataFrame:
    """Return a frame with no rows and the columns and dtypes of :func:`assemble`."""
    none = np.empty(0, dtype=np.int64)
    block = EventBlock(customer=none, seconds=np.empty(0), event=none, channel=none, campaign=none)
    return assemble([block], start=start, window_seconds=0.0)
