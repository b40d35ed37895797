"""Tests of retention_kpis.metrics.aov."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    AverageOrderValue,
    InvalidInputError,
    UndefinedKPIWarning,
    average_order_value,
)


def test_average_order_value_matches_hand_calculation():
    # 4,500 revenue over 90 orders: 4500 / 90 = 50 per order.
    assert average_order_value(4_500.0, 90) == pytest.approx(50.0)


def test_average_order_value_zero_orders_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="average_order_value is undefined because orders is 0"
    ):
        assert math.isnan(average_order_value(0.0, 0))


def test_average_order_value_zero_division_value_is_returned_silently():
    assert average_order_value(0.0, 0, zero_division=0.0) == 0.0


def test_average_order_value_result_model_keeps_parts_and_round_trips_json():
    result = AverageOrderValue.from_totals(4_500.0, 90)
    assert (result.value, result.numerator, result.denominator) == (50.0, 4_500.0, 90)
    assert (result.unit, result.definition) == ("currency per order", "revenue / orders")
    assert AverageOrderValue.model_validate_json(result.model_dump_json()) == result


def test_average_order_value_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = AverageOrderValue.from_totals(0.0, 0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(AverageOrderValue.model_validate_json(result.model_dump_json()).value)


def test_average_order_value_model_rejects_negative_value():
    with pytest.raises(ValueError, match=r"must be in \[0, inf\]"):
        AverageOrderValue(value=-50.0, numerator=1.0, denominator=1)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_average_order_value_matches_mean_of_order_values(order_values):
    # An independent implementation: the arithmetic mean of the order values.
    mean = math.fsum(order_values) / len(order_values)
    value = average_order_value(math.fsum(order_values), len(order_values))
    assert value == pytest.approx(mean)
    assert min(order_values) - 1e-6 <= value <= max(order_values) + 1e-6


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (-1.0, 10),
            "The 'revenue' parameter of average_order_value must be >= 0. Got -1.0 instead.",
        ),
        (
            (1.0, -10),
            "The 'orders' parameter of average_order_value must be >= 0. Got -10 instead.",
        ),
        (
            (1.0, 1.5),
            "The 'orders' parameter of average_order_value must be a whole number. Got 1.5 instead.",
        ),
        (
            (math.inf, 1),
            "The 'revenue' parameter of average_order_value must be finite. Got inf instead.",
        ),
    ],
)
def test_average_order_value_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        average_order_value(*args)
    assert str(excinfo.value) == message
