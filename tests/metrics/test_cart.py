"""Tests of retention_kpis.metrics.cart."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    CartAbandonmentRate,
    CheckoutConversionRate,
    InvalidInputError,
    UndefinedKPIWarning,
    cart_abandonment_rate,
    checkout_conversion_rate,
)


def test_cart_abandonment_rate_matches_hand_calculation():
    # 200 carts, 60 converted: (200 - 60) / 200 = 0.7 (definition).
    assert cart_abandonment_rate(200, 60) == pytest.approx(0.7)


def test_checkout_conversion_rate_matches_hand_calculation():
    # 45 of 60 started checkouts completed: 45 / 60 = 0.75.
    assert checkout_conversion_rate(45, 60) == pytest.approx(0.75)


def test_zero_denominators_warn_and_return_nan():
    with pytest.warns(UndefinedKPIWarning, match="carts_created is 0"):
        assert math.isnan(cart_abandonment_rate(0, 0))
    with pytest.warns(UndefinedKPIWarning, match="checkouts_started is 0"):
        assert math.isnan(checkout_conversion_rate(0, 0))


def test_models_keep_parts_and_round_trip_json():
    abandonment = CartAbandonmentRate.from_counts(200, 60)
    assert (abandonment.numerator, abandonment.denominator) == (140, 200)
    assert CartAbandonmentRate.model_validate_json(abandonment.model_dump_json()) == abandonment
    checkout = CheckoutConversionRate.from_counts(45, 60)
    assert (checkout.numerator, checkout.denominator, checkout.unit) == (45, 60, "fraction")


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_abandonment_and_conversion_are_complementary_fractions(part, whole):
    part, whole = min(part, whole), max(part, whole, 1)
    abandonment = cart_abandonment_rate(whole, part)
    assert 0.0 <= abandonment <= 1.0
    assert abandonment == pytest.approx(1.0 - checkout_conversion_rate(part, whole))


@pytest.mark.parametrize(
    ("func", "args", "message"),
    [
        (
            cart_abandonment_rate,
            (10, 11),
            "The 'carts_converted' parameter of cart_abandonment_rate must be <= 'carts_created' (10). Got 11 instead.",
        ),
        (
            cart_abandonment_rate,
            (-1, 0),
            "The 'carts_created' parameter of cart_abandonment_rate must be >= 0. Got -1 instead.",
        ),
        (
            checkout_conversion_rate,
            (5, 4),
            "The 'checkouts_completed' parameter of checkout_conversion_rate must be <= 'checkouts_started' (4). Got 5 instead.",
        ),
        (
            checkout_conversion_rate,
            (1.5, 4),
            "The 'checkouts_completed' parameter of checkout_conversion_rate must be a whole number. Got 1.5 instead.",
        ),
    ],
)
def test_bad_input_raises_named_error(func, args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        func(*args)
    assert str(excinfo.value) == message
