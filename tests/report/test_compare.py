"""compare_kpis: differences, intervals and p-values against statsmodels on hand counts."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from retention_kpis import InvalidInputError, KPIComparison, compare_kpis, compute_kpis


def _events(seed=0):
    """Two channels in one month: visitors, purchases (with order ids) and NPS answers."""
    rng = np.random.default_rng(seed)
    rows = []
    for channel, visitors, buy in (("a", 400, 0.30), ("b", 350, 0.18)):
        for i in range(visitors):
            customer = f"{channel}{i}"
            rows.append((customer, "2024-03-02", "visit", None, None, channel, None))
            if rng.random() < buy:
                for k in range(1 + rng.poisson(0.8)):
                    revenue = float(rng.gamma(2.0, 30.0))
                    rows.append(
                        (
                            customer,
                            "2024-03-05",
                            "purchase",
                            revenue,
                            None,
                            channel,
                            f"{customer}-{k}",
                        )
                    )
            if rng.random() < 0.2:
                rows.append(
                    (
                        customer,
                        "2024-03-09",
                        "nps_response",
                        None,
                        float(rng.integers(0, 11)),
                        channel,
                        None,
                    )
                )
    return pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "timestamp",
            "event_type",
            "revenue",
            "score",
            "channel",
            "order_id",
        ],
    )


@pytest.fixture(scope="module")
def events():
    return _events()


@pytest.fixture(scope="module")
def comparison(events):
    return compare_kpis(events, period="M", by="channel", baseline="b")


def _row(result: KPIComparison, kpi: str):
    (row,) = [r for r in result.rows if r.kpi == kpi]
    return row


def _counts(events, channel):
    mine = events[events["channel"] == channel]
    visitors = set(mine.loc[mine["event_type"] == "visit", "customer_id"])
    buyers = set(mine.loc[mine["event_type"] == "purchase", "customer_id"])
    return len(visitors & buyers), len(visitors)


def test_conversion_difference_matches_statsmodels_newcombe_and_ztest(events, comparison):
    (x1, n1), (x2, n2) = _counts(events, "a"), _counts(events, "b")
    row = _row(comparison, "conversion_rate")
    assert row.difference == pytest.approx(x1 / n1 - x2 / n2)
    expected = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
    assert (row.ci_low, row.ci_high) == pytest.approx(expected)
    _, p_value = proportions_ztest([x1, x2], [n1, n2])
    assert row.p_value == pytest.approx(p_value)
    assert row.relative_difference == pytest.approx((x1 / n1) / (x2 / n2) - 1)
    assert row.significant == (row.p_adjusted < 0.05)


def test_purchase_frequency_difference_matches_statsmodels_unequal_variance_z(events, comparison):
    purchases = events[events["event_type"] == "purchase"]
    orders = {
        c: purchases[purchases["channel"] == c]
        .groupby("customer_id")["order_id"]
        .nunique()
        .to_numpy(float)
        for c in "ab"
    }
    means = CompareMeans(DescrStatsW(orders["a"]), DescrStatsW(orders["b"]))
    row = _row(comparison, "purchase_frequency")
    assert (row.ci_low, row.ci_high) == pytest.approx(means.zconfint_diff(usevar="unequal"))
    assert row.p_value == pytest.approx(means.ztest_ind(usevar="unequal")[1])


def test_nps_difference_uses_the_trinomial_variances(events, comparison):
    # NPS is 100 x the mean of +1 (9-10), 0 (7-8), -1 (0-6); its trinomial variance is the
    # population variance (ddof=0) of those scores, computed here with numpy.
    answers = events[events["event_type"] == "nps_response"]
    signs, variances = {}, {}
    for c in "ab":
        scores = answers.loc[answers["channel"] == c, "score"].to_numpy()
        signs[c] = 100 * np.where(scores >= 9, 1.0, np.where(scores <= 6, -1.0, 0.0))
        variances[c] = signs[c].var(ddof=0) / signs[c].size
    difference = signs["a"].mean() - signs["b"].mean()
    half = 1.959963984540054 * math.sqrt(variances["a"] + variances["b"])
    row = _row(comparison, "nps")
    assert row.difference == pytest.approx(difference)
    assert (row.ci_low, row.ci_high) == pytest.approx((difference - half, difference + half))


def test_p_adjusted_is_benjamini_hochberg_of_all_p_values(comparison):
    p = [r.p_value for r in comparison.rows if not math.isnan(r.p_value)]
    expected = multipletests(p, method="fdr_bh")[1]
    got = [r.p_adjusted for r in comparison.rows if not math.isnan(r.p_value)]
    assert got == pytest.approx(list(expected))


def test_a_report_gives_what_its_events_give(events, comparison):
    report = compute_kpis(events, period="M", by="channel", confidence=0.95)
    again = compare_kpis(report, baseline="b")
    assert again.model_dump_json() == comparison.model_dump_json()
    frame = again.to_frame()
    assert list(frame["kpi"])[:2] == ["conversion_rate", "aov"]
    assert set(frame["baseline_channel"]) == {"b"}


def test_periods_compare_with_the_previous_period():
    events = pd.concat(
        [
            _events(1).assign(timestamp=lambda f: f["timestamp"].str.replace("2024-03", "2024-02")),
            _events(2),
        ]
    )
    result = compare_kpis(events, between="periods", period="M", kpis=["conversion_rate"])
    (row,) = result.rows
    assert (row.period, row.baseline_period) == (dt.date(2024, 3, 1), dt.date(2024, 2, 1))
    x1, n1 = (sum(v) for v in zip(*(_counts(_events(2), c) for c in "ab"), strict=True))
    x2, n2 = (sum(v) for v in zip(*(_counts(_events(1), c) for c in "ab"), strict=True))
    assert (row.ci_low, row.ci_high) == pytest.approx(
        confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
    )


def test_report_without_intervals_is_refused(events):
    report = compute_kpis(events, period="M", by="channel")
    with pytest.raises(InvalidInputError, match="must be a report computed with compute_kpis"):
        compare_kpis(report, baseline="b")


def test_unknown_baseline_and_kpi_are_refused(events):
    with pytest.raises(
        InvalidInputError,
        match=r"'baseline' parameter of compare_kpis must be a segment of the report\. Got 'z' instead\.",
    ):
        compare_kpis(events, period="M", by="channel", baseline="z")
    with pytest.raises(InvalidInputError, match=r"'kpis' parameter of compare_kpis must be one of"):
        compare_kpis(events, period="M", by="channel", baseline="a", kpis=["revenue"])
