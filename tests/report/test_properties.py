"""Hypothesis properties of compute_kpis: ranges, order invariance, no mutation, backend agreement."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis.report import compute_kpis

START = dt.datetime.fromisoformat("2024-01-01")  # naive on purpose
KINDS = ["visit", "purchase", "spend", "nps_response", "csat_response", "signup", "churn"]


@st.composite
def event_frames(draw):
    n = draw(st.integers(1, 25))
    rows = []
    for _ in range(n):
        kind = draw(st.sampled_from(KINDS))
        customer = (
            None if kind == "spend" and draw(st.booleans()) else draw(st.sampled_from("abcde"))
        )
        score = None
        if kind == "nps_response":
            score = float(draw(st.integers(0, 10)))
        elif kind == "csat_response":
            score = float(draw(st.integers(1, 5)))
        rows.append(
            {
                "customer_id": customer,
                "timestamp": START + dt.timedelta(hours=draw(st.integers(0, 24 * 120))),
                "event_type": kind,
                "revenue": float(draw(st.integers(0, 100))) if kind == "purchase" else None,
                "cost": float(draw(st.integers(0, 100))) if kind == "spend" else None,
                "score": score,
                "channel": draw(st.sampled_from(["web", "email"])),
            }
        )
    columns = {key: [row[key] for row in rows] for key in rows[0]}
    return pd.DataFrame(columns).astype(
        {"revenue": "float64", "cost": "float64", "score": "float64"}
    )


def same(left, right):
    assert left.keys() == right.keys()
    for column in left:
        for a, b in zip(left[column], right[column], strict=True):
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), column
            else:
                assert a == b, column


@settings(max_examples=30, deadline=None)
@given(
    event_frames(), st.sampled_from(["D", "W", "M", "Q", None]), st.sampled_from([None, "channel"])
)
def test_rates_are_fractions_and_nps_in_range(events, period, by):
    for row in compute_kpis(events, period=period, by=by).rows:
        for rate in (row.conversion_rate, row.retention_rate, row.churn_rate, row.csat):
            assert math.isnan(rate) or 0.0 <= rate <= 1.0
        assert math.isnan(row.nps) or -100.0 <= row.nps <= 100.0
        if not math.isnan(row.retention_rate):
            assert math.isclose(row.retention_rate + row.churn_rate, 1.0)
        assert row.active_customers <= row.orders


@settings(max_examples=30, deadline=None)
@given(event_frames(), st.randoms(use_true_random=False))
def test_report_is_invariant_to_row_order_and_input_is_unchanged(events, random):
    before = events.copy(deep=True)
    report = compute_kpis(events, by="channel")
    pd.testing.assert_frame_equal(events, before)
    order = list(range(len(events)))
    random.shuffle(order)
    shuffled = events.iloc[order].reset_index(drop=True)
    same(compute_kpis(shuffled, by="channel").to_dict(), report.to_dict())


@settings(max_examples=15, deadline=None)
@given(event_frames(), st.sampled_from(["W", "M", None]))
def test_pandas_polars_lazy_and_duckdb_agree(events, period):
    expected = compute_kpis(events, period=period, by="channel").to_dict()
    table = pa.Table.from_pandas(events, preserve_index=False)
    for native in (pl.from_pandas(events), pl.from_pandas(events).lazy(), duckdb.from_arrow(table)):
        same(compute_kpis(native, period=period, by="channel").to_dict(), expected)
