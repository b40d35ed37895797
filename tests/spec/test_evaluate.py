"""Tests of retention_kpis.spec.evaluate: metric values and expectation outcomes, by hand count.

The ``tiny_events`` fixture (tests/spec/conftest.py), per month and channel:
Jan email: visits a, b; a buys 40 (session s1; b's session s2); a's visit is campaign spring.
Jan organic: visit c (s3) and c's CSAT answer 5.
Feb email: visit a and a buys 60 (s4, campaign spring).  Feb organic: visit d (s5), CSAT 2.
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
import yaml

from retention_kpis.spec import check_spec, compute_spec, load_spec

JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


def values(report, name):
    return {(row.period, *row.segment.values()): row.value for row in report.values(name).rows}


@pytest.fixture
def full_spec(base_spec):
    base_spec["metrics"] += [
        {"name": "csat_top2", "type": "builtin", "kpi": "csat"},
        {"name": "csat_mean", "type": "builtin", "kpi": "csat", "method": "mean"},
        {
            "name": "session_cr",
            "type": "builtin",
            "kpi": "conversion_rate",
            "unit": "session",
            "session_column": "session",
        },
        {
            "name": "buyers",
            "type": "simple",
            "measure": {"count_distinct": "customer_id", "event": "purchase"},
        },
        {
            "name": "spring_revenue",
            "type": "simple",
            "measure": {"sum": "revenue", "event": "purchase", "filter": {"campaign": ["spring"]}},
        },
        {"name": "rpv_pct", "type": "derived", "expr": "-(0 - rpv) * 100 / (1 + 1)"},
    ]
    return load_spec(base_spec)


def test_builtin_kpis_match_hand_counts(full_spec, tiny_events):
    report = compute_spec(full_spec, tiny_events)
    # conversion: Jan email 1 buyer / 2 visitors; Jan organic 0/1; Feb email 1/1; Feb organic 0/1.
    assert values(report, "conversion") == {
        (JAN, "email"): 0.5,
        (JAN, "organic"): 0.0,
        (FEB, "email"): 1.0,
        (FEB, "organic"): 0.0,
    }
    assert values(report, "revenue") == {
        (JAN, "email"): 40.0,
        (JAN, "organic"): 0.0,
        (FEB, "email"): 60.0,
        (FEB, "organic"): 0.0,
    }
    # retention Feb email: Jan's active {a} is active again -> 1/1; undefined elsewhere.
    retention = values(report, "retention")
    assert retention[(FEB, "email")] == 1.0
    assert math.isnan(retention[(JAN, "email")])
    assert math.isnan(retention[(FEB, "organic")])
    # CSAT top-2-box on 1-5 (threshold 4): Jan organic answer 5 -> 1.0; Feb organic 2 -> 0.0.
    assert values(report, "csat_top2")[(JAN, "organic")] == 1.0
    assert values(report, "csat_top2")[(FEB, "organic")] == 0.0


def test_custom_metrics_match_hand_counts(full_spec, tiny_events):
    report = compute_spec(full_spec, tiny_events)
    # rpv = revenue / visitors: Jan email 40/2, Feb email 60/1, organic 0/1.
    assert values(report, "rpv") == {
        (JAN, "email"): 20.0,
        (JAN, "organic"): 0.0,
        (FEB, "email"): 60.0,
        (FEB, "organic"): 0.0,
    }
    # -(0 - rpv) * 100 / 2 = 50 * rpv.
    assert values(report, "rpv_pct")[(JAN, "email")] == 1000.0
    # spring visits / visits: Jan email 1/2 (b has no campaign), Feb email 1/1, organic 0/1.
    assert values(report, "email_share") == {
        (JAN, "email"): 0.5,
        (JAN, "organic"): 0.0,
        (FEB, "email"): 1.0,
        (FEB, "organic"): 0.0,
    }
    # CSAT mean: Jan organic 5/1, Feb organic 2/1; no answers in email -> no row.
    assert values(report, "csat_mean") == {(JAN, "organic"): 5.0, (FEB, "organic"): 2.0}
    # sessions with a visit: s1 (buys), s2 / s3 / s4 (buys) / s5.
    assert values(report, "session_cr") == {
        (JAN, "email"): 0.5,
        (JAN, "organic"): 0.0,
        (FEB, "email"): 1.0,
        (FEB, "organic"): 0.0,
    }
    assert values(report, "buyers") == {(JAN, "email"): 1.0, (FEB, "email"): 1.0}
    assert values(report, "spring_revenue") == {(JAN, "email"): 40.0, (FEB, "email"): 60.0}


def test_units_of_metrics(full_spec, tiny_events):
    report = compute_spec(full_spec, tiny_events)
    units = {metric.name: metric.unit for metric in report.metrics}
    assert units["conversion"] == "fraction"
    assert units["rpv"] == "currency"  # currency / count
    assert units["email_share"] == "ratio"  # count / count
    assert units["csat_mean"] == "score"
    assert units["buyers"] == "count"


def test_polars_events_give_the_same_values(full_spec, tiny_events):
    from_pandas = compute_spec(full_spec, tiny_events)
    from_polars = compute_spec(full_spec, pl.from_pandas(tiny_events))
    for metric in full_spec.metrics:
        left, right = values(from_pandas, metric.name), values(from_polars, metric.name)
        assert left.keys() == right.keys(), metric.name
        for key, value in left.items():
            assert value == right[key] or (math.isnan(value) and math.isnan(right[key]))


def test_events_are_not_modified(full_spec, tiny_events):
    before = tiny_events.copy()
    compute_spec(full_spec, tiny_events)
    assert tiny_events.equals(before)


def test_period_none_makes_one_row(base_spec, tiny_events):
    base_spec.update(period="none", segments=[], expectations=[])
    del base_spec["metrics"][3]["window"]
    report = compute_spec(load_spec(base_spec), tiny_events)
    # visitors a, b, c, d; only a buys -> 1/4.
    assert values(report, "conversion") == {(None,): 0.25}


def test_quarterly_window_rows_start_quarters(base_spec, tiny_events):
    base_spec["metrics"][3]["window"] = "Q"
    report = compute_spec(load_spec(base_spec), tiny_events)
    assert {row.period for row in report.values("retention").rows} == {JAN}


def test_progress_is_called_up_to_the_total(full_spec, tiny_events):
    calls = []
    compute_spec(
        full_spec, tiny_events, progress=lambda done, total, _label: calls.append((done, total))
    )
    assert calls[-1][0] == calls[-1][1]
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def expectation_outcomes(base_spec, tiny_events, expectation):
    base_spec["expectations"] = [expectation]
    result = check_spec(load_spec(base_spec), tiny_events)
    return result, [(r.period, r.segment.get("channel"), r.outcome) for r in result.results]


def test_min_max_checks_every_period_and_segment(base_spec, tiny_events):
    result, outcomes = expectation_outcomes(
        base_spec, tiny_events, {"metric": "conversion", "min": 0.4}
    )
    assert outcomes == [
        (JAN, "email", "pass"),
        (JAN, "organic", "fail"),
        (FEB, "email", "pass"),
        (FEB, "organic", "fail"),
    ]
    assert not result.passed
    assert result.failures == 2
    failed = next(r for r in result.results if r.outcome == "fail")
    assert failed.actual == 0.0
    assert failed.bound == ">= 0.4"
    assert (
        failed.message
        == "conversion: conversion = 0 is not >= 0.4 [period 2024-01-01, channel=organic]"
    )


def test_segment_and_latest_period_select_one_row(base_spec, tiny_events):
    result, outcomes = expectation_outcomes(
        base_spec,
        tiny_events,
        {
            "metric": "revenue",
            "segment": {"channel": "email"},
            "period": "latest",
            "equals": 60.5,
            "abs_tol": 0.5,
        },
    )
    assert outcomes == [(FEB, "email", "pass")]
    assert result.passed


def test_equals_with_relative_tolerance_fails_outside_it(base_spec, tiny_events):
    # |60 - 66| = 6 > 0.05 * 66 = 3.3
    _, outcomes = expectation_outcomes(
        base_spec,
        tiny_events,
        {
            "metric": "revenue",
            "segment": {"channel": "email"},
            "period": "2024-02-01",
            "equals": 66,
            "rel_tol": 0.05,
        },
    )
    assert outcomes == [(FEB, "email", "fail")]


def test_undefined_value_fails_or_is_skipped(base_spec, tiny_events):
    expectation = {"metric": "retention", "segment": {"channel": "email"}, "min": 0.5}
    result, outcomes = expectation_outcomes(base_spec, tiny_events, dict(expectation))
    assert outcomes == [(JAN, "email", "undefined"), (FEB, "email", "pass")]
    assert result.failures == 1
    assert math.isnan(result.results[0].actual)
    result, outcomes = expectation_outcomes(
        base_spec, tiny_events, {**expectation, "undefined": "skip"}
    )
    assert outcomes == [(JAN, "email", "skipped"), (FEB, "email", "pass")]
    assert result.passed


def test_expectation_without_matching_rows_is_missing(base_spec, tiny_events):
    result, outcomes = expectation_outcomes(
        base_spec, tiny_events, {"metric": "revenue", "segment": {"channel": "tv"}, "min": 0}
    )
    assert outcomes == [(None, "tv", "missing")]
    assert result.results[0].message == "revenue: no value of revenue for channel=tv"
    assert not result.passed


def test_check_result_round_trips_through_json(base_spec, tiny_events):
    result, _ = expectation_outcomes(base_spec, tiny_events, {"metric": "retention", "min": 0})
    again = type(result).model_validate_json(result.model_dump_json())
    assert [r.outcome for r in again.results] == [r.outcome for r in result.results]
    assert math.isnan(again.results[0].actual)


def test_check_spec_reads_a_spec_file(tmp_path, base_spec, tiny_events):
    path = tmp_path / "kpis.yaml"
    path.write_text(yaml.safe_dump(base_spec))
    result = check_spec(path, tiny_events)
    assert result.source == str(path)
    # conversion in [0.1, 0.9]: Jan email 0.5, Jan organic 0, Feb email 1.0, Feb organic 0;
    # then Jan email revenue 40 >= 0.
    assert [r.outcome for r in result.results] == ["pass", "fail", "fail", "fail", "pass"]
