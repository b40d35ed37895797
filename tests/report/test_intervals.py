"""compute_kpis(confidence=...): interval columns from counts and per-customer sums.

Each bound is checked against the stats function fed with counts (or per-customer
totals) computed independently here with pandas from the events; every backend must
give the pandas report; confidence=None must leave the report as it was.
"""

from __future__ import annotations

import json
import math

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest

from retention_kpis import (
    InvalidInputError,
    nps_interval,
    proportion_interval,
    ratio_interval,
)
from retention_kpis.datasets import make_events
from retention_kpis.report import compute_kpis
from retention_kpis.report.columns import INTERVAL_METHODS, KPI_COLUMNS

BOUNDS = [f"{name}_{side}" for name in INTERVAL_METHODS for side in ("low", "high")]


@pytest.fixture(scope="module")
def synthetic():
    return make_events(60, seed=7)


def _same(left, right):
    assert left.keys() == right.keys()
    for column in left:
        for a, b in zip(left[column], right[column], strict=True):
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (column, a, b)
            else:
                assert a == b, (column, a, b)


def test_without_confidence_the_report_is_unchanged(synthetic):
    report = compute_kpis(synthetic, period="Q")
    assert report.columns == ["period", *KPI_COLUMNS]
    assert report.confidence is None
    text = report.model_dump_json()
    assert "_low" not in text
    assert "confidence" not in json.loads(text)
    assert not any(name in report.definitions for name in BOUNDS)


def test_interval_columns_follow_their_kpi(synthetic):
    report = compute_kpis(synthetic, period="Q", confidence=0.9)
    columns = report.columns
    for name in INTERVAL_METHODS:
        at = columns.index(name)
        assert columns[at + 1 : at + 3] == [f"{name}_low", f"{name}_high"]
    assert report.definitions["csat_low"].startswith("lower bound of the 90% Wilson")
    frame = nw.from_native(report.to_frame())
    assert frame.columns == columns
    again = type(report).model_validate_json(report.model_dump_json())
    _same(again.to_dict(), report.to_dict())


def _by_quarter(events):
    frame = events.copy()
    frame["period"] = pd.to_datetime(frame["timestamp"]).dt.to_period("Q").dt.start_time.dt.date
    return frame


def test_share_bounds_equal_the_stats_functions_on_hand_counts(synthetic):
    report = compute_kpis(synthetic, period="Q", confidence=0.95).to_dict()
    frame = _by_quarter(synthetic)
    for i, period in enumerate(report["period"]):
        rows = frame[frame["period"] == period]
        visitors = set(rows.loc[rows["event_type"] == "visit", "customer_id"])
        buyers = set(rows.loc[rows["event_type"] == "purchase", "customer_id"])
        expected = proportion_interval(len(visitors & buyers), len(visitors))
        assert (
            report["conversion_rate_low"][i],
            report["conversion_rate_high"][i],
        ) == pytest.approx(expected)
        nps = rows.loc[rows["event_type"] == "nps_response", "score"]
        if len(nps):
            counts = (int((nps >= 9).sum()), int(nps.between(7, 8).sum()), int((nps <= 6).sum()))
            assert (report["nps_low"][i], report["nps_high"][i]) == pytest.approx(
                nps_interval(*counts)
            )
        csat = rows.loc[rows["event_type"] == "csat_response", "score"]
        if len(csat):
            expected = proportion_interval(int((csat >= 4).sum()), len(csat))
            assert (report["csat_low"][i], report["csat_high"][i]) == pytest.approx(expected)
        if i:
            before = frame[frame["period"] == report["period"][i - 1]]
            start = set(before.loc[before["event_type"] == "purchase", "customer_id"])
            if start:
                kept = len(start & buyers)
                assert (
                    report["retention_rate_low"][i],
                    report["retention_rate_high"][i],
                ) == pytest.approx(proportion_interval(kept, len(start)))
                assert (report["churn_rate_low"][i], report["churn_rate_high"][i]) == pytest.approx(
                    proportion_interval(len(start) - kept, len(start))
                )


