"""Tests of retention_kpis.metrics.nps."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import (
    InvalidInputError,
    NetPromoterScore,
    UndefinedKPIWarning,
    net_promoter_score,
)

nps_answers = st.lists(st.integers(0, 10), min_size=1, max_size=200)


def test_net_promoter_score_balanced_promoters_and_detractors_is_zero():
    # [10, 9, 8, 7, 6, 0]: promoters {10, 9} = 2, detractors {6, 0} = 2: 100 * (2 - 2) / 6 = 0.
    assert net_promoter_score([10, 9, 8, 7, 6, 0]) == 0.0


def test_net_promoter_score_matches_hand_calculation():
    # [10, 9, 9, 8, 7, 3]: 3 promoters, 2 passives, 1 detractor: 100 * (3 - 1) / 6 = 33.33...
    assert net_promoter_score([10, 9, 9, 8, 7, 3]) == pytest.approx(100 / 3)


def test_net_promoter_score_boundaries_of_the_groups():
    # 9 is a promoter, 7 and 8 passives, 6 a detractor: each alone gives 100, 0, 0, -100.
    assert net_promoter_score([9]) == 100.0
    assert net_promoter_score([8, 7]) == 0.0
    assert net_promoter_score([6]) == -100.0
    assert net_promoter_score([0, 0, 0]) == -100.0


@pytest.mark.parametrize(
    "container",
    [list, tuple, np.array, pd.Series, pl.Series, lambda v: np.array(v, dtype=np.float64), iter],
    ids=["list", "tuple", "numpy", "pandas", "polars", "numpy-float", "iterator"],
)
def test_net_promoter_score_accepts_common_containers(container):
    # 2 promoters, 1 detractor of 4: 100 * (2 - 1) / 4 = 25.
    assert net_promoter_score(container([10, 9, 7, 2])) == pytest.approx(25.0)


def test_net_promoter_score_empty_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="net_promoter_score is undefined because responses is 0"
    ):
        assert math.isnan(net_promoter_score([]))


def test_net_promoter_score_zero_division_value_is_returned_silently():
    assert net_promoter_score([], zero_division=0.0) == 0.0


def test_net_promoter_score_result_model_keeps_counts_and_round_trips_json():
    result = NetPromoterScore.from_scores([10, 9, 9, 8, 7, 3])
    assert (result.promoters, result.passives, result.detractors, result.responses) == (3, 2, 1, 6)
    assert result.value == pytest.approx(100 / 3)
    assert (result.unit, result.definition) == (
        "score (-100..100)",
        "100 * (promoters - detractors) / responses",
    )
    assert NetPromoterScore.model_validate_json(result.model_dump_json()) == result


def test_net_promoter_score_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = NetPromoterScore.from_scores([])
    assert result.responses == 0
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(NetPromoterScore.model_validate_json(result.model_dump_json()).value)


def test_net_promoter_score_model_rejects_value_outside_range():
    with pytest.raises(ValueError, match=r"must be in \[-100, 100\]"):
        NetPromoterScore(value=150.0, promoters=1, passives=0, detractors=0, responses=1)


@settings(max_examples=100)
@given(nps_answers)
def test_net_promoter_score_is_within_bounds_and_matches_independent_count(scores):
    # Independent implementation: percentage of promoters minus percentage of detractors.
    promoters = sum(1 for s in scores if s in (9, 10))
    detractors = sum(1 for s in scores if s <= 6)
    expected = 100 * promoters / len(scores) - 100 * detractors / len(scores)
    value = net_promoter_score(scores)
    assert -100.0 <= value <= 100.0
    assert value == pytest.approx(expected, abs=1e-9)


@settings(max_examples=50)
@given(nps_answers, st.randoms(use_true_random=False))
def test_net_promoter_score_is_invariant_to_answer_order(scores, rng):
    shuffled = list(scores)
    rng.shuffle(shuffled)
    assert net_promoter_score(shuffled) == net_promoter_score(scores)


@settings(max_examples=50)
@given(nps_answers)
def test_net_promoter_score_does_not_mutate_its_input(scores):
    as_list = list(scores)
    as_array = np.array(scores, dtype=np.float64)
    as_series = pd.Series(scores)
    net_promoter_score(as_list)
    net_promoter_score(as_array)
    NetPromoterScore.from_scores(as_series)
    assert as_list == scores
    np.testing.assert_array_equal(as_array, np.array(scores, dtype=np.float64))
    pd.testing.assert_series_equal(as_series, pd.Series(scores))


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        (
            [10, 11, 12],
            "The 'scores' parameter of net_promoter_score must hold scores in [0, 10]. Got 2 values outside it (first: 11) instead.",
        ),
        (
            [5, -1],
            "The 'scores' parameter of net_promoter_score must hold scores in [0, 10]. Got 1 value outside it (first: -1) instead.",
        ),
        (
            [9.5, 8],
            "The 'scores' parameter of net_promoter_score must hold whole-number scores. Got 1 non-integer value (first: 9.5) instead.",
        ),
        (
            [9, math.nan, math.inf],
            "The 'scores' parameter of net_promoter_score must hold only finite numbers. Got 2 nan or inf values instead.",
        ),
        (
            [True, False],
            "The 'scores' parameter of net_promoter_score must hold only numbers. Got True instead.",
        ),
        (
            ["9", "10"],
            "The 'scores' parameter of net_promoter_score must hold only numbers. Got '9' instead.",
        ),
        (
            "9",
            "The 'scores' parameter of net_promoter_score must be a 1-D sequence of numbers. Got 'str' instead.",
        ),
        (
            9,
            "The 'scores' parameter of net_promoter_score must be a 1-D sequence of numbers. Got 'int' instead.",
        ),
        (
            [[9, 10]],
            "The 'scores' parameter of net_promoter_score must be 1-D. Got 'an array of shape (1, 2)' instead.",
        ),
    ],
)
def test_net_promoter_score_bad_input_raises_named_error(scores, message):
    with pytest.raises(InvalidInputError) as excinfo:
        net_promoter_score(scores)
    assert str(excinfo.value) == message


def test_net_promoter_score_model_validates_like_the_function():
    with pytest.raises(InvalidInputError, match="net_promoter_score must hold scores in"):
        NetPromoterScore.from_scores([11])
