"""Tests of retention_kpis.metrics.repeat_purchase."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    InvalidInputError,
    RepeatPurchaseRate,
    UndefinedKPIWarning,
    repeat_purchase_rate,
)


def test_repeat_purchase_rate_matches_hand_calculation():
    # 45 of 150 purchasing customers bought at least twice: 45 / 150 = 0.3.
    assert repeat_purchase_rate(45, 150) == pytest.approx(0.3)


def test_repeat_purchase_rate_no_customers_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="repeat_purchase_rate is undefined because customers is 0"
    ):
        assert math.isnan(repeat_purchase_rate(0, 0))


def test_repeat_purchase_rate_zero_division_value_is_returned_silently():
    assert repeat_purchase_rate(0, 0, zero_division=0.0) == 0.0


def test_repeat_purchase_rate_result_model_keeps_parts_and_round_trips_json():
    result = RepeatPurchaseRate.from_counts(45, 150)
    assert (result.numerator, result.denominator) == (45, 150)
    assert (result.unit, result.definition) == ("fraction", "repeat_customers / customers")
    assert RepeatPurchaseRate.model_validate_json(result.model_dump_json()) == result


def test_repeat_purchase_rate_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = RepeatPurchaseRate.from_counts(0, 0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(RepeatPurchaseRate.model_validate_json(result.model_dump_json()).value)


def test_repeat_purchase_rate_model_rejects_value_outside_range():
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        RepeatPurchaseRate(value=2.0, numerator=2, denominator=1)


@given(st.lists(st.integers(1, 10), min_size=1, max_size=100))
def test_repeat_purchase_rate_matches_share_with_two_or_more_orders(orders_per_customer):
    # Independent implementation: count the customers with >= 2 orders by hand.
    repeaters = sum(1 for n in orders_per_customer if n >= 2)
    value = repeat_purchase_rate(repeaters, len(orders_per_customer))
    assert value == pytest.approx(repeaters / len(orders_per_customer))
    assert 0.0 <= value <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (-1, 10),
            "The 'repeat_customers' parameter of repeat_purchase_rate must be >= 0. Got -1 instead.",
        ),
        (
            (11, 10),
            "The 'repeat_customers' parameter of repeat_purchase_rate must be <= 'customers' (10). Got 11 instead.",
        ),
        (
            (1, 2.2),
            "The 'customers' parameter of repeat_purchase_rate must be a whole number. Got 2.2 instead.",
        ),
        (
            (math.nan, 2),
            "The 'repeat_customers' parameter of repeat_purchase_rate must be finite. Got nan instead.",
        ),
    ],
)
def test_repeat_purchase_rate_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        repeat_purchase_rate(*args)
    assert str(excinfo.value) == message
