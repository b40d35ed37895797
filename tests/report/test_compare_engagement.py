"""compare_kpis and detect_changes on the engagement KPIs (issue #18).

Expected values come from the raw events: the counts are taken with pandas following the
definitions of docs/engagement.md, then fed to statsmodels (Newcombe's hybrid score interval,
``confint_proportions_2indep(method="newcomb")``; the pooled two-proportion z-test,
``proportions_ztest``; Benjamini-Hochberg, ``multipletests(method="fdr_bh")``) or to the
delta-method formula of a ratio written out with numpy (``referral_rate``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from retention_kpis import InvalidInputError, compare_kpis, compute_kpis, detect_changes

SHARES = (
    "email_open_rate",
    "email_ctr",
    "email_cto_rate",
    "email_unsubscribe_rate",
    "referred_customer_share",
)
COLUMNS = ["customer_id", "timestamp", "event_type", "revenue", "channel", "variant"]


def _customer_events(rows, customer, variant, rng, *, month, rates):
    """One customer's month: a visit, one email (open, click, unsubscribe), purchase, referrals."""
    channel = "referral" if rng.random() < rates["referred"] else "organic"
    day = f"2024-{month:02d}"
    rows.append((customer, f"{day}-01 08:00", "visit", None, channel, variant))
    rows.append((customer, f"{day}-02 10:00", "email_sent", None, channel, variant))
    opened = rng.random() < rates["open"]
    if opened:
        rows.append((customer, f"{day}-02 12:00", "email_open", None, channel, variant))
    if (opened and rng.random() < 0.3) or rng.random() < 0.02:  # a click without an open too
        rows.append((customer, f"{day}-02 12:05", "email_click", None, channel, variant))
    if rng.random() < rates["unsubscribe"]:
        rows.append((customer, f"{day}-03 09:00", "unsubscribe", None, channel, variant))
    if rng.random() < 0.4:
        revenue = float(rng.gamma(2.0, 30.0))
        rows.append((customer, f"{day}-05 10:00", "purchase", revenue, channel, variant))
    for k in range(rng.poisson(0.5)):
        rows.append((customer, f"{day}-06 {10 + k:02d}:00", "referral", None, channel, variant))


def _events(seed=0, months=(3,), sizes=(("a", 500), ("b", 450))):
    rng = np.random.default_rng(seed)
    rates = {
        "a": {"referred": 0.35, "open": 0.45, "unsubscribe": 0.05},
        "b": {"referred": 0.25, "open": 0.30, "unsubscribe": 0.02},
    }
    rows: list[tuple] = []
    for month in months:
        for variant, size in sizes:
            for i in range(size):
                _customer_events(
                    rows, f"{variant}{i}", variant, rng, month=month, rates=rates[variant]
                )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def _counts(events, variant, month=3):
    """Successes and trials of each engagement share, counted from the events by hand."""
    mine = events[(events["variant"] == variant) & (events["timestamp"].dt.month == month)]

    def who(kind):
        return set(mine.loc[mine["event_type"] == kind, "customer_id"])

    # One email per customer and month: an email is opened when opened or clicked.
    delivered, opens = len(who("email_sent")), len(who("email_open") | who("email_click"))
    clicks, unsubscribes = len(who("email_click")), len(who("unsubscribe"))
    purchasers = who("purchase")
    # Every event of a customer carries their acquisition channel (first event's channel).
    firsts = events.sort_values("timestamp").groupby("customer_id")["channel"].first()
    referred = sum(firsts[c] == "referral" for c in purchasers)
    return {
        "email_open_rate": (opens, delivered),
        "email_ctr": (clicks, delivered),
        "email_cto_rate": (clicks, opens),
        "email_unsubscribe_rate": (unsubscribes, delivered),
        "referred_customer_share": (referred, len(purchasers)),
    }


@pytest.fixture(scope="module")
def events():
    return _events()


@pytest.fixture(scope="module")
def report(events):
    return compute_kpis(events, period="M", by="variant", engagement=True, confidence=0.95)


@pytest.fixture(scope="module")
def comparison(report):
    return compare_kpis(report, baseline="b", kpis=[*SHARES, "referral_rate", "conversion_rate"])


def _row(result, kpi):
    (row,) = [r for r in result.rows if r.kpi == kpi]
    return row


@pytest.mark.parametrize("kpi", SHARES)
def test_engagement_share_difference_matches_statsmodels(events, comparison, kpi):
    x1, n1 = _counts(events, "a")[kpi]
    x2, n2 = _counts(events, "b")[kpi]
    assert min(n1, n2) > 30  # a real comparison
    row = _row(comparison, kpi)
    assert row.difference == pytest.approx(x1 / n1 - x2 / n2, rel=1e-12)
    expected = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert (row.ci_low, row.ci_high) == pytest.approx(expected, rel=1e-9)
    _, p_value = proportions_ztest([x1, x2], [n1, n2])
    assert row.p_value == pytest.approx(p_value, rel=1e-9)
    assert row.method.startswith("Newcombe hybrid score interval")


def _referral_sums(events, variant):
    """Per-customer (purchaser 0/1, referrals) over customers with a purchase or a referral."""
    mine = events[events["variant"] == variant]
    referrals = mine[mine["event_type"] == "referral"].groupby("customer_id").size()
    buyers = set(mine.loc[mine["event_type"] == "purchase", "customer_id"])
    clusters = sorted(buyers | set(referrals.index))
    x = np.array([1.0 if c in buyers else 0.0 for c in clusters])
    y = np.array([float(referrals.get(c, 0)) for c in clusters])
    return x, y


