"""Tests of retention_kpis.metrics.clv (the formula CLV, not the probabilistic models in clv/)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import CustomerLifetimeValue, InvalidInputError, customer_lifetime_value


def test_clv_undiscounted_matches_hand_calculation():
    # margin 0.5 * AOV 50 * 4 purchases per period * 3 periods = 0.5 * 50 * 4 * 3 = 300.
    assert customer_lifetime_value(50.0, 4.0, 3.0, gross_margin=0.5) == pytest.approx(300.0)


def test_clv_defaults_give_revenue_clv_aov_times_frequency_times_lifespan():
    # 80 * 1.5 * 2.5 = 300 (fractional lifespan is fine undiscounted).
    assert customer_lifetime_value(80.0, 1.5, 2.5) == pytest.approx(300.0)


def test_clv_discounted_whole_periods_match_start_of_period_sum():
    # Per-period value 0.4 * 100 * 2 = 80, received at the start of periods 0, 1, 2 at d = 10 %:
    # 80 * (1 + 1/1.1 + 1/1.21) = 80 * 2.7355371900826446 = 218.84297520661157.
    value = customer_lifetime_value(100.0, 2.0, 3.0, gross_margin=0.4, discount_rate=0.1)
    assert value == pytest.approx(218.84297520661157, rel=1e-12)


def test_clv_discounted_two_periods_hand_calculation():
    # 100 * (1 + 1/1.25) = 100 * 1.8 = 180.
    assert customer_lifetime_value(100.0, 1.0, 2.0, discount_rate=0.25) == pytest.approx(180.0)


def test_clv_one_period_is_not_discounted():
    # Start-of-period convention: the first period's value is received at t = 0.
    assert customer_lifetime_value(60.0, 2.0, 1.0, discount_rate=0.3) == pytest.approx(120.0)


def test_clv_infinite_lifespan_with_discounting_converges_to_geometric_limit():
    # sum_{t>=0} 1.25 ** -t = 1 / (1 - 1/1.25) = 1.25 / 0.25 = 5, so 100 * 5 = 500.
    assert customer_lifetime_value(100.0, 1.0, math.inf, discount_rate=0.25) == pytest.approx(500.0)


def test_clv_infinite_lifespan_without_discounting_raises():
    with pytest.raises(InvalidInputError) as excinfo:
        customer_lifetime_value(100.0, 1.0, math.inf)
    assert str(excinfo.value) == (
        "The 'customer_lifespan' parameter of customer_lifetime_value must be finite when "
        "'discount_rate' is 0 (the lifetime value would be infinite). Got inf instead. "
        "Hint: pass discount_rate > 0 or cap the lifespan."
    )


def test_clv_tiny_discount_rate_is_continuous_with_undiscounted_form():
    undiscounted = customer_lifetime_value(40.0, 3.0, 7.5)
    assert customer_lifetime_value(40.0, 3.0, 7.5, discount_rate=1e-12) == pytest.approx(
        undiscounted, rel=1e-9
    )


def test_clv_zero_lifespan_margin_or_frequency_is_zero():
    assert customer_lifetime_value(50.0, 2.0, 0.0, discount_rate=0.1) == 0.0
    assert customer_lifetime_value(50.0, 2.0, 3.0, gross_margin=0.0) == 0.0
    assert customer_lifetime_value(50.0, 0.0, 3.0) == 0.0


@settings(max_examples=100)
@given(
    st.floats(0, 1e4),
    st.floats(0, 50),
    st.integers(0, 40),
    st.floats(0, 1),
    st.floats(0, 2),
)
def test_clv_closed_form_matches_explicit_sum_over_whole_periods(
    aov, frequency, lifespan, margin, rate
):
    # Independent implementation: add the discounted per-period values one by one.
    expected = sum(margin * aov * frequency / (1 + rate) ** t for t in range(lifespan))
    value = customer_lifetime_value(
        aov, frequency, lifespan, gross_margin=margin, discount_rate=rate
    )
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert value >= 0.0


@settings(max_examples=100)
@given(st.floats(1.5, 20), st.floats(0.001, 0.5), st.floats(0.001, 0.5))
def test_clv_decreases_with_discount_rate_and_grows_with_lifespan(lifespan, rate, extra):
    # lifespan > 1: the first period is never discounted (start-of-period convention).
    base = customer_lifetime_value(100.0, 1.0, lifespan, discount_rate=rate)
    assert customer_lifetime_value(100.0, 1.0, lifespan, discount_rate=rate + extra) < base
    assert customer_lifetime_value(100.0, 1.0, lifespan + extra, discount_rate=rate) > base
    assert base <= customer_lifetime_value(100.0, 1.0, math.inf, discount_rate=rate)


def test_clv_result_model_keeps_parts_and_round_trips_json():
    result = CustomerLifetimeValue.from_parts(100.0, 2.0, 3.0, gross_margin=0.4, discount_rate=0.1)
    assert result.value == pytest.approx(218.84297520661157)
    assert (result.average_order_value, result.purchase_frequency, result.customer_lifespan) == (
        100.0,
        2.0,
        3.0,
    )
    assert (result.gross_margin, result.discount_rate) == (0.4, 0.1)
    assert result.unit == "currency per customer"
    assert CustomerLifetimeValue.model_validate_json(result.model_dump_json()) == result


def test_clv_result_model_round_trips_infinite_lifespan_through_json():
    result = CustomerLifetimeValue.from_parts(100.0, 1.0, math.inf, discount_rate=0.25)
    dumped = result.model_dump_json()
    assert '"customer_lifespan":"inf"' in dumped
    restored = CustomerLifetimeValue.model_validate_json(dumped)
    assert restored.customer_lifespan == math.inf
    assert restored == result


def test_clv_model_rejects_negative_value():
    with pytest.raises(ValueError, match=r"must be in \[0, inf\]"):
        CustomerLifetimeValue(
            value=-1.0,
            average_order_value=1.0,
            purchase_frequency=1.0,
            customer_lifespan=1.0,
            gross_margin=1.0,
            discount_rate=0.0,
        )


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            (-1.0, 1.0, 1.0),
            {},
            "The 'average_order_value' parameter of customer_lifetime_value must be >= 0. Got -1.0 instead.",
        ),
        (
            (1.0, -2.0, 1.0),
            {},
            "The 'purchase_frequency' parameter of customer_lifetime_value must be >= 0. Got -2.0 instead.",
        ),
        (
            (1.0, 1.0, -3.0),
            {},
            "The 'customer_lifespan' parameter of customer_lifetime_value must be >= 0. Got -3.0 instead.",
        ),
        (
            (1.0, 1.0, -math.inf),
            {},
            "The 'customer_lifespan' parameter of customer_lifetime_value must be finite. Got -inf instead.",
        ),
        (
            (1.0, 1.0, math.nan),
            {},
            "The 'customer_lifespan' parameter of customer_lifetime_value must be a number >= 0 or inf. Got nan instead.",
        ),
        (
            (1.0, 1.0, "3"),
            {},
            "The 'customer_lifespan' parameter of customer_lifetime_value must be a real number. Got '3' instead.",
        ),
        (
            (math.nan, 1.0, 1.0),
            {},
            "The 'average_order_value' parameter of customer_lifetime_value must be finite. Got nan instead.",
        ),
        (
            (1.0, 1.0, 1.0),
            {"gross_margin": 1.2},
            "The 'gross_margin' parameter of customer_lifetime_value must be in [0, 1]. Got 1.2 instead.",
        ),
        (
            (1.0, 1.0, 1.0),
            {"discount_rate": -0.1},
            "The 'discount_rate' parameter of customer_lifetime_value must be >= 0. Got -0.1 instead.",
        ),
        (
            (1.0, 1.0, 1.0),
            {"discount_rate": math.inf},
            "The 'discount_rate' parameter of customer_lifetime_value must be finite. Got inf instead.",
        ),
    ],
)
def test_clv_bad_input_raises_named_error(args, kwargs, message):
    with pytest.raises(InvalidInputError) as excinfo:
        customer_lifetime_value(*args, **kwargs)
    assert str(excinfo.value) == message


def test_clv_overflow_raises_instead_of_returning_inf():
    with pytest.raises(InvalidInputError, match="The result of customer_lifetime_value overflows"):
        customer_lifetime_value(1e300, 1e300, 1e10)
