"""Tests of retention_kpis.metrics.churn."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    ChurnRate,
    InvalidInputError,
    UndefinedKPIWarning,
    churn_rate,
    retention_rate,
)


def test_churn_rate_matches_hand_calculation():
    # 14 of the 200 customers at the start were lost: 14 / 200 = 0.07.
    assert churn_rate(200, 14) == pytest.approx(0.07)


def test_churn_rate_all_and_none_lost():
    assert churn_rate(50, 50) == 1.0
    assert churn_rate(50, 0) == 0.0


def test_churn_rate_zero_customers_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="churn_rate is undefined because customers_at_start is 0"
    ):
        assert math.isnan(churn_rate(0, 0))


def test_churn_rate_zero_division_value_is_returned_silently():
    assert churn_rate(0, 0, zero_division=0.0) == 0.0


def test_churn_rate_result_model_keeps_parts_and_round_trips_json():
    result = ChurnRate.from_counts(200, 14)
    assert (result.numerator, result.denominator) == (14, 200)
    assert (result.unit, result.definition) == ("fraction", "customers_lost / customers_at_start")
    assert ChurnRate.model_validate_json(result.model_dump_json()) == result


def test_churn_rate_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = ChurnRate.from_counts(0, 0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(ChurnRate.model_validate_json(result.model_dump_json()).value)


def test_churn_rate_model_rejects_value_outside_range():
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        ChurnRate(value=1.2, numerator=12, denominator=10)


@given(st.integers(1, 10**9), st.integers(0, 10**9))
def test_churn_rate_is_a_fraction_and_complements_retention_without_new_customers(start, lost):
    lost = min(lost, start)
    value = churn_rate(start, lost)
    assert 0.0 <= value <= 1.0
    # With no new customers, end = start - lost, so retention = (start - lost) / start = 1 - churn.
    assert value + retention_rate(start, start - lost, 0) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 0), "The 'customers_at_start' parameter of churn_rate must be >= 0. Got -1 instead."),
        ((10, -1), "The 'customers_lost' parameter of churn_rate must be >= 0. Got -1 instead."),
        (
            (10, 11),
            "The 'customers_lost' parameter of churn_rate must be <= 'customers_at_start' (10). Got 11 instead.",
        ),
        (
            (10.5, 1),
            "The 'customers_at_start' parameter of churn_rate must be a whole number. Got 10.5 instead.",
        ),
        (
            (10, math.nan),
            "The 'customers_lost' parameter of churn_rate must be finite. Got nan instead.",
        ),
    ],
)
def test_churn_rate_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        churn_rate(*args)
    assert str(excinfo.value) == message