def test_ratio_bounds_equal_the_delta_method_on_per_customer_totals(synthetic):
    report = compute_kpis(synthetic, period="Q", confidence=0.95).to_dict()
    frame = _by_quarter(synthetic)
    purchases = frame[frame["event_type"] == "purchase"]
    checked = 0
    for i, period in enumerate(report["period"]):
        rows = purchases[purchases["period"] == period]
        per_customer = rows.groupby("customer_id").agg(
            revenue=("revenue", "sum"), orders=("order_id", "nunique")
        )
        if len(per_customer) < 2:
            continue
        expected_aov = ratio_interval(per_customer["revenue"], per_customer["orders"])
        assert (report["aov_low"][i], report["aov_high"][i]) == pytest.approx(
            expected_aov, rel=1e-9
        )
        ones = np.ones(len(per_customer))
        expected_pf = ratio_interval(per_customer["orders"], ones)
        assert (
            report["purchase_frequency_low"][i],
            report["purchase_frequency_high"][i],
        ) == pytest.approx(expected_pf, rel=1e-9)
        checked += 1
    assert checked >= 4


def test_orders_without_id_count_one_each_in_the_customer_totals():
    # Customer a: orders o1 (two rows) and one purchase without id = 2 orders, 60 revenue;
    # customer b: one order of 20; customer c: two purchases without id = 2 orders, 50.
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c", "c"],
            "timestamp": ["2024-01-02"] * 6,
            "event_type": ["purchase"] * 6,
            "revenue": [10.0, 20.0, 30.0, 20.0, 25.0, 25.0],
            "order_id": ["o1", "o1", None, "o2", None, None],
        }
    )
    row = compute_kpis(events, period="M", confidence=0.95).to_dict()
    expected = ratio_interval([60.0, 20.0, 50.0], [2, 1, 2])
    assert (row["aov_low"][0], row["aov_high"][0]) == pytest.approx(expected)
    assert row["orders"] == [5]


def test_every_backend_gives_the_pandas_intervals(constructor, synthetic):
    expected = compute_kpis(synthetic, period="M", by="channel", confidence=0.95).to_dict()
    got = compute_kpis(constructor(synthetic), period="M", by="channel", confidence=0.95)
    _same(got.to_dict(), expected)


def test_attribution_leaves_the_aov_interval_null(synthetic):
    report = compute_kpis(
        synthetic, period="Q", by="channel", attribution="linear", confidence=0.95
    ).to_dict()
    assert all(value is None for value in report["aov_low"])
    assert any(value is not None for value in report["conversion_rate_low"])


@pytest.mark.parametrize("bad", [0, 1, 95, -0.5, "0.95", True])
def test_invalid_confidence_raises(bad):
    events = pd.DataFrame(
        {"customer_id": ["a"], "timestamp": ["2024-01-01"], "event_type": ["visit"]}
    )
    with pytest.raises(
        InvalidInputError, match=r"^The 'confidence' parameter of compute_kpis must"
    ):
        compute_kpis(events, confidence=bad)


@pytest.mark.parametrize("period", ["M", "Q"])
def test_every_defined_interval_holds_its_value(synthetic, period):
    # Wilson and adjusted-Wald intervals always contain the estimate for these counts,
    # delta-method ones are centred on it (clipped at 0).
    data = compute_kpis(synthetic, period=period, by="channel", confidence=0.9).to_dict()
    checked = 0
    for name in INTERVAL_METHODS:
        for value, low, high in zip(
            data[name], data[f"{name}_low"], data[f"{name}_high"], strict=True
        ):
            if low is None:
                continue
            checked += 1
            if name == "nps":  # adjusted Wald is centred on the adjusted score
                assert low <= high
                continue
            assert low <= value <= high, (name, value, low, high)
    assert checked > 100
