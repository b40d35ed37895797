"""Tests of retention_kpis.metrics.email."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    EmailClickThroughRate,
    EmailClickToOpenRate,
    EmailOpenRate,
    EmailUnsubscribeRate,
    InvalidInputError,
    UndefinedKPIWarning,
    email_click_through_rate,
    email_click_to_open_rate,
    email_open_rate,
    email_unsubscribe_rate,
)


def test_email_rates_match_hand_calculation():
    # 1,000 delivered, 200 unique opens, 30 unique clicks, 3 unsubscribes:
    # open rate 200 / 1000 = 0.2, CTR 30 / 1000 = 0.03, CTOR 30 / 200 = 0.15,
    # unsubscribe rate 3 / 1000 = 0.003.
    assert email_open_rate(200, 1_000) == pytest.approx(0.2)
    assert email_click_through_rate(30, 1_000) == pytest.approx(0.03)
    assert email_click_to_open_rate(30, 200) == pytest.approx(0.15)
    assert email_unsubscribe_rate(3, 1_000) == pytest.approx(0.003)


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 10**6))
def test_ctr_equals_open_rate_times_click_to_open_rate(clicks, opens, delivered):
    # clicks / delivered == (opens / delivered) * (clicks / opens) whenever opens > 0.
    opens = max(1, min(opens, delivered))
    clicks = min(clicks, opens)
    assert email_click_through_rate(clicks, delivered) == pytest.approx(
        email_open_rate(opens, delivered) * email_click_to_open_rate(clicks, opens), rel=1e-12
    )


@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_email_rates_are_fractions(part, whole):
    part = min(part, whole)
    for func in (
        email_open_rate,
        email_click_through_rate,
        email_click_to_open_rate,
        email_unsubscribe_rate,
    ):
        assert 0.0 <= func(part, whole) <= 1.0


@pytest.mark.parametrize(
    ("func", "denominator"),
    [
        (email_open_rate, "delivered"),
        (email_click_through_rate, "delivered"),
        (email_click_to_open_rate, "opens"),
        (email_unsubscribe_rate, "delivered"),
    ],
)
def test_email_rate_zero_denominator_warns_naming_it(func, denominator):
    with pytest.warns(
        UndefinedKPIWarning, match=f"{func.__name__} is undefined because {denominator} is 0"
    ):
        assert math.isnan(func(0, 0))


def test_email_models_keep_parts_and_definitions():
    cases = [
        (EmailOpenRate.from_counts(200, 1_000), "opens / delivered"),
        (EmailClickThroughRate.from_counts(30, 1_000), "clicks / delivered"),
        (EmailClickToOpenRate.from_counts(30, 200), "clicks / opens"),
        (EmailUnsubscribeRate.from_counts(3, 1_000), "unsubscribes / delivered"),
    ]
    for result, definition in cases:
        assert result.definition == definition
        assert result.value == pytest.approx(result.numerator / result.denominator)


@pytest.mark.parametrize(
    ("func", "args", "message"),
    [
        (
            email_open_rate,
            (201, 200),
            "The 'opens' parameter of email_open_rate must be <= 'delivered' (200). Got 201 instead.",
        ),
        (
            email_click_through_rate,
            (-2, 200),
            "The 'clicks' parameter of email_click_through_rate must be >= 0. Got -2 instead.",
        ),
        (
            email_click_to_open_rate,
            (31, 30),
            "The 'clicks' parameter of email_click_to_open_rate must be <= 'opens' (30). Got 31 instead.",
        ),
        (
            email_unsubscribe_rate,
            (1, 2.5),
            (
                "The 'delivered' parameter of email_unsubscribe_rate must be a whole number. "
                "Got 2.5 instead."
            ),
        ),
    ],
)
def test_email_bad_input_raises_named_error(func, args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        func(*args)
    assert str(excinfo.value) == message
