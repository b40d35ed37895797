"""``fractional=True`` of average_order_value, cost_per_acquisition and customer_acquisition_cost.

Multi-touch attribution credits a purchase to several channels (0.5 / 0.5 under the linear
model), so a channel's orders and new customers can be 2.5; compute_kpis(attribution=...)
computes aov, cpa and cac from such credited counts through these same functions.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    AverageOrderValue,
    CostPerAcquisition,
    CustomerAcquisitionCost,
    InvalidInputError,
    average_order_value,
    cost_per_acquisition,
    customer_acquisition_cost,
)

# (function, its model, the name of the count argument)
CASES = [
    (average_order_value, AverageOrderValue, "orders"),
    (cost_per_acquisition, CostPerAcquisition, "acquisitions"),
    (customer_acquisition_cost, CustomerAcquisitionCost, "new_customers"),
]
IDS = [case[2] for case in CASES]


@pytest.mark.parametrize(("function", "model", "name"), CASES, ids=IDS)
def test_fractional_count_divides_by_hand(function, model, name):
    # 100 / 2.5 = 40, by hand
    assert function(100.0, 2.5, fractional=True) == 40.0
    result = model.from_totals(100.0, 2.5, fractional=True)
    assert (result.value, result.denominator) == (40.0, 2.5)


@pytest.mark.parametrize(("function", "model", "name"), CASES, ids=IDS)
def test_fractional_count_is_rejected_by_default(function, model, name):
    message = f"The {name!r} parameter of {function.__name__} must be a whole number. Got 2.5"
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        function(100.0, 2.5)


@pytest.mark.parametrize(("function", "model", "name"), CASES, ids=IDS)
def test_negative_fractional_count_and_non_bool_option_are_rejected(function, model, name):
    message = f"The {name!r} parameter of {function.__name__} must be >= 0. Got -0.5 instead."
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        function(100.0, -0.5, fractional=True)
    message = f"The 'fractional' parameter of {function.__name__} must be a bool. Got 1 instead."
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        function(100.0, 2, fractional=1)


@pytest.mark.parametrize(("function", "model", "name"), CASES, ids=IDS)
def test_zero_fractional_count_follows_the_zero_division_policy(function, model, name):
    assert function(100.0, 0.0, fractional=True, zero_division=7.0) == 7.0


@pytest.mark.parametrize(("function", "model", "name"), CASES, ids=IDS)
@given(amount=st.floats(0, 1e9), whole=st.integers(1, 10**6))
def test_whole_counts_give_the_same_value_either_way(function, model, name, amount, whole):
    assert function(amount, whole, fractional=True) == function(amount, whole)
