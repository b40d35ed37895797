"""Tests of retention_kpis.metrics.pareto."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import InvalidInputError, ParetoShare, UndefinedKPIWarning, pareto_share
from retention_kpis.metrics.pareto import top_customer_count


def test_pareto_share_matches_hand_calculation():
    # 10 customers, top ceil(10 * 0.2) = 2: (100 + 50) / 200 = 0.75.
    assert pareto_share([100, 50, 20, 10, 10, 5, 5, 0, 0, 0]) == pytest.approx(0.75)


def test_pareto_share_rounds_the_top_group_up():
    # 11 customers: ceil(11 * 0.2) = ceil(2.2) = 3 top customers: (5 + 4 + 3) / 21 = 12 / 21.
    revenues = [5, 4, 3, 1, 1, 1, 1, 1, 1, 1, 2]
    assert pareto_share(revenues) == pytest.approx(12 / 21)


def test_top_customer_count_reads_the_fraction_as_a_decimal():
    # 100 * 0.07 is 7.000000000000001 in binary floating point; the top group is 7, not 8.
    assert 100 * 0.07 > 7
    assert top_customer_count(100, 0.07) == 7
    assert top_customer_count(10, 0.25) == 3  # ceil(2.5)
    assert top_customer_count(1, 0.01) == 1


def test_pareto_share_with_top_fraction_one_is_one():
    assert pareto_share([3.0, 1.0], top_fraction=1.0) == 1.0


def test_pareto_share_of_equal_revenues_equals_the_head_count_share():
    # 10 equal customers, top 3 (top_fraction=0.3): 3 / 10.
    assert pareto_share([7.0] * 10, top_fraction=0.3) == pytest.approx(0.3)


def test_pareto_share_single_customer_is_one():
    assert pareto_share([42.0]) == 1.0


def test_pareto_share_no_customers_or_no_revenue_warns():
    with pytest.warns(
        UndefinedKPIWarning, match="pareto_share is undefined because total revenue is 0"
    ):
        assert math.isnan(pareto_share([]))
    with pytest.warns(UndefinedKPIWarning):
        assert math.isnan(pareto_share([0.0, 0.0]))
    assert pareto_share([0.0], zero_division=0.0) == 0.0


def test_pareto_model_keeps_parts():
    result = ParetoShare.from_revenue([100, 50, 20, 10, 10, 5, 5, 0, 0, 0])
    assert (result.numerator, result.denominator) == (150.0, 200.0)
    assert (result.top_customers, result.customers, result.top_fraction) == (2, 10, 0.2)
    assert ParetoShare.model_validate_json(result.model_dump_json()) == result


revenues = st.lists(st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=60)
fractions = st.floats(0.01, 1.0)


@settings(max_examples=100)
@given(revenues, fractions)
def test_pareto_share_is_at_least_the_top_fraction_and_at_most_one(values, fraction):
    if sum(values) == 0:
        return
    share = pareto_share(values, top_fraction=fraction)
    assert fraction - 1e-12 <= share <= 1.0


@settings(max_examples=100)
@given(revenues, st.randoms(use_true_random=False))
def test_pareto_share_is_exactly_order_invariant(values, random):
    if sum(values) == 0:
        return
    shuffled = list(values)
    random.shuffle(shuffled)
    assert pareto_share(shuffled) == pareto_share(values)


@settings(max_examples=50)
@given(revenues)
def test_pareto_share_does_not_mutate_its_input(values):
    array = np.array(values)
    copy = array.copy()
    pareto_share(array, zero_division=0.0)
    np.testing.assert_array_equal(array, copy)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"revenue_per_customer": [1.0, -2.0, -3.0]},
            (
                "The 'revenue_per_customer' parameter of pareto_share must hold values >= 0. "
                "Got 2 negative values (first: -2) instead."
            ),
        ),
        (
            {"revenue_per_customer": [1.0], "top_fraction": 0.0},
            "The 'top_fraction' parameter of pareto_share must be in (0, 1]. Got 0.0 instead.",
        ),
        (
            {"revenue_per_customer": [1.0], "top_fraction": 1.5},
            "The 'top_fraction' parameter of pareto_share must be in [0, 1]. Got 1.5 instead.",
        ),
        (
            {"revenue_per_customer": "abc"},
            (
                "The 'revenue_per_customer' parameter of pareto_share must be a 1-D sequence of "
                "numbers. Got 'str' instead."
            ),
        ),
    ],
)
def test_pareto_share_bad_input_raises_named_error(kwargs, message):
    with pytest.raises(InvalidInputError) as excinfo:
        pareto_share(**kwargs)
    assert str(excinfo.value) == message
