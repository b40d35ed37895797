"""Tests of retention_kpis.metrics.referral."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    InvalidInputError,
    ReferralRate,
    ReferredCustomerShare,
    UndefinedKPIWarning,
    referral_rate,
    referred_customer_share,
)


def test_referral_rate_matches_hand_calculation():
    # 30 referrals by 600 customers: 30 / 600 = 0.05 referrals per customer.
    assert referral_rate(30, 600) == pytest.approx(0.05)


def test_referral_rate_may_exceed_one_when_customers_refer_several_people():
    # 9 referrals by 4 customers: 9 / 4 = 2.25 (a rate, not a share).
    assert referral_rate(9, 4) == pytest.approx(2.25)
    assert ReferralRate.from_counts(9, 4).value == pytest.approx(2.25)


def test_referred_customer_share_matches_hand_calculation():
    # 45 referred among 600 customers: 45 / 600 = 0.075.
    assert referred_customer_share(45, 600) == pytest.approx(0.075)


def test_referral_zero_customers_warns_and_returns_nan():
    with pytest.warns(UndefinedKPIWarning, match="referral_rate is undefined because customers"):
        assert math.isnan(referral_rate(3, 0))
    with pytest.warns(UndefinedKPIWarning, match="customers is 0"):
        assert math.isnan(referred_customer_share(0, 0))


def test_referral_models_keep_parts_and_units():
    rate = ReferralRate.from_counts(30, 600)
    share = ReferredCustomerShare.from_counts(45, 600)
    assert (rate.numerator, rate.denominator, rate.unit) == (30, 600, "referrals per customer")
    assert (share.numerator, share.denominator, share.unit) == (45, 600, "fraction")


def test_referred_customer_share_model_rejects_value_above_one():
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        ReferredCustomerShare(value=1.5, numerator=3, denominator=2)


def test_referral_rate_model_rejects_negative_value():
    with pytest.raises(ValueError, match=r"must be in \[0, inf\]"):
        ReferralRate(value=-0.5, numerator=-1, denominator=2)


@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_referred_customer_share_is_a_fraction(referred, customers):
    referred = min(referred, customers)
    assert 0.0 <= referred_customer_share(referred, customers) <= 1.0


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_referral_rate_is_non_negative_and_scales_with_referrals(referrals, customers):
    assert referral_rate(2 * referrals, customers) == pytest.approx(
        2 * referral_rate(referrals, customers)
    )
    assert referral_rate(referrals, customers) >= 0.0


@pytest.mark.parametrize(
    ("func", "args", "message"),
    [
        (
            referral_rate,
            (-1, 10),
            "The 'referrals' parameter of referral_rate must be >= 0. Got -1 instead.",
        ),
        (
            referral_rate,
            (1, 2.5),
            "The 'customers' parameter of referral_rate must be a whole number. Got 2.5 instead.",
        ),
        (
            referred_customer_share,
            (11, 10),
            (
                "The 'referred_customers' parameter of referred_customer_share must be <= "
                "'customers' (10). Got 11 instead."
            ),
        ),
        (
            referred_customer_share,
            (1, math.nan),
            "The 'customers' parameter of referred_customer_share must be finite. Got nan instead.",
        ),
    ],
)
def test_referral_bad_input_raises_named_error(func, args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        func(*args)
    assert str(excinfo.value) == message
