"""Tests of retention_kpis.attribution.rules: rule-based models, by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import InvalidInputError
from retention_kpis.attribution import attribute, path_credit
from retention_kpis.attribution.rules import RULE_MODELS

DAY = 86_400.0


def credit_of(result):
    return {c.channel: (c.conversions, c.revenue) for c in result.credits}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # Path A > B > C (oldest first).
        ("first_touch", {"A": 1.0, "B": 0.0, "C": 0.0}),
        ("last_touch", {"A": 0.0, "B": 0.0, "C": 1.0}),
        ("linear", {"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}),
        # 40/20/40: first 0.4, the one middle touch 0.2, last 0.4.
        ("position_based", {"A": 0.4, "B": 0.2, "C": 0.4}),
    ],
)
def test_path_credit_of_three_touches_matches_definition(model, expected):
    assert path_credit(["A", "B", "C"], model=model) == pytest.approx(expected, abs=1e-15)


def test_last_non_direct_skips_trailing_direct_touches():
    # email > direct > direct: the last non-direct touch is email.
    assert path_credit(["email", "direct", "direct"], model="last_non_direct") == {
        "direct": 0.0,
        "email": 1.0,
    }


def test_last_non_direct_credits_direct_when_every_touch_is_direct():
    assert path_credit(["direct", "direct"], model="last_non_direct") == {"direct": 1.0}


def test_last_non_direct_uses_the_configured_direct_channel():
    # With direct_channel="(direct)", the channel "direct" is an ordinary channel.
    assert path_credit(["email", "direct"], model="last_non_direct", direct_channel="(direct)") == {
        "direct": 1.0,
        "email": 0.0,
    }


def test_time_decay_halves_weight_per_half_life():
    # Ages 14, 7 and 0 days with a 7-day half-life: raw weights 2^-2, 2^-1, 2^0
    # = 0.25, 0.5, 1; sum 1.75 -> 1/7, 2/7, 4/7.
    credit = path_credit(["A", "B", "C"], model="time_decay", ages=[14 * DAY, 7 * DAY, 0.0])
    assert credit == pytest.approx({"A": 1 / 7, "B": 2 / 7, "C": 4 / 7}, rel=1e-15)


def test_time_decay_with_far_touches_does_not_underflow():
    # Ages 10,000 and 9,999 half-lives: 2^-10000 underflows, but relative to the
    # newest touch the weights are 2^-1 and 2^0 -> 1/3, 2/3.
    credit = path_credit(
        ["A", "B"], model="time_decay", ages=[10_000 * 3_600.0, 9_999 * 3_600.0], half_life="1h"
    )
    assert credit == pytest.approx({"A": 1 / 3, "B": 2 / 3}, rel=1e-12)


def test_position_based_single_touch_gets_everything():
    assert path_credit(["A"], model="position_based") == {"A": 1.0}


def test_position_based_two_touches_split_the_middle_share_equally():
    # (0.4, 0.2, 0.4): 0.4 + 0.1 = 0.5 each. (0.3, 0.2, 0.5): 0.3 + 0.1, 0.5 + 0.1.
    assert path_credit(["A", "B"], model="position_based") == pytest.approx({"A": 0.5, "B": 0.5})
    credit = path_credit(["A", "B"], model="position_based", position_weights=(0.3, 0.2, 0.5))
    assert credit == pytest.approx({"A": 0.4, "B": 0.6})


def test_position_based_five_touches_share_the_middle():
    # Middle 0.2 over 3 touches = 0.0667 each; A appears first and in the middle.
    credit = path_credit(["A", "B", "A", "C", "D"], model="position_based")
    assert credit == pytest.approx({"A": 0.4 + 0.2 / 3, "B": 0.2 / 3, "C": 0.2 / 3, "D": 0.4})


def test_repeated_channel_sums_its_touches():
    # Linear over A > B > A: A gets 2/3.
    assert path_credit(["A", "B", "A"], model="linear") == pytest.approx({"A": 2 / 3, "B": 1 / 3})


# The worked example (conftest): paths [A, B, C] -> $100 and [A] -> $50.
@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # first touch: A gets both conversions: 2, $150.
        ("first_touch", {"A": (2.0, 150.0), "B": (0.0, 0.0), "C": (0.0, 0.0)}),
        # last touch: C gets the $100 one, A the $50 one.
        ("last_touch", {"A": (1.0, 50.0), "B": (0.0, 0.0), "C": (1.0, 100.0)}),
        ("last_non_direct", {"A": (1.0, 50.0), "B": (0.0, 0.0), "C": (1.0, 100.0)}),
        # linear: A 1/3 + 1 = 4/3 and 100/3 + 50; B and C 1/3 and 100/3.
        (
            "linear",
            {"A": (4 / 3, 100 / 3 + 50), "B": (1 / 3, 100 / 3), "C": (1 / 3, 100 / 3)},
        ),
        # position-based: A 0.4 + 1 = 1.4 and 40 + 50; B 0.2 and 20; C 0.4 and 40.
        ("position_based", {"A": (1.4, 90.0), "B": (0.2, 20.0), "C": (0.4, 40.0)}),
        # time decay, half-life 7 days: ages 3, 2, 1 days -> 2^(-2/7), 2^(-1/7), 1
        # relative to C = 0.8203, 0.9057, 1 (sum 2.7260) -> 0.3009, 0.3322, 0.3668.
        (
            "time_decay",
            {
                "A": (0.30092355 + 1, 30.092355 + 50),
                "B": (0.33224654, 33.224654),
                "C": (0.36682992, 36.682992),
            },
        ),
    ],
)
def test_attribute_rule_models_match_hand_calculation_on_worked_example(
    worked_example, model, expected
):
    result = attribute(worked_example, model=model)
    got = credit_of(result)
    assert set(got) == set(expected)
    for channel, (conversions, revenue) in expected.items():
        assert got[channel] == pytest.approx((conversions, revenue), rel=1e-7, abs=1e-12)


@given(
    st.lists(st.sampled_from(["A", "B", "direct"]), min_size=1, max_size=8),
    st.sampled_from(RULE_MODELS),
    st.lists(st.floats(0, 1e7), min_size=8, max_size=8),
)
def test_path_credit_is_a_distribution(path, model, ages):
    ages = sorted(ages[: len(path)], reverse=True)
    credit = path_credit(path, model=model, ages=ages)
    assert set(credit) == set(path)
    assert all(share >= 0 for share in credit.values())
    assert sum(credit.values()) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"path": ["A"], "model": "markov"},
            (
                "The 'model' parameter of path_credit must be one of ['first_touch', 'last_touch', "
                "'last_non_direct', 'linear', 'time_decay', 'position_based']. Got 'markov' instead."
            ),
        ),
        (
            {"path": []},
            (
                "The 'path' parameter of path_credit must be a non-empty sequence of channel names. "
                "Got [] instead."
            ),
        ),
        (
            {"path": ["A"], "model": "time_decay"},
            "The 'ages' parameter of path_credit is needed by model='time_decay'. Got None instead.",
        ),
        (
            {"path": ["A", "B"], "ages": [1.0]},
            (
                "The 'ages' parameter of path_credit must hold one number >= 0 per touch of 'path'. "
                "Got [1.0] instead."
            ),
        ),
        (
            {"path": ["A"], "position_weights": (0.5, 0.2, 0.4)},
            (
                "The 'position_weights' parameter of path_credit must be three numbers (first, middle, "
                "last) >= 0 summing to 1. Got (0.5, 0.2, 0.4) instead."
            ),
        ),
        (
            {"path": ["A"], "position_weights": (0.6, -0.2, 0.6)},
            (
                "The 'position_weights' parameter of path_credit must be three numbers (first, middle, "
                "last) >= 0 summing to 1. Got (0.6, -0.2, 0.6) instead."
            ),
        ),
        (
            {"path": ["A"], "half_life": "0D"},
            "The 'half_life' parameter of path_credit must be a positive duration. Got '0D' instead.",
        ),
    ],
)
def test_path_credit_bad_input_raises_named_error(kwargs, message):
    with pytest.raises(InvalidInputError) as excinfo:
        path_credit(**kwargs)
    assert str(excinfo.value) == message
