"""The one duration grammar (retention_kpis._core.durations) and every option that uses it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from retention_kpis import compute_kpis, engagement_kpis
from retention_kpis._core.durations import parse_duration
from retention_kpis.attribution import attribute, path_credit
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.funnels import cart_kpis, funnel

GRAMMAR = "a timedelta or a string such as '7D', '1.5h', '30min', '45s' (units s, min, h, D, W)"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7D", 604_800.0),
        ("1.5D", 129_600.0),  # 1.5 * 86,400
        ("1.5h", 5_400.0),
        (" 30min ", 1_800.0),
        ("45s", 45.0),
        ("2W", 1_209_600.0),
        (".5h", 1_800.0),
        (dt.timedelta(minutes=90), 5_400.0),
        (pd.Timedelta("1D"), 86_400.0),
    ],
)
def test_parse_duration_reads_hand_computed_seconds(value, seconds):
    assert parse_duration(value, "within", "funnel") == seconds


@pytest.mark.parametrize("value", ["7 days", "D", "7d", "-1D", "1e3s", 7, None, "7DD"])
def test_parse_duration_rejects_other_values_with_the_grammar(value):
    with pytest.raises(InvalidInputError) as excinfo:
        parse_duration(value, "within", "funnel")
    assert str(excinfo.value) == (
        f"The 'within' parameter of funnel must be {GRAMMAR}. Got {value!r} instead."
    )


@pytest.mark.parametrize("value", ["0D", dt.timedelta(seconds=-1), "0.0s"])
def test_parse_duration_rejects_non_positive_durations(value):
    with pytest.raises(InvalidInputError) as excinfo:
        parse_duration(value, "lookback", "attribute")
    assert str(excinfo.value) == (
        f"The 'lookback' parameter of attribute must be a positive duration. Got {value!r} instead."
    )


def test_whole_seconds_are_required_only_where_asked():
    assert parse_duration("0.5s", "half_life", "attribute") == 0.5
    with pytest.raises(InvalidInputError, match="must be a whole number of seconds"):
        parse_duration("0.5s", "within", "funnel", whole_seconds=True)


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "timestamp": ["2024-01-01 10:00", "2024-01-01 11:00", "2024-01-01 12:00"],
            "event_type": ["visit", "cart_add", "purchase"],
            "revenue": [None, None, 10.0],
            "channel": ["ads", "ads", "ads"],
        }
    )


CALLS = {
    "compute_kpis click_window": lambda v: compute_kpis(_events(), engagement=True, click_window=v),
    "engagement_kpis click_window": lambda v: engagement_kpis(_events(), click_window=v),
    "funnel within": lambda v: funnel(_events(), ["visit", "purchase"], within=v),
    "funnel session_gap": lambda v: funnel(
        _events(), ["visit", "purchase"], unit="session", session_gap=v
    ),
    "cart_kpis within": lambda v: cart_kpis(_events(), within=v, zero_division=0.0),
    "attribute lookback": lambda v: attribute(_events(), lookback=v),
    "attribute half_life": lambda v: attribute(_events(), model="time_decay", half_life=v),
}


@pytest.mark.parametrize("option", sorted(CALLS))
def test_every_duration_option_takes_the_same_grammar(option):
    CALLS[option]("1.5D")
    CALLS[option](dt.timedelta(hours=36))
    with pytest.raises(InvalidInputError) as excinfo:
        CALLS[option]("a week")
    assert f"must be {GRAMMAR}. Got 'a week' instead." in str(excinfo.value)


def test_path_credit_half_life_takes_the_grammar():
    with pytest.raises(InvalidInputError) as excinfo:
        path_credit(["a"], model="time_decay", half_life="a week")
    assert f"must be {GRAMMAR}" in str(excinfo.value)
