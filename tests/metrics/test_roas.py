"""Tests of retention_kpis.metrics.roas."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    InvalidInputError,
    ReturnOnAdSpend,
    UndefinedKPIWarning,
    return_on_ad_spend,
)


def test_return_on_ad_spend_matches_hand_calculation():
    # 20,000 revenue on 5,000 spend: 20000 / 5000 = 4.0, i.e. 400 % (a ratio, not a percentage).
    assert return_on_ad_spend(20_000.0, 5_000.0) == pytest.approx(4.0)


def test_return_on_ad_spend_below_break_even():
    # 750 / 1000 = 0.75
    assert return_on_ad_spend(750.0, 1_000.0) == pytest.approx(0.75)


def test_return_on_ad_spend_zero_spend_warns_and_returns_nan():
    with pytest.warns(UndefinedKPIWarning, match="ad_spend is 0"):
        assert math.isnan(return_on_ad_spend(100.0, 0.0))


def test_return_on_ad_spend_zero_division_value_is_returned_silently():
    assert return_on_ad_spend(100.0, 0.0, zero_division=0.0) == 0.0


def test_return_on_ad_spend_result_model_keeps_parts_and_round_trips_json():
    result = ReturnOnAdSpend.from_totals(20_000.0, 5_000.0)
    assert (result.value, result.numerator, result.denominator) == (4.0, 20_000.0, 5_000.0)
    assert (result.unit, result.definition) == ("ratio", "revenue / ad_spend")
    assert ReturnOnAdSpend.model_validate_json(result.model_dump_json()) == result


def test_return_on_ad_spend_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = ReturnOnAdSpend.from_totals(1.0, 0.0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(ReturnOnAdSpend.model_validate_json(result.model_dump_json()).value)


def test_return_on_ad_spend_model_rejects_negative_value():
    with pytest.raises(ValueError, match=r"must be in \[0, inf\]"):
        ReturnOnAdSpend(value=-4.0, numerator=1.0, denominator=1.0)


@given(st.floats(0, 1e12), st.floats(1e-3, 1e12))
def test_return_on_ad_spend_is_non_negative(revenue, ad_spend):
    assert return_on_ad_spend(revenue, ad_spend) >= 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (-1.0, 10.0),
            "The 'revenue' parameter of return_on_ad_spend must be >= 0. Got -1.0 instead.",
        ),
        (
            (1.0, -10.0),
            "The 'ad_spend' parameter of return_on_ad_spend must be >= 0. Got -10.0 instead.",
        ),
        (
            (1.0, math.nan),
            "The 'ad_spend' parameter of return_on_ad_spend must be finite. Got nan instead.",
        ),
        (
            (1.0, False),
            "The 'ad_spend' parameter of return_on_ad_spend must be a real number. Got False instead.",
        ),
    ],
)
def test_return_on_ad_spend_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        return_on_ad_spend(*args)
    assert str(excinfo.value) == message
