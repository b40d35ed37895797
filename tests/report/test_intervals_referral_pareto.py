"""referral_rate and pareto_share bounds of compute_kpis(engagement=True) and engagement_kpis.

Expected bounds are computed here from the raw events with pandas and numpy, not from the
sums the engine collects:

* referral_rate: per (quarter, channel, customer) the referrals r_i and a purchaser flag
  c_i over the customers with either; R = sum r / sum c and the delta-method variance
  n / (n - 1) * sum((r_i - R c_i)^2) / (sum c)^2 (Cochran 1977, section 6.3);
* pareto_share: per purchaser the revenue y_i, the top group (ceil(n / 5) purchasers by
  revenue) and the influence function IF_T = y 1{top} - xi (1{top} - q) - T_q,
  IF_S = (IF_T - S (y - mu)) / mu, Var = sum IF_S^2 / (n (n - 1)) (Beach & Davidson
  1983), bounds clipped to [0, 1].
"""

from __future__ import annotations

import math

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from retention_kpis import InvalidInputError, ReferralRate, compute_kpis, engagement_kpis

Z95 = float(norm.ppf(0.975))
KPIS = ("referral_rate", "pareto_share")


def _events(seed=5, customers=240, *, referrers_buy=False):
    """Visits, purchases (lognormal revenue) and referrals over two quarters of 2024."""
    rng = np.random.default_rng(seed)
    rows = []
    start = pd.Timestamp("2024-01-01")
    for customer in range(customers):
        channel = "ads" if customer % 3 else "email"
        first = start + pd.Timedelta(seconds=int(rng.integers(0, 170 * 86_400)))
        rows.append((customer, first, "visit", math.nan, channel))
        purchases = int(rng.poisson(1.3))
        referrals = int(rng.poisson(0.5 if customer % 4 else 2.0))
        if referrers_buy and referrals:
            purchases = max(purchases, 1)
        for kind, count in (("purchase", purchases), ("referral", referrals)):
            for _ in range(count):
                when = first + pd.Timedelta(seconds=int(rng.integers(1, 60 * 86_400)))
                revenue = (
                    round(float(rng.lognormal(3.5, 1.0)), 2) if kind == "purchase" else math.nan
                )
                rows.append((customer, when, kind, revenue, channel))
    return pd.DataFrame(
        rows, columns=["customer_id", "timestamp", "event_type", "revenue", "channel"]
    )


@pytest.fixture(scope="module")
def events():
    return _events()


def _keyed(events):
    frame = events.copy()
    frame["period"] = frame["timestamp"].dt.to_period("Q").dt.start_time.dt.date
    return frame


def _referral_expected(frame, z):
    """(R, low, high) per (period, channel) from per-customer referrals and purchaser flags."""
    expected = {}
    for key, group in frame.groupby(["period", "channel"]):
        r = group[group["event_type"] == "referral"].groupby("customer_id").size()
        c = group[group["event_type"] == "purchase"].groupby("customer_id").size().clip(upper=1)
        both = pd.concat([r.rename("r"), c.rename("c")], axis=1).fillna(0)
        n, sum_c = len(both), both["c"].sum()
        if n < 2 or sum_c == 0:
            continue
        ratio = both["r"].sum() / sum_c
        se = math.sqrt(n / (n - 1) * ((both["r"] - ratio * both["c"]) ** 2).sum()) / sum_c
        expected[key] = (ratio, max(0.0, ratio - z * se), ratio + z * se)
    return expected


