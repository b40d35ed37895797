"""compute_kpis(confidence=...) for roas, cpa, cac, clv and the engagement shares.

Expected bounds are computed here from the events with pandas and numpy (per-customer
totals, then the formulas of docs/metrics/intervals.md written out again) or with
statsmodels' proportion_confint (Wilson); every backend must give the pandas report.
"""

from __future__ import annotations

import math

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from retention_kpis import (
    InvalidInputError,
    compare_kpis,
    compute_kpis,
    detect_changes,
    engagement_kpis,
)
from retention_kpis.datasets import make_events
from retention_kpis.report.columns import ENGAGEMENT_INTERVAL_METHODS

Z95 = float(norm.ppf(0.975))


@pytest.fixture(scope="module")
def synthetic():
    return make_events(120, seed=11)


def _quarters(events):
    frame = events.copy()
    frame["period"] = pd.to_datetime(frame["timestamp"]).dt.to_period("Q").dt.start_time.dt.date
    return frame


def _log_bounds(value, relative_se):
    return value * math.exp(-Z95 * relative_se), value * math.exp(Z95 * relative_se)


def _same(left, right):
    assert left.keys() == right.keys()
    for column in left:
        for a, b in zip(left[column], right[column], strict=True):
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (column, a, b)
            else:
                assert a == b, (column, a, b)


def test_spend_kpi_bounds_equal_the_poisson_total_formula_on_customer_totals(synthetic):
    report = compute_kpis(synthetic, period="Q", confidence=0.95).to_dict()
    frame = _quarters(synthetic)
    purchases = frame[frame["event_type"] == "purchase"]
    first = purchases.groupby("customer_id")["timestamp"].min()
    first_period = pd.to_datetime(first).dt.to_period("Q").dt.start_time.dt.date
    checked = 0
    for i, period in enumerate(report["period"]):
        spend = frame.loc[(frame["period"] == period) & (frame["event_type"] == "spend"), "cost"]
        rows = purchases[purchases["period"] == period]
        per_customer = rows.groupby("customer_id").agg(
            revenue=("revenue", "sum"), orders=("order_id", "nunique")
        )
        if spend.empty or per_customer.empty:
            assert report["roas_low"][i] is None
            continue
        total_spend = float(spend.sum())
        revenue, orders = per_customer["revenue"].to_numpy(), per_customer["orders"].to_numpy()
        # ROAS = Y / S with Var(Y) = sum of squared customer revenues (spend fixed).
        roas = revenue.sum() / total_spend
        expected = _log_bounds(roas, math.sqrt((revenue**2).sum()) / revenue.sum())
        assert (report["roas_low"][i], report["roas_high"][i]) == pytest.approx(expected)
        # CPA = S / O: the bounds of O, inverted.
        cpa = total_spend / orders.sum()
        expected = _log_bounds(cpa, math.sqrt((orders**2).sum()) / orders.sum())
        assert (report["cpa_low"][i], report["cpa_high"][i]) == pytest.approx(expected)
        # CAC = S / N with N new customers, each counting once: Var(N) = N.
        new = int((first_period == period).sum())
        assert report["new_customers"][i] == new
        if new:
            cac = total_spend / new
            expected = _log_bounds(cac, 1 / math.sqrt(new))
            assert (report["cac_low"][i], report["cac_high"][i]) == pytest.approx(expected)
        checked += 1
    assert checked >= 6


def test_clv_bounds_equal_the_log_scale_delta_method(synthetic):
    report = compute_kpis(synthetic, period="Q", confidence=0.95).to_dict()
    frame = _quarters(synthetic)
    purchases = frame[frame["event_type"] == "purchase"]
    checked = 0
    for i in range(1, len(report["period"])):
        now = purchases[purchases["period"] == report["period"][i]]
        before = purchases[purchases["period"] == report["period"][i - 1]]
        revenue = now.groupby("customer_id")["revenue"].sum().to_numpy()
        start = set(before["customer_id"])
        churned = len(start - set(now["customer_id"]))
        if len(revenue) < 2 or not churned:
            continue
        mean = revenue.mean()
        mean_se = revenue.std(ddof=1) / math.sqrt(len(revenue))  # the delta method with x = 1
        churn = churned / len(start)
        churn_se = math.sqrt(churn * (1 - churn) / len(start))
        relative_se = math.hypot(mean_se / mean, churn_se / churn)
        expected = _log_bounds(mean / churn, relative_se)
        assert report["clv"][i] == pytest.approx(mean / churn)
        assert (report["clv_low"][i], report["clv_high"][i]) == pytest.approx(expected)
        checked += 1
    assert checked >= 4


