"""Properties of compute_kpis beyond tests/report/test_properties.py.

Additivity: splitting the events by calendar month and recombining the monthly
reports gives the full report's visitors, orders, revenue and spend; segment
rows add up to the unsegmented totals. Monotonicity: one more purchase adds one
order and never lowers revenue. Row order, no mutation (deep copy) and pandas ==
polars (eager and lazy) with the engagement columns and attribution on.
Expected values come from the report on the whole frame (the property is a
relation between two calls), never from a re-implementation.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    SCHEMA,
    START,
    TYPES,
    assert_same_values,
    event_frames,
    event_rows,
    shuffled,
    to_frame,
)

from retention_kpis import compute_kpis

ADDITIVE = ("visitors", "orders", "revenue", "spend")


def zero_if_nan(value: float) -> float:
    # A month without spend rows reports spend as undefined (nan) when computed alone but 0.0
    # inside a frame that holds spend elsewhere; both mean "no spend" for additivity.
    # to_dict() gives None for nan.
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else value


def keyed(report, columns=ADDITIVE):
    data = report.to_dict()
    keys = list(zip(data["period"], *(data[name] for name in report.by), strict=True))
    return {
        key: tuple(zero_if_nan(data[name][index]) for name in columns)
        for index, key in enumerate(keys)
    }


@settings(max_examples=20, deadline=None)
@given(event_frames(max_rows=25), st.sampled_from([None, "channel"]))
def test_monthly_reports_recombine_into_the_full_report(events, by):
    full = keyed(compute_kpis(events, period="M", by=by))
    month = events[SCHEMA.timestamp].dt.to_period("M")
    recombined = {}
    for _, chunk in events.groupby(month, sort=True):
        part = keyed(compute_kpis(chunk.reset_index(drop=True), period="M", by=by))
        assert not set(part) & set(recombined)  # each (period, segment) comes from one chunk
        recombined.update(part)
    assert recombined.keys() == full.keys()
    for key, values in full.items():
        for name, a, b in zip(ADDITIVE, values, recombined[key], strict=True):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9), (key, name, a, b)


@settings(max_examples=20, deadline=None)
@given(event_frames(max_rows=25), st.sampled_from(["M", None]))
def test_channel_rows_add_up_to_the_unsegmented_orders_revenue_and_spend(events, period):
    # Every event has exactly one channel, so per-channel orders, revenue and spend partition
    # the totals (visitors do not: a customer may visit through two channels).
    total = compute_kpis(events, period=period).to_dict()
    split = compute_kpis(events, period=period, by="channel").to_dict()
    for name in ("orders", "revenue", "spend"):
        for index, start in enumerate(total["period"]):
            parts = [
                zero_if_nan(value)
                for value, when in zip(split[name], split["period"], strict=True)
                if when == start
            ]
            assert math.isclose(
                zero_if_nan(total[name][index]), sum(parts), rel_tol=1e-12, abs_tol=1e-9
            ), (name, start)
    assert sum(split["visitors"]) >= sum(total["visitors"])


@settings(max_examples=20, deadline=None)
@given(
    event_frames(max_rows=20),
    event_rows(kinds=(TYPES.purchase,)),
    st.sampled_from(["M", "W", None]),
)
def test_one_more_purchase_adds_an_order_and_never_lowers_revenue(events, purchase, period):
    before = keyed(compute_kpis(events, period=period), ("orders", "revenue"))
    grown = pd.concat([events, to_frame([purchase])], ignore_index=True)
    after = keyed(compute_kpis(grown, period=period), ("orders", "revenue"))
    assert set(before) <= set(after)
    for key, (orders, revenue) in after.items():
        old_orders, old_revenue = before.get(key, (0, 0.0))
        assert revenue >= old_revenue - 1e-9
        assert orders - old_orders in {0, 1}
    assert sum(o for o, _ in after.values()) == sum(o for o, _ in before.values()) + 1
    added = purchase[SCHEMA.revenue]
    assert math.isclose(
        sum(r for _, r in after.values()), sum(r for _, r in before.values()) + added, abs_tol=1e-9
    )


@settings(max_examples=12, deadline=None)
@given(event_frames(max_rows=20), st.randoms(use_true_random=False))
def test_engagement_and_attribution_report_is_row_order_invariant_and_input_untouched(
    events, random
):
    options = {"by": "channel", "engagement": True, "attribution": "linear"}
    copy = events.copy(deep=True)
    report = compute_kpis(events, **options).to_dict()
    pd.testing.assert_frame_equal(events, copy)
    assert_same_values(compute_kpis(shuffled(events, random), **options).to_dict(), report)


@settings(max_examples=10, deadline=None)
@given(event_frames(max_rows=20), st.sampled_from(["activity", "events"]))
def test_pandas_and_polars_agree_with_engagement_on(events, churn_from):
    options = {"by": "channel", "engagement": True, "churn_from": churn_from}
    expected = compute_kpis(events, **options).to_dict()
    native = pl.from_pandas(events)
    copy = native.clone()
    for frame in (native, native.lazy()):
        assert_same_values(compute_kpis(frame, **options).to_dict(), expected)
    assert native.equals(copy)


@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_recombination_holds_for_every_period_on_a_fixed_frame(period):
    # One frame spanning a year boundary; splitting by the report's own period must recombine.
    rows = [
        {
            SCHEMA.customer_id: c,
            SCHEMA.timestamp: START + dt.timedelta(days=d),
            SCHEMA.event_type: k,
            SCHEMA.revenue: r,
            SCHEMA.cost: None,
            SCHEMA.score: None,
            SCHEMA.channel: "web",
        }
        for c, d, k, r in [
            ("a", -3, "visit", None),
            ("a", -2, "purchase", 10.0),
            ("b", 0, "visit", None),
            ("a", 40, "purchase", 5.0),
            ("b", 95, "purchase", 7.5),
        ]
    ]
    events = to_frame(rows)
    full = keyed(compute_kpis(events, period=period))
    recombined = {}
    code = {"D": "D", "W": "W-SUN", "M": "M", "Q": "Q", "Y": "Y"}[period]
    for _, chunk in events.groupby(events[SCHEMA.timestamp].dt.to_period(code)):
        recombined.update(keyed(compute_kpis(chunk.reset_index(drop=True), period=period)))
    assert recombined == full