def _ratio_and_se(x, y):
    # Delta method for R = sum y / sum x with clusters i (Cochran 1977, 6.9; with the
    # n / (n - 1) small-sample factor): se^2 = n / (n - 1) * sum (y_i - R x_i)^2 / (sum x)^2.
    ratio = y.sum() / x.sum()
    n = x.size
    return ratio, math.sqrt(n / (n - 1) * ((y - ratio * x) ** 2).sum()) / x.sum()


def test_referral_rate_difference_is_the_difference_of_two_delta_method_ratios(events, comparison):
    r1, se1 = _ratio_and_se(*_referral_sums(events, "a"))
    r2, se2 = _ratio_and_se(*_referral_sums(events, "b"))
    se = math.hypot(se1, se2)
    z = norm.ppf(0.975)
    row = _row(comparison, "referral_rate")
    assert row.difference == pytest.approx(r1 - r2, rel=1e-12)
    assert (row.ci_low, row.ci_high) == pytest.approx((r1 - r2 - z * se, r1 - r2 + z * se))
    assert row.p_value == pytest.approx(2 * norm.sf(abs(r1 - r2) / se), rel=1e-9)


def test_p_adjusted_is_benjamini_hochberg_over_all_kpis(comparison):
    assert len(comparison.rows) == 7
    p = [r.p_value for r in comparison.rows]
    assert not any(math.isnan(v) for v in p)
    expected = multipletests(p, method="fdr_bh")[1]
    assert [r.p_adjusted for r in comparison.rows] == pytest.approx(list(expected), rel=1e-12)
    # open rates 45 % against 30 % over ~450 emails each: far beyond noise
    assert _row(comparison, "email_open_rate").significant


def test_events_give_what_the_report_gives(events, comparison):
    direct = compare_kpis(
        events, period="M", by="variant", baseline="b", engagement=True, kpis=["email_ctr"]
    )
    assert direct.rows[0] == _row(comparison, "email_ctr")


def test_report_without_engagement_is_refused_naming_the_kpi_and_the_fix(events):
    plain = compute_kpis(events, period="M", by="variant", confidence=0.95)
    for call in (
        lambda: compare_kpis(plain, baseline="b", kpis=["email_open_rate"]),
        lambda: compare_kpis(events, period="M", by="variant", baseline="b", kpis=["email_ctr"]),
        lambda: detect_changes(plain, kpis=["conversion_rate", "referral_rate"]),
    ):
        with pytest.raises(InvalidInputError, match=r"'email_\w+'|'referral_rate'") as info:
            call()
        assert "engagement=True" in str(info.value)


def test_unknown_engagement_kpi_is_refused(report):
    with pytest.raises(InvalidInputError, match="kpis"):
        compare_kpis(report, baseline="b", kpis=["email_bounce_rate"])


def test_detect_changes_tests_engagement_shares_at_the_baseline_share():
    # Open rate 30 % in March, 45 % in April for variant a (b's rates throughout otherwise).
    events = pd.concat([_events(1, months=(3,), sizes=(("b", 600),)), _shifted()])
    report = compute_kpis(events, period="M", engagement=True, confidence=0.95)
    changes = detect_changes(report, kpis=["email_open_rate", "email_unsubscribe_rate"])
    assert len(changes.rows) == 2
    for kpi in ("email_open_rate", "email_unsubscribe_rate"):
        (x0, n0), (x1, n1) = _counts(events, "b", 3)[kpi], _counts(events, "b", 4)[kpi]
        p0, p1 = x0 / n0, x1 / n1
        # The documented test: z = (p1 - p0) / sqrt(p0 (1 - p0) (1 / n1 + 1 / n0)).
        se = math.sqrt(p0 * (1 - p0) * (1 / n1 + 1 / n0))
        row = _row(changes, kpi)
        assert row.change == pytest.approx(p1 - p0, rel=1e-12)
        assert row.p_value == pytest.approx(2 * norm.sf(abs(p1 - p0) / se), rel=1e-9)
    p = [r.p_value for r in changes.rows]
    expected = multipletests(p, method="fdr_bh")[1]
    assert [r.p_adjusted for r in changes.rows] == pytest.approx(list(expected), rel=1e-12)
    assert _row(changes, "email_open_rate").flagged
    assert _row(changes, "email_open_rate").direction == "rise"


def _shifted():
    """April: 600 customers with variant a's rates (45 % opens, 5 % unsubscribes)."""
    frame = _events(2, months=(4,), sizes=(("a", 600),))
    frame["customer_id"] = "b" + frame["customer_id"].str[1:]
    frame["variant"] = "b"
    return frame


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=25),
    st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=25),
)
def test_difference_interval_contains_the_point_difference(first, second):
    rows = []
    for variant, emails in (("a", first), ("b", second)):
        for i, (opened, clicked, unsubscribed) in enumerate(emails):
            customer = f"{variant}{i}"
            rows.append((customer, "2024-03-02 10:00", "email_sent", None, "organic", variant))
            if opened:
                rows.append((customer, "2024-03-02 11:00", "email_open", None, "x", variant))
            if clicked:
                rows.append((customer, "2024-03-02 12:00", "email_click", None, "x", variant))
            if unsubscribed:
                rows.append((customer, "2024-03-03 12:00", "unsubscribe", None, "x", variant))
    events = pd.DataFrame(rows, columns=COLUMNS)
    result = compare_kpis(
        events, period="M", by="variant", baseline="b", engagement=True, kpis=list(SHARES[:4])
    )
    for row in result.rows:
        if math.isnan(row.difference):  # no opens on a side: no click-to-open rate
            assert math.isnan(row.ci_low)
            continue
        assert row.ci_low - 1e-12 <= row.difference <= row.ci_high + 1e-12, row
        assert -1.0 <= row.ci_low <= row.ci_high <= 1.0
