"""Properties of rfm_summary, cohorts, funnels, cart KPIs and attribution on generated events.

Row order invariance, no mutation (deep copy), pandas == polars (eager and
lazy), ranges, and conservation laws: attributed credit sums to the
conversions and revenue, per-channel totals to the whole, cart and checkout
completions never exceed their starts. Expected values are the same function's
output on the reference frame (a relation), never a re-implementation.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import SCHEMA, TYPES, assert_same_values, event_frames, shuffled

from retention_kpis.attribution import MODELS, attribute, attributed_channel_totals
from retention_kpis.clv import rfm_summary
from retention_kpis.cohorts import cohort_retention, revenue_retention
from retention_kpis.funnels import cart_kpis, funnel

END = dt.datetime(2024, 6, 30)  # noqa: DTZ001 - the events are naive
CART_KINDS = (TYPES.visit, TYPES.cart_add, TYPES.cart_add, TYPES.checkout, TYPES.purchase)


def purchases(events: pd.DataFrame) -> pd.DataFrame:
    return events[events[SCHEMA.event_type] == TYPES.purchase].reset_index(drop=True)


def rfm(frame):
    return rfm_summary(
        frame,
        customer_id=SCHEMA.customer_id,
        timestamp=SCHEMA.timestamp,
        monetary_value=SCHEMA.revenue,
        observation_end=END,
        time_unit="D",
        time_scaler=7.0,
    )


def rfm_dict(summary) -> dict:
    frame = summary if isinstance(summary, pd.DataFrame) else summary.to_pandas()
    frame = frame.sort_values(SCHEMA.customer_id).reset_index(drop=True)
    return {name: frame[name].tolist() for name in frame.columns}


@settings(max_examples=40, deadline=None)
@given(event_frames(max_rows=30), st.randoms(use_true_random=False))
def test_rfm_summary_is_order_invariant_untouched_and_the_same_on_polars(events, random):
    data = purchases(events)
    copy = data.copy(deep=True)
    expected = rfm_dict(rfm(data))
    pd.testing.assert_frame_equal(data, copy)
    assert_same_values(rfm_dict(rfm(shuffled(data, random))), expected)
    native = pl.from_pandas(data)
    assert_same_values(rfm_dict(rfm(native)), expected)
    assert_same_values(rfm_dict(rfm(native.lazy()).collect()), expected)
    # Ranges: 0 <= recency <= T; frequency below the customer's purchase count.
    counts = data.groupby(SCHEMA.customer_id).size()
    for customer, frequency, recency, age, value in zip(
        *(
            expected[name]
            for name in (SCHEMA.customer_id, "frequency", "recency", "T", "monetary_value")
        ),
        strict=True,
    ):
        assert 0 <= frequency < counts[customer]
        assert 0.0 <= recency <= age
        assert value >= 0.0


def table_dict(table) -> dict:
    return {
        "cohorts": list(table.cohorts),
        "sizes": list(table.cohort_sizes),
        "shares": [list(row) for row in table.shares],
    }


@settings(max_examples=25, deadline=None)
@given(event_frames(max_rows=30), st.randoms(use_true_random=False))
def test_revenue_retention_is_order_invariant_untouched_and_the_same_on_polars(events, random):
    options = {"observation_end": END, "zero_division": 0.0}
    copy = events.copy(deep=True)
    table = revenue_retention(events, **options)
    pd.testing.assert_frame_equal(events, copy)
    expected = table_dict(table)
    assert table_dict(revenue_retention(shuffled(events, random), **options)) == expected
    assert table_dict(revenue_retention(pl.from_pandas(events), **options)) == expected
    for row in table.shares:
        assert all(share is None or share >= 0.0 for share in row)


@settings(max_examples=25, deadline=None)
@given(event_frames(max_rows=30), st.sampled_from(["on", "on_or_after"]))
def test_cohort_retention_is_the_same_on_polars_and_lazy_polars(events, mode):
    expected = table_dict(cohort_retention(events, observation_end=END, mode=mode))
    native = pl.from_pandas(events)
    for frame in (native, native.lazy()):
        assert table_dict(cohort_retention(frame, observation_end=END, mode=mode)) == expected


def funnel_rows(result) -> list:
    return [row.model_dump() for row in result.rows]


@settings(max_examples=25, deadline=None)
@given(event_frames(max_rows=30, kinds=CART_KINDS), st.booleans())
def test_funnel_is_the_same_on_polars_and_entrants_never_increase(events, ordered):
    steps = [TYPES.visit, TYPES.cart_add, TYPES.checkout, TYPES.purchase]
    options = {"ordered": ordered, "by": "channel", "zero_division": 0.0}
    result = funnel(events, steps, **options)
    assert funnel_rows(funnel(pl.from_pandas(events), steps, **options)) == funnel_rows(result)
    by_segment: dict = {}
    for row in result.rows:
        by_segment.setdefault(row.segment, []).append(row.entrants)
    for entrants in by_segment.values():
        assert entrants == sorted(entrants, reverse=True)


@settings(max_examples=25, deadline=None)
@given(event_frames(max_rows=30, kinds=CART_KINDS), st.randoms(use_true_random=False))
def test_cart_kpis_are_fractions_order_invariant_untouched_and_the_same_on_polars(events, random):
    options = {"by": "channel", "zero_division": 0.0}
    copy = events.copy(deep=True)
    result = cart_kpis(events, **options)
    pd.testing.assert_frame_equal(events, copy)
    expected = funnel_rows(result)
    assert funnel_rows(cart_kpis(shuffled(events, random), **options)) == expected
    assert funnel_rows(cart_kpis(pl.from_pandas(events), **options)) == expected
    for row in result.rows:
        assert row.carts_converted <= row.carts_created
        assert row.checkouts_completed <= row.checkouts_started
        for rate in (row.cart_abandonment_rate, row.checkout_conversion_rate):
            assert 0.0 <= rate <= 1.0


@settings(max_examples=15, deadline=None)
@given(
    event_frames(max_rows=30),
    st.sampled_from([m for m in MODELS if m != "shapley"]),
    st.sampled_from([None, "M"]),
)
def test_attributed_credit_per_period_is_conserved_and_channel_totals_add_up(events, model, period):
    result = attribute(events, model=model, period=period)
    total = sum(credit.conversions for credit in result.credits)
    revenue = sum(credit.revenue for credit in result.credits)
    assert math.isclose(total, result.conversions, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(revenue, result.revenue, rel_tol=1e-9, abs_tol=1e-9)
    assert all(credit.conversions >= 0 and credit.revenue >= 0 for credit in result.credits)
    expected_revenue = purchases(events)[SCHEMA.revenue].sum()
    assert result.conversions == len(purchases(events))
    assert math.isclose(result.revenue, expected_revenue, rel_tol=1e-9, abs_tol=1e-9)
    totals = attributed_channel_totals(events, model=model, period=period)
    assert math.isclose(
        sum(item.orders for item in totals.values()), total, rel_tol=1e-9, abs_tol=1e-9
    )
    assert math.isclose(
        sum(item.revenue for item in totals.values()), revenue, rel_tol=1e-9, abs_tol=1e-9
    )
