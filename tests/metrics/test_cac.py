"""Tests of retention_kpis.metrics.cac."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    CustomerAcquisitionCost,
    InvalidInputError,
    UndefinedKPIWarning,
    customer_acquisition_cost,
)


def test_customer_acquisition_cost_matches_hand_calculation():
    # 12,000 of acquisition spend, 80 new customers: 12000 / 80 = 150 per new customer.
    assert customer_acquisition_cost(12_000.0, 80) == pytest.approx(150.0)


def test_customer_acquisition_cost_non_terminating_division():
    # 100 / 3 = 33.333...
    assert customer_acquisition_cost(100.0, 3) == pytest.approx(33.333333333333336)


def test_customer_acquisition_cost_zero_new_customers_warns_and_returns_nan():
    with pytest.warns(UndefinedKPIWarning, match="new_customers is 0"):
        assert math.isnan(customer_acquisition_cost(500.0, 0))


def test_customer_acquisition_cost_zero_division_value_is_returned_silently():
    assert customer_acquisition_cost(500.0, 0, zero_division=-1.0) == -1.0


def test_customer_acquisition_cost_result_model_keeps_parts_and_round_trips_json():
    result = CustomerAcquisitionCost.from_totals(12_000.0, 80)
    assert (result.value, result.numerator, result.denominator) == (150.0, 12_000.0, 80)
    assert result.unit == "currency per new customer"
    assert result.definition == "cost / new_customers"
    assert CustomerAcquisitionCost.model_validate_json(result.model_dump_json()) == result


def test_customer_acquisition_cost_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = CustomerAcquisitionCost.from_totals(10.0, 0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(CustomerAcquisitionCost.model_validate_json(result.model_dump_json()).value)


def test_customer_acquisition_cost_model_rejects_negative_value():
    with pytest.raises(ValueError, match=r"must be in \[0, inf\]"):
        CustomerAcquisitionCost(value=-0.5, numerator=1.0, denominator=2)


@given(st.floats(0, 1e12), st.integers(1, 10**9))
def test_customer_acquisition_cost_is_non_negative(cost, new_customers):
    assert customer_acquisition_cost(cost, new_customers) >= 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (-5.0, 10),
            "The 'cost' parameter of customer_acquisition_cost must be >= 0. Got -5.0 instead.",
        ),
        (
            (5.0, -1),
            "The 'new_customers' parameter of customer_acquisition_cost must be >= 0. Got -1 instead.",
        ),
        (
            (5.0, 0.5),
            "The 'new_customers' parameter of customer_acquisition_cost must be a whole number. Got 0.5 instead.",
        ),
        (
            (math.inf, 10),
            "The 'cost' parameter of customer_acquisition_cost must be finite. Got inf instead.",
        ),
        (
            (5.0, None),
            "The 'new_customers' parameter of customer_acquisition_cost must be a real number. Got None instead.",
        ),
    ],
)
def test_customer_acquisition_cost_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        customer_acquisition_cost(*args)
    assert str(excinfo.value) == message