def _pareto_expected(frame, z):
    """(S, low, high) per (period, channel) from the influence function, purchaser by purchaser."""
    expected = {}
    purchases = frame[frame["event_type"] == "purchase"]
    for key, group in purchases.groupby(["period", "channel"]):
        y = group.groupby("customer_id")["revenue"].sum().to_numpy()
        n = y.size
        if n < 2:
            continue
        k = -(-n // 5)  # ceil(n / 5), top_fraction = 0.2
        order = np.argsort(-y, kind="stable")
        top = np.zeros(n)
        top[order[:k]] = 1.0
        xi, q, mu = y[order[k - 1]], k / n, y.mean()
        t_q = (y * top).mean()
        share = t_q / mu
        influence = (y * top - xi * (top - q) - t_q - share * (y - mu)) / mu
        se = math.sqrt((influence**2).sum() / (n * (n - 1)))
        expected[key] = (share, max(0.0, share - z * se), min(1.0, share + z * se))
    return expected


def _table_rows(table):
    for _, row in table.iterrows():
        yield (row["period"], row["channel"]), row


def test_bounds_equal_an_independent_computation_from_the_events(events):
    frame = _keyed(events)
    referral = _referral_expected(frame, float(norm.ppf(0.95)))
    pareto = _pareto_expected(frame, float(norm.ppf(0.95)))
    table = engagement_kpis(events, period="Q", by="channel", confidence=0.9)
    report = compute_kpis(events, period="Q", by="channel", confidence=0.9, engagement=True)
    report_rows = {(row.period, row.segment["channel"]): row.model_dump() for row in report.rows}
    checked = 0
    for key, row in _table_rows(table):
        for name, expected in (("referral_rate", referral), ("pareto_share", pareto)):
            value, low, high = expected[key]
            assert row[name] == pytest.approx(value, rel=1e-12)
            got = (row[f"{name}_low"], row[f"{name}_high"])
            assert got == pytest.approx((low, high), rel=1e-9, abs=1e-12), (key, name)
            from_report = (report_rows[key][f"{name}_low"], report_rows[key][f"{name}_high"])
            assert from_report == pytest.approx(got, rel=1e-12, abs=1e-15)
            checked += 1
    assert checked == 12  # events span Q1-Q3 2024 (first event + up to 230 days): 6 keys x 2
    assert any(low > 0 for _, low, _ in referral.values())


def test_referral_bounds_equal_the_model_when_every_referrer_purchases():
    # Then the clusters are the purchasers and x_i = 1: ReferralRate.from_customers on the
    # referrals per purchaser (its own delta-method code path, ratio_interval). One period
    # (period=None), so every referrer's purchase is in the referral's key.
    events = _events(seed=9, customers=150, referrers_buy=True)
    table = engagement_kpis(events, period=None, confidence=0.95)
    buyers = events.loc[events["event_type"] == "purchase", "customer_id"].unique()
    referrers = events.loc[events["event_type"] == "referral", "customer_id"]
    assert set(referrers) <= set(buyers)
    counts = referrers.value_counts().reindex(buyers, fill_value=0).to_numpy()
    model = ReferralRate.from_customers(counts)
    (row,) = (row for _, row in table.iterrows())
    assert row["referral_rate"] == pytest.approx(model.value, rel=1e-12)
    got = (row["referral_rate_low"], row["referral_rate_high"])
    assert got == pytest.approx((model.ci_low, model.ci_high), rel=1e-9, abs=1e-12)
    assert model.ci_low > 0


def test_every_backend_gives_the_pandas_bounds(constructor, events):
    options = {"period": "Q", "by": "channel", "confidence": 0.95}
    expected = engagement_kpis(events, **options)
    got = nw.from_native(engagement_kpis(constructor(events), **options))
    if isinstance(got, nw.LazyFrame):
        got = got.collect()
    got_data = got.to_pandas()
    expected_report = compute_kpis(events, engagement=True, **options).to_dict()
    got_report = compute_kpis(constructor(events), engagement=True, **options).to_dict()
    for name in KPIS:
        for column in (f"{name}_low", f"{name}_high"):
            assert np.allclose(
                got_data[column].astype(float).to_numpy(),
                expected[column].astype(float).to_numpy(),
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
            ), column
            assert np.allclose(
                np.array(got_report[column], dtype=float),
                np.array(expected_report[column], dtype=float),
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
            ), column


def test_columns_follow_their_kpi_and_need_confidence(events):
    plain = engagement_kpis(events, period="Q")
    table = engagement_kpis(events, period="Q", confidence=0.95)
    columns = list(table.columns)
    for name in KPIS:
        assert f"{name}_low" not in plain.columns
        at = columns.index(name)
        assert columns[at + 1 : at + 3] == [f"{name}_low", f"{name}_high"]
    pd.testing.assert_frame_equal(table[list(plain.columns)], plain)
    report = compute_kpis(events, period="Q", confidence=0.95)  # engagement=False
    for name in KPIS:
        assert report.to_dict()[f"{name}_low"] == [None] * len(report.rows)


def test_input_is_not_mutated_and_bad_confidence_is_still_rejected(events):
    before = events.copy()
    engagement_kpis(events, period="Q", confidence=0.95)
    compute_kpis(events, period="Q", confidence=0.95, engagement=True)
    pd.testing.assert_frame_equal(events, before)
    with pytest.raises(InvalidInputError, match="'confidence' parameter of engagement_kpis"):
        engagement_kpis(events, period="Q", confidence=1.5)


def test_zero_revenue_leaves_pareto_bounds_null(events):
    free = events.assign(revenue=events["revenue"].where(events["revenue"].isna(), 0.0))
    table = engagement_kpis(free, period="Q", confidence=0.95)
    assert table["pareto_share"].isna().all()
    assert table["pareto_share_low"].isna().all()
    assert table["referral_rate_high"].notna().any()


_EVENT = st.tuples(
    st.integers(min_value=0, max_value=7),
    st.integers(min_value=0, max_value=200 * 86_400),
    st.sampled_from(["visit", "purchase", "referral"]),
    st.floats(min_value=0.0, max_value=500.0, allow_nan=False),
)


@settings(max_examples=25, deadline=None)
@given(st.lists(_EVENT, min_size=1, max_size=40))
def test_low_le_value_le_high(rows):
    events = pd.DataFrame(
        {
            "customer_id": [row[0] for row in rows],
            "timestamp": [
                pd.Timestamp("2024-01-01") + pd.Timedelta(seconds=row[1]) for row in rows
            ],
            "event_type": [row[2] for row in rows],
            "revenue": [row[3] if row[2] == "purchase" else math.nan for row in rows],
        }
    )
    table = engagement_kpis(events, period="Q", confidence=0.9, referral_channel=None)
    for name in KPIS:
        for value, low, high in zip(
            table[name], table[f"{name}_low"], table[f"{name}_high"], strict=True
        ):
            if pd.isna(low):
                assert pd.isna(high)
                continue
            assert low <= value + 1e-12
            assert value - 1e-12 <= high
