"""Tests of retention_kpis.metrics.csat."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import (
    CustomerSatisfactionScore,
    InvalidInputError,
    UndefinedKPIWarning,
    customer_satisfaction_score,
)

five_point_answers = st.lists(st.integers(1, 5), min_size=1, max_size=200)


def test_csat_top2box_matches_hand_count():
    # [5, 4, 4, 3, 1]: answers >= 4 are 5, 4, 4 -> 3 of 5 = 0.6.
    assert customer_satisfaction_score([5, 4, 4, 3, 1]) == pytest.approx(0.6)


def test_csat_custom_scale_and_threshold_matches_hand_count():
    # 1-7 scale, satisfied from 6: [7, 6, 2] -> 2 of 3 = 0.666...
    assert customer_satisfaction_score(
        [7, 6, 2], scale=(1, 7), satisfied_threshold=6
    ) == pytest.approx(2 / 3)
    # 0-10 scale, satisfied from 8: [10, 8, 7, 0] -> 2 of 4 = 0.5
    assert customer_satisfaction_score([10, 8, 7, 0], scale=(0, 10), satisfied_threshold=8) == 0.5


def test_csat_threshold_at_scale_ends():
    # threshold = low counts everyone; threshold = high counts only the top box: [5, 4, 1] -> 1 of 3.
    assert customer_satisfaction_score([5, 4, 1], satisfied_threshold=1) == 1.0
    assert customer_satisfaction_score([5, 4, 1], satisfied_threshold=5) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "container",
    [list, tuple, np.array, pd.Series, pl.Series],
    ids=["list", "tuple", "numpy", "pandas", "polars"],
)
def test_csat_accepts_common_containers(container):
    # [5, 3, 4, 2]: 2 of 4 satisfied = 0.5.
    assert customer_satisfaction_score(container([5, 3, 4, 2])) == 0.5


def test_csat_empty_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="customer_satisfaction_score is undefined because responses is 0"
    ):
        assert math.isnan(customer_satisfaction_score([]))


def test_csat_zero_division_value_is_returned_silently():
    assert customer_satisfaction_score([], zero_division=0.0) == 0.0


def test_csat_result_model_keeps_counts_scale_threshold_and_round_trips_json():
    result = CustomerSatisfactionScore.from_scores([5, 4, 4, 3, 1])
    assert (result.satisfied, result.responses, result.scale, result.satisfied_threshold) == (
        3,
        5,
        (1, 5),
        4,
    )
    assert (result.unit, result.definition) == (
        "fraction",
        "count(score >= satisfied_threshold) / responses",
    )
    assert CustomerSatisfactionScore.model_validate_json(result.model_dump_json()) == result


def test_csat_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = CustomerSatisfactionScore.from_scores([], scale=(1, 7), satisfied_threshold=6)
    assert '"value":null' in result.model_dump_json()
    restored = CustomerSatisfactionScore.model_validate_json(result.model_dump_json())
    assert math.isnan(restored.value)
    assert restored.scale == (1, 7)


def test_csat_model_rejects_value_outside_range():
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        CustomerSatisfactionScore(
            value=1.5, satisfied=3, responses=2, scale=(1, 5), satisfied_threshold=4
        )


@settings(max_examples=100)
@given(five_point_answers, st.integers(1, 5))
def test_csat_is_a_fraction_and_matches_independent_count(scores, threshold):
    value = customer_satisfaction_score(scores, satisfied_threshold=threshold)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(sum(s >= threshold for s in scores) / len(scores))


@settings(max_examples=50)
@given(five_point_answers, st.randoms(use_true_random=False))
def test_csat_is_invariant_to_answer_order(scores, rng):
    shuffled = list(scores)
    rng.shuffle(shuffled)
    assert customer_satisfaction_score(shuffled) == customer_satisfaction_score(scores)


@settings(max_examples=50)
@given(five_point_answers)
def test_csat_does_not_mutate_its_input(scores):
    as_list = list(scores)
    as_array = np.array(scores, dtype=np.float64)
    as_series = pd.Series(scores)
    customer_satisfaction_score(as_list)
    customer_satisfaction_score(as_array)
    CustomerSatisfactionScore.from_scores(as_series)
    assert as_list == scores
    np.testing.assert_array_equal(as_array, np.array(scores, dtype=np.float64))
    pd.testing.assert_series_equal(as_series, pd.Series(scores))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"scores": [5, 6]},
            "The 'scores' parameter of customer_satisfaction_score must hold scores in [1, 5]. Got 1 value outside it (first: 6) instead.",
        ),
        (
            {"scores": [0, 5]},
            "The 'scores' parameter of customer_satisfaction_score must hold scores in [1, 5]. Got 1 value outside it (first: 0) instead.",
        ),
        (
            {"scores": [4.5]},
            "The 'scores' parameter of customer_satisfaction_score must hold whole-number scores. Got 1 non-integer value (first: 4.5) instead.",
        ),
        (
            {"scores": [4, math.nan]},
            "The 'scores' parameter of customer_satisfaction_score must hold only finite numbers. Got 1 nan or inf value instead.",
        ),
        (
            {"scores": [4], "scale": (5, 1)},
            "The 'scale' parameter of customer_satisfaction_score must be a (low, high) pair of whole numbers with low < high. Got (5, 1) instead.",
        ),
        (
            {"scores": [4], "scale": (1, 5, 7)},
            "The 'scale' parameter of customer_satisfaction_score must be a (low, high) pair of whole numbers with low < high. Got (1, 5, 7) instead.",
        ),
        (
            {"scores": [4], "scale": (1, 5.5)},
            "The 'scale' parameter of customer_satisfaction_score must be a (low, high) pair of whole numbers with low < high. Got (1, 5.5) instead.",
        ),
        (
            {"scores": [4], "scale": (1, math.inf)},
            "The 'scale' parameter of customer_satisfaction_score must be a (low, high) pair of whole numbers with low < high. Got (1, inf) instead.",
        ),
        (
            {"scores": [4], "scale": 5},
            "The 'scale' parameter of customer_satisfaction_score must be a (low, high) pair of whole numbers with low < high. Got 5 instead.",
        ),
        (
            {"scores": [4], "satisfied_threshold": 6},
            "The 'satisfied_threshold' parameter of customer_satisfaction_score must be a whole number in the scale [1, 5]. Got 6 instead.",
        ),
        (
            {"scores": [4], "satisfied_threshold": 3.5},
            "The 'satisfied_threshold' parameter of customer_satisfaction_score must be a whole number in the scale [1, 5]. Got 3.5 instead.",
        ),
        (
            {"scores": [4], "satisfied_threshold": math.nan},
            "The 'satisfied_threshold' parameter of customer_satisfaction_score must be finite. Got nan instead.",
        ),
    ],
)
def test_csat_bad_input_raises_named_error(kwargs, message):
    scores = kwargs.pop("scores")
    with pytest.raises(InvalidInputError) as excinfo:
        customer_satisfaction_score(scores, **kwargs)
    assert str(excinfo.value) == message
