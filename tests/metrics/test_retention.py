"""Tests of retention_kpis.metrics.retention."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import InvalidInputError, RetentionRate, UndefinedKPIWarning, retention_rate


def test_retention_rate_matches_hand_calculation():
    # S = 200 at the start, E = 210 at the end, N = 30 new: (210 - 30) / 200 = 180 / 200 = 0.9.
    assert retention_rate(200, 210, 30) == pytest.approx(0.9)


def test_retention_rate_all_lost_and_replaced_is_zero():
    # (50 - 50) / 40 = 0
    assert retention_rate(40, 50, 50) == 0.0


def test_retention_rate_zero_start_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="retention_rate is undefined because customers_at_start is 0"
    ):
        assert math.isnan(retention_rate(0, 5, 5))


def test_retention_rate_zero_division_value_is_returned_silently():
    assert retention_rate(0, 5, 5, zero_division=0.0) == 0.0


def test_retention_rate_result_model_keeps_counts_and_round_trips_json():
    result = RetentionRate.from_counts(200, 210, 30)
    assert result.value == pytest.approx(0.9)
    assert (result.numerator, result.denominator) == (180, 200)
    assert (result.customers_at_start, result.customers_at_end, result.new_customers) == (
        200,
        210,
        30,
    )
    assert result.definition == "(customers_at_end - new_customers) / customers_at_start"
    assert RetentionRate.model_validate_json(result.model_dump_json()) == result


def test_retention_rate_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = RetentionRate.from_counts(0, 0, 0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(RetentionRate.model_validate_json(result.model_dump_json()).value)


def test_retention_rate_model_rejects_value_outside_range():
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        RetentionRate(
            value=-0.1,
            numerator=0,
            denominator=1,
            customers_at_start=1,
            customers_at_end=0,
            new_customers=0,
        )


@given(st.integers(1, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_retention_rate_is_a_fraction(start, retained, new):
    retained = min(retained, start)
    assert 0.0 <= retention_rate(start, retained + new, new) <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (-1, 0, 0),
            "The 'customers_at_start' parameter of retention_rate must be >= 0. Got -1 instead.",
        ),
        (
            (1, -1, 0),
            "The 'customers_at_end' parameter of retention_rate must be >= 0. Got -1 instead.",
        ),
        (
            (1, 1, 0.5),
            "The 'new_customers' parameter of retention_rate must be a whole number. Got 0.5 instead.",
        ),
        (
            (10, 5, 6),
            "The 'new_customers' parameter of retention_rate must be <= 'customers_at_end' (5). Got 6 instead.",
        ),
        (
            (10, 15, 3),
            (
                "The retained customers of retention_rate ('customers_at_end' - 'new_customers' = 15 - 3 = 12) "
                "must be <= 'customers_at_start' (10). Got 12 instead."
            ),
        ),
        (
            (10, math.inf, 3),
            "The 'customers_at_end' parameter of retention_rate must be finite. Got inf instead.",
        ),
    ],
)
def test_retention_rate_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        retention_rate(*args)
    assert str(excinfo.value) == message
