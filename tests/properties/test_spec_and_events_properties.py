"""Properties of compute_spec, validate_events, engagement_kpis and referred_vs_organic.

Row order invariance, no mutation (deep copy) and pandas == polars on
generated valid events; referred and organic customers partition the events,
so their orders and revenue add up to the whole report's.
"""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import assert_same_values, event_frames, shuffled

from retention_kpis import compute_kpis, engagement_kpis, referred_vs_organic, validate_events
from retention_kpis.spec import compute_spec, load_spec

SPEC = load_spec(
    {
        "version": 1,
        "period": "M",
        "segments": ["channel"],
        "metrics": [
            {"name": "conversion", "type": "builtin", "kpi": "conversion_rate"},
            {"name": "revenue", "type": "builtin", "kpi": "revenue"},
            {"name": "visitors", "type": "builtin", "kpi": "visitors"},
            {"name": "nps", "type": "builtin", "kpi": "nps"},
            {"name": "rpv", "type": "derived", "expr": "revenue / visitors"},
            {
                "name": "buyers",
                "type": "simple",
                "measure": {"count_distinct": "customer_id", "event": "purchase"},
            },
            {
                "name": "web_share",
                "type": "ratio",
                "numerator": {"count": "visit", "filter": {"channel": "web"}},
                "denominator": {"count": "visit"},
            },
        ],
    }
)


def spec_values(events) -> dict:
    report = compute_spec(SPEC, events)
    return report.to_dict()


@settings(max_examples=15, deadline=None)
@given(event_frames(max_rows=25), st.randoms(use_true_random=False))
def test_compute_spec_is_order_invariant_untouched_and_the_same_on_polars(events, random):
    copy = events.copy(deep=True)
    expected = spec_values(events)
    pd.testing.assert_frame_equal(events, copy)
    assert_same_values(spec_values(shuffled(events, random)), expected)
    assert_same_values(spec_values(pl.from_pandas(events)), expected)
    assert_same_values(spec_values(pl.from_pandas(events).lazy()), expected)


@settings(max_examples=30, deadline=None)
@given(event_frames(max_rows=30), st.randoms(use_true_random=False))
def test_validate_events_counts_every_row_once_whatever_the_order(events, random):
    copy = events.copy(deep=True)
    counts = validate_events(events, by=["channel"]).type_counts
    pd.testing.assert_frame_equal(events, copy)
    assert counts == events["event_type"].value_counts().to_dict()
    assert validate_events(shuffled(events, random), by=["channel"]).type_counts == counts
    assert validate_events(pl.from_pandas(events), by=["channel"]).type_counts == counts


def frame_dict(frame) -> dict:
    frame = frame if isinstance(frame, pd.DataFrame) else frame.to_pandas()
    keys = [name for name in frame.columns if frame[name].dtype == object or name == "period"]
    frame = frame.sort_values(keys, na_position="first").reset_index(drop=True)
    return {name: [plain(value) for value in frame[name].tolist()] for name in frame.columns}


def plain(value):
    # polars' to_pandas() turns a Date column into midnight Timestamps; pandas keeps dates.
    if isinstance(value, pd.Timestamp):
        return value.date()
    return None if isinstance(value, float) and math.isnan(value) else value


@settings(max_examples=12, deadline=None)
@given(event_frames(max_rows=25), st.randoms(use_true_random=False))
def test_engagement_kpis_are_the_same_on_polars_as_on_shuffled_pandas(events, random):
    expected = frame_dict(engagement_kpis(events, by="channel"))
    assert_same_values(
        frame_dict(engagement_kpis(shuffled(events, random), by="channel")), expected
    )
    assert_same_values(frame_dict(engagement_kpis(pl.from_pandas(events), by="channel")), expected)


@settings(max_examples=12, deadline=None)
@given(event_frames(max_rows=25), st.randoms(use_true_random=False))
def test_referred_and_organic_partition_orders_and_revenue_and_ignore_row_order(events, random):
    copy = events.copy(deep=True)
    split = frame_dict(referred_vs_organic(events, period=None))
    pd.testing.assert_frame_equal(events, copy)
    assert_same_values(
        frame_dict(referred_vs_organic(shuffled(events, random), period=None)), split
    )
    whole = compute_kpis(events, period=None).to_dict()
    for name in ("orders", "revenue"):
        parts = sum(value or 0.0 for value in split[name])
        assert math.isclose(parts, whole[name][0] or 0.0, rel_tol=1e-12, abs_tol=1e-9), name