def test_engagement_share_bounds_equal_statsmodels_wilson(synthetic):
    report = compute_kpis(synthetic, period="Q", confidence=0.9, engagement=True).to_dict()
    table = engagement_kpis(synthetic, period="Q", confidence=0.9)
    parts = {
        "referred_customer_share": ("referred_customers", "customers"),
        "email_open_rate": ("email_opens", "emails_delivered"),
        "email_ctr": ("email_clicks", "emails_delivered"),
        "email_cto_rate": ("email_clicks", "email_opens"),
        "email_unsubscribe_rate": ("email_unsubscribes", "emails_delivered"),
    }
    # referral_rate and pareto_share: tests/report/test_intervals_referral_pareto.py
    assert set(parts) | {"referral_rate", "pareto_share"} == set(ENGAGEMENT_INTERVAL_METHODS)
    checked = 0
    for i, row in table.iterrows():
        for name, (part, whole) in parts.items():
            if row[whole] == 0:
                assert math.isnan(row[f"{name}_low"])
                continue
            expected = proportion_confint(int(row[part]), int(row[whole]), 0.1, method="wilson")
            got = (row[f"{name}_low"], row[f"{name}_high"])
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
            assert (report[f"{name}_low"][i], report[f"{name}_high"][i]) == pytest.approx(got)
            checked += 1
    assert checked >= 30


def test_engagement_kpis_puts_each_shares_bounds_after_it(synthetic):
    plain = engagement_kpis(synthetic, period="Y")
    table = engagement_kpis(synthetic, period="Y", confidence=0.95)
    assert not any(name.endswith(("_low", "_high")) for name in plain.columns)
    columns = list(table.columns)
    for name in ENGAGEMENT_INTERVAL_METHODS:
        at = columns.index(name)
        assert columns[at + 1 : at + 3] == [f"{name}_low", f"{name}_high"]
    pd.testing.assert_frame_equal(table[list(plain.columns)], plain)
    without_channel = engagement_kpis(synthetic, period="Y", referral_channel=None, confidence=0.95)
    assert "referred_customer_share_low" not in without_channel.columns


def test_attribution_leaves_the_spend_bounds_null_but_not_clv(synthetic):
    report = compute_kpis(
        synthetic, period="Q", by="channel", attribution="linear", confidence=0.95
    ).to_dict()
    for name in ("roas", "cpa", "cac"):
        assert all(value is None for value in report[f"{name}_low"]), name
    assert any(value is not None for value in report["clv_low"])


def test_events_without_spend_rows_have_no_spend_bounds(synthetic):
    events = synthetic[synthetic["event_type"] != "spend"]
    report = compute_kpis(events, period="Q", confidence=0.95).to_dict()
    assert all(report[f"{name}_low"] == [None] * len(report["period"]) for name in ("roas", "cac"))


def test_every_backend_gives_the_pandas_engagement_and_spend_intervals(constructor, synthetic):
    options = {"period": "Q", "by": "channel", "confidence": 0.95, "engagement": True}
    expected = compute_kpis(synthetic, **options).to_dict()
    got = compute_kpis(constructor(synthetic), **options).to_dict()
    _same(got, expected)
    assert any(value is not None for value in got["email_ctr_low"])
    assert any(value is not None for value in got["roas_high"])


