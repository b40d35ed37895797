"""The no_significant_drop expectation: a real drop fails the check, noise does not."""

from __future__ import annotations

import numpy as np
import pytest

from retention_kpis.datasets import make_events
from retention_kpis.spec import SpecError, check_spec, load_spec


@pytest.fixture(scope="module")
def events():
    return make_events(1_500, seed=4)


def _without_purchases(events, month, share, seed=0):
    """Drop ``share`` of the purchases of one month (an incident at checkout)."""
    stamps = events["timestamp"]
    start = np.datetime64(f"{month}-01")
    end = start.astype("datetime64[M]") + 1
    in_month = (stamps >= start) & (stamps < end.astype("datetime64[ns]"))
    lost = in_month & (events["event_type"] == "purchase")
    lost &= np.random.default_rng(seed).random(len(events)) < share
    return events[~lost]


def _spec(**check):
    return load_spec(
        {
            "version": 1,
            "period": "M",
            "metrics": [{"name": "conversion", "type": "builtin", "kpi": "conversion_rate"}],
            "expectations": [
                {
                    "no_significant_drop": ["conversion_rate"],
                    "baseline": "trailing_median(3)",
                    **check,
                }
            ],
        }
    )


def test_a_real_drop_fails_the_check_with_the_interval_in_the_message(events):
    result = check_spec(_spec(), _without_purchases(events, "2025-12", 0.6))
    assert not result.passed
    (outcome,) = result.results
    assert outcome.outcome == "fail"
    assert outcome.message.startswith("no_significant_drop: significant drop: conversion_rate = ")
    assert "95% CI" in outcome.message
    assert "[period 2025-12-01]" in outcome.message


def test_a_roas_drop_fails_the_check(events):
    spec = load_spec(
        {
            "version": 1,
            "period": "M",
            "metrics": [{"name": "roas", "type": "builtin", "kpi": "roas"}],
            "expectations": [{"no_significant_drop": ["roas"], "baseline": "trailing_median(3)"}],
        }
    )
    assert check_spec(spec, events).passed
    result = check_spec(spec, _without_purchases(events, "2025-12", 0.6))
    assert not result.passed
    assert result.results[0].message.startswith("no_significant_drop: significant drop: roas = ")


def test_untouched_data_passes_the_check(events):
    result = check_spec(_spec(period="all"), events)
    assert result.passed
    assert len(result.results) > 10
    assert {r.outcome for r in result.results} == {"pass"}


def test_warning_severity_reports_but_does_not_fail(events):
    result = check_spec(_spec(severity="warning"), _without_purchases(events, "2025-12", 0.6))
    assert result.passed
    assert result.failures == 0
    assert result.results[0].outcome == "fail"
    assert result.results[0].message.startswith("[warning] ")


def test_spec_problems_are_reported():
    with pytest.raises(SpecError, match=r"expectations\[0\]\.no_significant_drop\[0\]"):
        load_spec(
            {
                "version": 1,
                "metrics": [{"name": "c", "type": "builtin", "kpi": "conversion_rate"}],
                # A drop of CPA is good news: not a KPI of this expectation.
                "expectations": [{"no_significant_drop": ["cpa"]}],
            }
        )
    with pytest.raises(
        SpecError, match=r"expectations\[0\]\.no_significant_drop: needs a spec period"
    ):
        load_spec(
            {
                "version": 1,
                "period": "none",
                "metrics": [{"name": "c", "type": "builtin", "kpi": "conversion_rate"}],
                "expectations": [{"no_significant_drop": ["aov"]}],
            }
        )


def _without_opens(events, month, share, seed=0):
    """Drop ``share`` of the email opens of one month (a broken tracking pixel)."""
    in_month = events["timestamp"].dt.strftime("%Y-%m") == month
    lost = in_month & (events["event_type"] == "email_open")
    lost &= np.random.default_rng(seed).random(len(events)) < share
    return events[~lost]


def test_an_email_open_rate_drop_fails_the_check_and_the_untouched_month_passes(events):
    # December 2025 of make_events(1_500, seed=4): 1,358 emails sent, 281 opens; dropping
    # 60 % of the opens halves the open rate, far beyond the noise of ~1,300 emails.
    spec = load_spec(
        {
            "version": 1,
            "period": "M",
            "metrics": [{"name": "conversion", "type": "builtin", "kpi": "conversion_rate"}],
            "expectations": [
                {"no_significant_drop": ["email_open_rate"], "baseline": "trailing_median(3)"}
            ],
        }
    )
    untouched = check_spec(spec, events)
    assert untouched.passed
    assert [r.outcome for r in untouched.results] == ["pass"]
    result = check_spec(spec, _without_opens(events, "2025-12", 0.6))
    assert not result.passed
    (outcome,) = result.results
    assert outcome.message.startswith("no_significant_drop: significant drop: email_open_rate = ")


def test_an_unsubscribe_rate_is_not_a_kpi_of_the_expectation():
    # A drop of the unsubscribe rate is good news, as for CPA.
    with pytest.raises(SpecError, match=r"expectations\[0\]\.no_significant_drop\[0\]"):
        load_spec(
            {
                "version": 1,
                "period": "M",
                "metrics": [{"name": "c", "type": "builtin", "kpi": "conversion_rate"}],
                "expectations": [{"no_significant_drop": ["email_unsubscribe_rate"]}],
            }
        )
