"""Tests of retention_kpis.metrics.conversion."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    ConversionRate,
    InvalidInputError,
    RetentionKPIsError,
    UndefinedKPIWarning,
    conversion_rate,
)


def test_conversion_rate_matches_hand_calculation():
    # 30 conversions out of 1,000 visitors: 30 / 1000 = 0.03 (definition).
    assert conversion_rate(30, 1_000) == pytest.approx(0.03)


def test_conversion_rate_accepts_whole_floats_from_pandas_groupby():
    assert conversion_rate(3.0, 4.0) == pytest.approx(0.75)


def test_conversion_rate_zero_visitors_warns_and_returns_nan():
    with pytest.warns(UndefinedKPIWarning, match="visitors is 0"):
        assert math.isnan(conversion_rate(0, 0))


def test_conversion_rate_zero_division_value_is_returned_silently():
    assert conversion_rate(0, 0, zero_division=0.0) == 0.0


def test_conversion_rate_result_model_keeps_parts_and_round_trips_json():
    result = ConversionRate.from_counts(30, 1_000)
    assert (result.numerator, result.denominator, result.unit) == (30, 1_000, "fraction")
    assert ConversionRate.model_validate_json(result.model_dump_json()) == result


def test_conversion_rate_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = ConversionRate.from_counts(0, 0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(ConversionRate.model_validate_json(result.model_dump_json()).value)


def test_conversion_rate_model_rejects_value_outside_range():
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        ConversionRate(value=1.5, numerator=3, denominator=2)


@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_conversion_rate_is_a_fraction(conversions, visitors):
    conversions = min(conversions, visitors)
    assert 0.0 <= conversion_rate(conversions, visitors) <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 10), "The 'conversions' parameter of conversion_rate must be >= 0. Got -1 instead."),
        ((1, -10), "The 'visitors' parameter of conversion_rate must be >= 0. Got -10 instead."),
        (
            (11, 10),
            "The 'conversions' parameter of conversion_rate must be <= 'visitors' (10). Got 11 instead.",
        ),
        (
            (1.5, 10),
            "The 'conversions' parameter of conversion_rate must be a whole number. Got 1.5 instead.",
        ),
        (
            (math.nan, 10),
            "The 'conversions' parameter of conversion_rate must be finite. Got nan instead.",
        ),
        (
            (1, math.inf),
            "The 'visitors' parameter of conversion_rate must be finite. Got inf instead.",
        ),
        (
            ("3", 10),
            "The 'conversions' parameter of conversion_rate must be a real number. Got '3' instead.",
        ),
    ],
)
def test_conversion_rate_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        conversion_rate(*args)
    assert str(excinfo.value) == message
    assert isinstance(excinfo.value, RetentionKPIsError)
    assert isinstance(excinfo.value, ValueError)
