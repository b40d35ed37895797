"""detect_changes: false alarms on long no-change series, detection of a known step.

Reports are built from KPIRow objects holding the counts behind each interval (what
compute_kpis(confidence=...) stores), so long series cost no event generation; one test
runs the whole path on the shipped synthetic events.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy.stats import norm

from retention_kpis import EventSchema, InvalidInputError, KPIReport, KPIRow, compute_kpis
from retention_kpis.datasets import make_events
from retention_kpis.report import detect_changes

MONDAY = dt.date(2020, 1, 6)


def _weekly_report(rates, visitors, seed, start=MONDAY):
    rng = np.random.default_rng(seed)
    rows = []
    for week, rate in enumerate(rates):
        converted = int(rng.binomial(visitors, rate))
        rows.append(
            KPIRow(
                period=start + dt.timedelta(weeks=week),
                visitors=visitors,
                conversion_rate=converted / visitors,
                orders=converted,
                new_customers=0,
                active_customers=converted,
                interval_inputs={"conversion_rate": (converted, visitors)},
            )
        )
    return KPIReport(
        rows=tuple(rows),
        period="W",
        by=(),
        event_schema=EventSchema(),
        definitions={},
        notes=(),
        backend="pandas",
        confidence=0.95,
    )


def _false_alarm_rate(baseline, seeds, weeks=300):
    flags = total = 0
    for seed in seeds:
        report = _weekly_report([0.05] * weeks, 4_000, seed)
        changes = detect_changes(report, kpis=["conversion_rate"], baseline=baseline)
        flags += len(changes.flagged)
        total += len(changes.rows)
    return flags / total, total


@pytest.mark.slow
@pytest.mark.parametrize("baseline", ["previous", "trailing_median(8)"])
def test_no_change_series_false_alarm_rate_is_at_most_nominal(baseline):
    # 10 series x 300 weeks of an unchanged 5 % conversion rate on 4,000 visitors a week.
    rate, total = _false_alarm_rate(baseline, range(10))
    # The nominal rate is 5 %; the estimate's standard error over ~3,000 weeks is 0.4 %.
    assert total > 2_900
    assert rate <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / total)
    assert rate > 0.005  # the test is not vacuous: it does flag noise at about its rate


def test_same_period_last_year_baseline_pairs_weeks_52_apart():
    report = _weekly_report([0.05] * 60, 4_000, 0)
    changes = detect_changes(report, kpis=["conversion_rate"], baseline="same_period_last_year")
    assert [row.period for row in changes.rows] == [
        MONDAY + dt.timedelta(weeks=w) for w in range(52, 60)
    ]
    first = changes.rows[0]
    assert first.baseline == report.rows[0].conversion_rate


@pytest.mark.parametrize(("baseline", "within"), [("previous", 1), ("trailing_median(8)", 1)])
def test_step_drop_is_detected_within_the_stated_periods(baseline, within):
    # 5 % -> 4 % at week 30 on 20,000 visitors a week: se = sqrt(2 * 0.05 * 0.95 / 20,000)
    # = 0.00218, z = 4.6 against one previous week (power about 0.995 at alpha 0.05);
    # against the median of eight, se = 0.00169 (the median's variance pi/2 * v / 8), z = 5.9.
    hits = 0
    for seed in range(20):
        rates = [0.05] * 30 + [0.04] * 10
        report = _weekly_report(rates, 20_000, seed)
        changes = detect_changes(report, kpis=["conversion_rate"], baseline=baseline)
        step = MONDAY + dt.timedelta(weeks=30)
        window = [step + dt.timedelta(weeks=w) for w in range(within)]
        hits += any(
            r.flagged and r.direction == "drop" and r.period in window for r in changes.rows
        )
    assert hits >= 19


def test_change_interval_and_p_value_by_hand():
    report = _weekly_report([0.05, 0.05], 4_000, 3)
    a, b = (row.interval_inputs["conversion_rate"][0] for row in report.rows)
    (row,) = detect_changes(report, kpis=["conversion_rate"]).rows
    p0 = a / 4_000  # the baseline share: the variance under "no change"
    se = math.sqrt(2 * p0 * (1 - p0) / 4_000)
    change = (b - a) / 4_000
    assert row.change == pytest.approx(change)
    assert row.p_value == pytest.approx(2 * norm.sf(abs(change) / se))
    assert (row.ci_low, row.ci_high) == pytest.approx(
        (change - 1.959964 * se, change + 1.959964 * se)
    )


def test_on_the_shipped_synthetic_events_an_injected_drop_is_flagged():
    events = make_events(3_000, seed=4)
    stamps = events["timestamp"]
    incident = (stamps >= "2025-06-01") & (stamps < "2025-07-01")
    purchases = events["event_type"] == "purchase"
    rng = np.random.default_rng(0)
    # Drop 60 % of June 2025's purchases: conversion and purchase frequency fall.
    dropped = incident & purchases & (rng.random(len(events)) < 0.6)
    report = compute_kpis(events[~dropped], period="M", confidence=0.95)
    changes = detect_changes(report, kpis=["conversion_rate"], baseline="trailing_median(3)")
    flagged = {row.period for row in changes.flagged if row.direction == "drop"}
    assert dt.date(2025, 6, 1) in flagged


def test_options_are_checked():
    report = _weekly_report([0.05] * 3, 100, 0)
    with pytest.raises(
        InvalidInputError,
        match=r"^The 'baseline' parameter of detect_changes must be 'previous', 'trailing_median\(k\)' with k >= 1, or 'same_period_last_year'\. Got 'median' instead\.$",
    ):
        detect_changes(report, baseline="median")
    with pytest.raises(InvalidInputError, match="must be computed with compute_kpis"):
        detect_changes(compute_kpis(make_events(50, seed=0), period="M"))
