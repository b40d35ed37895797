"""Tests of retention_kpis.metrics.ces."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import (
    CustomerEffortScore,
    InvalidInputError,
    UndefinedKPIWarning,
    customer_effort_score,
)

seven_point_answers = st.lists(st.integers(1, 7), min_size=1, max_size=200)


def test_ces_mean_matches_hand_calculation():
    # (7 + 6 + 5 + 2) / 4 = 20 / 4 = 5.0 on the 1-7 agreement scale.
    assert customer_effort_score([7, 6, 5, 2]) == 5.0


def test_ces_on_five_point_scale_matches_hand_calculation():
    # (5 + 4 + 4) / 3 = 13 / 3 = 4.333...
    assert customer_effort_score([5, 4, 4], scale=(1, 5)) == pytest.approx(13 / 3)


@pytest.mark.parametrize(
    "container",
    [list, tuple, np.array, pd.Series, pl.Series],
    ids=["list", "tuple", "numpy", "pandas", "polars"],
)
def test_ces_accepts_common_containers(container):
    # (1 + 2 + 6) / 3 = 3.0
    assert customer_effort_score(container([1, 2, 6])) == 3.0


def test_ces_empty_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="customer_effort_score is undefined because responses is 0"
    ):
        assert math.isnan(customer_effort_score([]))


def test_ces_zero_division_value_is_returned_silently():
    assert customer_effort_score([], zero_division=0.0) == 0.0


def test_ces_result_model_keeps_sum_count_scale_and_round_trips_json():
    result = CustomerEffortScore.from_scores([7, 6, 5, 2])
    assert (result.value, result.score_sum, result.responses, result.scale) == (
        5.0,
        20.0,
        4,
        (1, 7),
    )
    assert (result.unit, result.definition) == ("score", "sum(scores) / responses")
    assert CustomerEffortScore.model_validate_json(result.model_dump_json()) == result


def test_ces_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = CustomerEffortScore.from_scores([])
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(CustomerEffortScore.model_validate_json(result.model_dump_json()).value)


def test_ces_zero_division_value_outside_scale_is_allowed_in_model_when_no_responses():
    assert CustomerEffortScore.from_scores([], zero_division=0.0).value == 0.0


def test_ces_model_rejects_value_outside_scale():
    with pytest.raises(ValueError, match=r"value must be in the scale \[1, 7\] or nan, got 8.0"):
        CustomerEffortScore(value=8.0, score_sum=8.0, responses=1, scale=(1, 7))


@settings(max_examples=100)
@given(seven_point_answers)
def test_ces_is_within_scale_and_matches_statistics_mean(scores):
    value = customer_effort_score(scores)
    assert 1.0 <= value <= 7.0
    assert value == pytest.approx(statistics.fmean(scores))


@settings(max_examples=50)
@given(seven_point_answers, st.randoms(use_true_random=False))
def test_ces_is_invariant_to_answer_order(scores, rng):
    shuffled = list(scores)
    rng.shuffle(shuffled)
    assert customer_effort_score(shuffled) == pytest.approx(customer_effort_score(scores))


@settings(max_examples=50)
@given(seven_point_answers)
def test_ces_does_not_mutate_its_input(scores):
    as_list = list(scores)
    as_array = np.array(scores, dtype=np.float64)
    as_series = pd.Series(scores)
    customer_effort_score(as_list)
    customer_effort_score(as_array)
    CustomerEffortScore.from_scores(as_series)
    assert as_list == scores
    np.testing.assert_array_equal(as_array, np.array(scores, dtype=np.float64))
    pd.testing.assert_series_equal(as_series, pd.Series(scores))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"scores": [8]},
            "The 'scores' parameter of customer_effort_score must hold scores in [1, 7]. Got 1 value outside it (first: 8) instead.",
        ),
        (
            {"scores": [6], "scale": (1, 5)},
            "The 'scores' parameter of customer_effort_score must hold scores in [1, 5]. Got 1 value outside it (first: 6) instead.",
        ),
        (
            {"scores": [2.5]},
            "The 'scores' parameter of customer_effort_score must hold whole-number scores. Got 1 non-integer value (first: 2.5) instead.",
        ),
        (
            {"scores": [math.inf]},
            "The 'scores' parameter of customer_effort_score must hold only finite numbers. Got 1 nan or inf value instead.",
        ),
        (
            {"scores": [4], "scale": (3, 3)},
            "The 'scale' parameter of customer_effort_score must be a (low, high) pair of whole numbers with low < high. Got (3, 3) instead.",
        ),
        (
            {"scores": [4], "scale": (True, 7)},
            "The 'scale' parameter of customer_effort_score must be a (low, high) pair of whole numbers with low < high. Got (True, 7) instead.",
        ),
    ],
)
def test_ces_bad_input_raises_named_error(kwargs, message):
    scores = kwargs.pop("scores")
    with pytest.raises(InvalidInputError) as excinfo:
        customer_effort_score(scores, **kwargs)
    assert str(excinfo.value) == message