def test_every_backend_gives_the_pandas_engagement_kpis_bounds(constructor, synthetic):
    expected = engagement_kpis(synthetic, period="Q", confidence=0.95)
    got = nw.from_native(engagement_kpis(constructor(synthetic), period="Q", confidence=0.95))
    if isinstance(got, nw.LazyFrame):
        got = got.collect()
    got_data = got.to_pandas()
    for name in ENGAGEMENT_INTERVAL_METHODS:
        for column in (f"{name}_low", f"{name}_high"):
            assert np.allclose(
                got_data[column].astype(float).to_numpy(),
                expected[column].astype(float).to_numpy(),
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
            ), column


@pytest.mark.parametrize("bad", [0, 1.0, 95, -0.1, "0.9", True])
def test_engagement_kpis_rejects_a_confidence_outside_0_1(synthetic, bad):
    with pytest.raises(
        InvalidInputError, match=r"^The 'confidence' parameter of engagement_kpis must"
    ):
        engagement_kpis(synthetic.head(50), confidence=bad)


def _spend_se(frame, kpi):
    """Level-scale delta standard error of roas / cpa / cac from one row's events."""
    purchases = frame[frame["event_type"] == "purchase"]
    spend = float(frame.loc[frame["event_type"] == "spend", "cost"].sum())
    per_customer = purchases.groupby("customer_id").agg(
        revenue=("revenue", "sum"), orders=("order_id", "nunique")
    )
    revenue, orders = per_customer["revenue"].to_numpy(), per_customer["orders"].to_numpy()
    if kpi == "roas":  # Var(Y) = sum y_i^2; ROAS = Y / S
        return revenue.sum() / spend, math.sqrt((revenue**2).sum()) / spend
    cpa = spend / orders.sum()  # d(S / O) = S / O^2 dO
    return cpa, cpa * math.sqrt((orders**2).sum()) / orders.sum()


@pytest.mark.parametrize("kpi", ["roas", "cpa"])
def test_compare_kpis_tests_spend_kpis_with_their_delta_standard_errors(synthetic, kpi):
    comparison = compare_kpis(
        synthetic, period="Y", by="channel", baseline="paid_search", kpis=[kpi]
    )
    frame = synthetic.assign(year=pd.to_datetime(synthetic["timestamp"]).dt.year)
    checked = 0
    for row in comparison.rows:
        year = row.period.year
        mine = frame[(frame["year"] == year) & (frame["channel"] == row.segment["channel"])]
        base = frame[(frame["year"] == year) & (frame["channel"] == "paid_search")]
        if math.isnan(row.value) or math.isnan(row.baseline_value) or math.isnan(row.ci_low):
            continue
        value, se1 = _spend_se(mine, kpi)
        reference, se2 = _spend_se(base, kpi)
        se = math.hypot(se1, se2)
        assert row.value == pytest.approx(value)
        assert (row.ci_low, row.ci_high) == pytest.approx(
            (value - reference - Z95 * se, value - reference + Z95 * se)
        )
        assert row.p_value == pytest.approx(2 * norm.sf(abs(value - reference) / se))
        checked += 1
    assert checked >= 3


def test_detect_changes_roas_uses_both_periods_standard_errors(synthetic):
    report = compute_kpis(synthetic, period="Q", confidence=0.95)
    changes = detect_changes(report, kpis=["roas"], baseline="previous")
    frame = _quarters(synthetic)
    periods = sorted(frame["period"].unique())
    checked = 0
    for change in changes.rows:
        if math.isnan(change.change):
            continue
        now = frame[frame["period"] == change.period]
        before = frame[frame["period"] == periods[periods.index(change.period) - 1]]
        value, se1 = _spend_se(now, "roas")
        reference, se2 = _spend_se(before, "roas")
        se = math.hypot(se1, se2)
        assert change.change == pytest.approx(value - reference)
        assert change.p_value == pytest.approx(2 * norm.sf(abs(value - reference) / se))
        checked += 1
    assert checked >= 5


def test_display_hides_engagement_bounds_when_engagement_is_off(synthetic):
    text = str(compute_kpis(synthetic.head(3_000), period="Y", confidence=0.95))
    assert "email_ctr" not in text
    assert "roas_low" in text
    shown = str(compute_kpis(synthetic.head(3_000), period="Y", confidence=0.95, engagement=True))
    assert "email_ctr_low" in shown
