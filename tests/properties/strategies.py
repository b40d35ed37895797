"""Shared hypothesis strategies of valid event frames, built on EventSchema and EventTypes.

Every frame honours the event contract of :class:`retention_kpis.EventSchema`
(default column names) and uses the event type values of
:class:`retention_kpis.EventTypes`, so the properties exercise the computation
rather than validation. Timestamps are naive datetimes over about five months.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
from hypothesis import strategies as st

from retention_kpis.events import EventSchema, EventTypes

SCHEMA = EventSchema()
TYPES = EventTypes()
START = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - naive on purpose: the contract's default
CUSTOMERS = ("a", "b", "c", "d", "e", "f")
CHANNELS = ("web", "email", "referral", "direct")
# Kinds a generated event may have, each with how likely it is (visits and purchases dominate).
KINDS = (
    *[TYPES.visit] * 4,
    *[TYPES.purchase] * 3,
    TYPES.spend,
    TYPES.signup,
    TYPES.churn,
    TYPES.nps_response,
    TYPES.csat_response,
    TYPES.referral,
    TYPES.cart_add,
    TYPES.checkout,
    TYPES.email_sent,
    TYPES.email_open,
    TYPES.email_click,
    TYPES.unsubscribe,
)


@st.composite
def event_rows(
    draw: st.DrawFn, *, kinds: tuple[str, ...] = KINDS, days: int = 150
) -> dict[str, Any]:
    """Return one event as a dict of the schema's columns."""
    kind = draw(st.sampled_from(kinds))
    spend = kind == TYPES.spend
    score = None
    if kind == TYPES.nps_response:
        score = float(draw(st.integers(0, 10)))
    elif kind == TYPES.csat_response:
        score = float(draw(st.integers(1, 5)))
    return {
        SCHEMA.customer_id: None if spend else draw(st.sampled_from(CUSTOMERS)),
        SCHEMA.timestamp: START + dt.timedelta(minutes=draw(st.integers(0, days * 24 * 60))),
        SCHEMA.event_type: kind,
        SCHEMA.revenue: float(draw(st.integers(0, 500))) / 4 if kind == TYPES.purchase else None,
        SCHEMA.cost: float(draw(st.integers(0, 200))) if spend else None,
        SCHEMA.score: score,
        SCHEMA.channel: draw(st.sampled_from(CHANNELS)),
    }


def to_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Build the pandas events frame of a list of event dicts (dtypes fixed, even when empty)."""
    columns = [
        SCHEMA.customer_id,
        SCHEMA.timestamp,
        SCHEMA.event_type,
        SCHEMA.revenue,
        SCHEMA.cost,
        SCHEMA.score,
        SCHEMA.channel,
    ]
    frame = pd.DataFrame({name: [row[name] for row in rows] for name in columns})
    return frame.astype(
        {
            SCHEMA.customer_id: "object",
            SCHEMA.timestamp: "datetime64[us]",
            SCHEMA.event_type: "object",
            SCHEMA.revenue: "float64",
            SCHEMA.cost: "float64",
            SCHEMA.score: "float64",
            SCHEMA.channel: "object",
        }
    )


@st.composite
def event_frames(
    draw: st.DrawFn, *, min_rows: int = 1, max_rows: int = 30, kinds: tuple[str, ...] = KINDS
) -> pd.DataFrame:
    """Return a valid pandas events frame of ``min_rows`` to ``max_rows`` events."""
    rows = draw(st.lists(event_rows(kinds=kinds), min_size=min_rows, max_size=max_rows))
    return to_frame(rows)


def shuffled(frame: pd.DataFrame, random: Any) -> pd.DataFrame:
    """Return the rows in a random order, with a fresh index."""
    order = list(range(len(frame)))
    random.shuffle(order)
    return frame.iloc[order].reset_index(drop=True)


def assert_same_values(
    left: dict[str, list[Any]], right: dict[str, list[Any]], *, rel: float = 1e-9
) -> None:
    """Assert two column dicts are equal, floats to ``rel`` (nan equals nan)."""
    assert left.keys() == right.keys()
    for column, values in left.items():
        assert len(values) == len(right[column]), column
        for a, b in zip(values, right[column], strict=True):
            if isinstance(a, float) or isinstance(b, float):
                both_nan = a is not None and b is not None and math.isnan(a) and math.isnan(b)
                assert both_nan or math.isclose(a, b, rel_tol=rel, abs_tol=1e-9), (column, a, b)
            else:
                assert a == b, (column, a, b)
