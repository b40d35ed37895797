"""Tests of retention_kpis.metrics.purchase_frequency."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    InvalidInputError,
    PurchaseFrequency,
    UndefinedKPIWarning,
    purchase_frequency,
)


def test_purchase_frequency_matches_hand_calculation():
    # 300 orders by 120 distinct customers: 300 / 120 = 2.5 orders per customer.
    assert purchase_frequency(300, 120) == pytest.approx(2.5)


def test_purchase_frequency_one_order_each_is_one():
    assert purchase_frequency(7, 7) == 1.0


def test_purchase_frequency_no_customers_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="purchase_frequency is undefined because customers is 0"
    ):
        assert math.isnan(purchase_frequency(0, 0))


def test_purchase_frequency_zero_division_value_is_returned_silently():
    assert purchase_frequency(0, 0, zero_division=0.0) == 0.0


def test_purchase_frequency_result_model_keeps_parts_and_round_trips_json():
    result = PurchaseFrequency.from_counts(300, 120)
    assert (result.value, result.numerator, result.denominator) == (2.5, 300, 120)
    assert (result.unit, result.definition) == ("orders per customer", "orders / customers")
    assert PurchaseFrequency.model_validate_json(result.model_dump_json()) == result


def test_purchase_frequency_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = PurchaseFrequency.from_counts(0, 0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(PurchaseFrequency.model_validate_json(result.model_dump_json()).value)


def test_purchase_frequency_model_rejects_negative_value():
    with pytest.raises(ValueError, match=r"must be in \[0, inf\]"):
        PurchaseFrequency(value=-1.0, numerator=1, denominator=1)


@given(st.lists(st.integers(1, 20), min_size=1, max_size=100))
def test_purchase_frequency_matches_mean_orders_per_customer_and_is_at_least_one(
    orders_per_customer,
):
    # Independent implementation: mean of each customer's order count.
    expected = sum(orders_per_customer) / len(orders_per_customer)
    value = purchase_frequency(sum(orders_per_customer), len(orders_per_customer))
    assert value == pytest.approx(expected)
    assert value >= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 0), "The 'orders' parameter of purchase_frequency must be >= 0. Got -1 instead."),
        ((3, -1), "The 'customers' parameter of purchase_frequency must be >= 0. Got -1 instead."),
        (
            (3, 5),
            "The 'customers' parameter of purchase_frequency must be <= 'orders' (3). Got 5 instead.",
        ),
        (
            (5, 0),
            (
                "The 'orders' parameter of purchase_frequency must be 0 when 'customers' is 0 "
                "(every order has a purchasing customer). Got 5 instead."
            ),
        ),
        (
            (3.5, 1),
            "The 'orders' parameter of purchase_frequency must be a whole number. Got 3.5 instead.",
        ),
    ],
)
def test_purchase_frequency_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        purchase_frequency(*args)
    assert str(excinfo.value) == message
