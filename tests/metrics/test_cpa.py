"""Tests of retention_kpis.metrics.cpa."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from retention_kpis import (
    CostPerAcquisition,
    InvalidInputError,
    UndefinedKPIWarning,
    cost_per_acquisition,
)


def test_cost_per_acquisition_matches_hand_calculation():
    # 1,500 spent for 60 conversions: 1500 / 60 = 25 per conversion.
    assert cost_per_acquisition(1_500.0, 60) == pytest.approx(25.0)


def test_cost_per_acquisition_accepts_integer_cost_and_whole_float_count():
    # 999 / 3 = 333
    assert cost_per_acquisition(999, 3.0) == pytest.approx(333.0)


def test_cost_per_acquisition_zero_cost_is_zero():
    assert cost_per_acquisition(0.0, 7) == 0.0


def test_cost_per_acquisition_zero_acquisitions_warns_and_returns_nan():
    with pytest.warns(
        UndefinedKPIWarning, match="cost_per_acquisition is undefined because acquisitions is 0"
    ):
        assert math.isnan(cost_per_acquisition(100.0, 0))


def test_cost_per_acquisition_zero_division_value_is_returned_silently():
    assert cost_per_acquisition(100.0, 0, zero_division=0.0) == 0.0


def test_cost_per_acquisition_result_model_keeps_parts_and_round_trips_json():
    result = CostPerAcquisition.from_totals(1_500.0, 60)
    assert (result.value, result.numerator, result.denominator) == (25.0, 1_500.0, 60)
    assert (result.unit, result.definition) == ("currency per conversion", "cost / acquisitions")
    assert CostPerAcquisition.model_validate_json(result.model_dump_json()) == result


def test_cost_per_acquisition_undefined_result_serialises_as_null():
    with pytest.warns(UndefinedKPIWarning):
        result = CostPerAcquisition.from_totals(10.0, 0)
    assert '"value":null' in result.model_dump_json()
    assert math.isnan(CostPerAcquisition.model_validate_json(result.model_dump_json()).value)


def test_cost_per_acquisition_model_rejects_negative_value_and_extra_fields():
    with pytest.raises(ValueError, match=r"must be in \[0, inf\]"):
        CostPerAcquisition(value=-1.0, numerator=-1.0, denominator=1)
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        CostPerAcquisition(value=1.0, numerator=1.0, denominator=1, channel="ads")


def test_cost_per_acquisition_model_is_frozen():
    result = CostPerAcquisition.from_totals(10.0, 2)
    with pytest.raises(ValueError, match="frozen"):
        result.value = 1.0


@given(st.floats(0, 1e12), st.integers(1, 10**9))
def test_cost_per_acquisition_is_non_negative_and_scales_with_cost(cost, acquisitions):
    value = cost_per_acquisition(cost, acquisitions)
    assert value >= 0.0
    assert cost_per_acquisition(2 * cost, acquisitions) == pytest.approx(2 * value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            (-1.0, 10),
            "The 'cost' parameter of cost_per_acquisition must be >= 0. Got -1.0 instead.",
        ),
        (
            (1.0, -10),
            "The 'acquisitions' parameter of cost_per_acquisition must be >= 0. Got -10 instead.",
        ),
        (
            (1.0, 2.5),
            "The 'acquisitions' parameter of cost_per_acquisition must be a whole number. Got 2.5 instead.",
        ),
        (
            (math.nan, 10),
            "The 'cost' parameter of cost_per_acquisition must be finite. Got nan instead.",
        ),
        (
            (1.0, math.inf),
            "The 'acquisitions' parameter of cost_per_acquisition must be finite. Got inf instead.",
        ),
        (
            (True, 10),
            "The 'cost' parameter of cost_per_acquisition must be a real number. Got True instead.",
        ),
        (
            ("5", 10),
            "The 'cost' parameter of cost_per_acquisition must be a real number. Got '5' instead.",
        ),
    ],
)
def test_cost_per_acquisition_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        cost_per_acquisition(*args)
    assert str(excinfo.value) == message


def test_cost_per_acquisition_bad_zero_division_raises():
    with pytest.raises(InvalidInputError) as excinfo:
        cost_per_acquisition(1.0, 0, zero_division="zero")
    assert str(excinfo.value) == (
        "The 'zero_division' parameter of cost_per_acquisition must be \"warn\" or a float. "
        "Got 'zero' instead."
    )
