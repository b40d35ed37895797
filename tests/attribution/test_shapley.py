"""Tests of retention_kpis.attribution.shapley: exact Shapley values by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import InvalidInputError
from retention_kpis.attribution import MAX_SHAPLEY_CHANNELS, attribute, shapley_values
from retention_kpis.attribution.shapley import coalition_values, shapley_from_values


def test_shapley_two_channels_match_permutation_average():
    # Conversions: {A}: 3, {B}: 1, {A, B}: 2. v(S) = conversions whose set is within S:
    # v({}) = 0, v({A}) = 3, v({B}) = 1, v({A, B}) = 6.
    # Order A,B: A adds 3, B adds 3. Order B,A: B adds 1, A adds 5.
    # phi_A = (3 + 5) / 2 = 4, phi_B = (3 + 1) / 2 = 2 (sum 6 = v({A, B})).
    got = shapley_values({("A",): 3, ("B",): 1, ("A", "B"): 2})
    assert got == pytest.approx({"A": 4.0, "B": 2.0}, rel=1e-15)


def test_shapley_three_channels_match_permutation_average():
    # Worked example: {A, B, C}: 1 conversion, {A}: 1. v(S) = [A in S] + [S = {A, B, C}].
    # Over the 6 orders, A adds 1 (its own path) plus 1 when it comes last (2 of 6 orders);
    # B and C add 1 only when last (2 of 6 orders each).
    # phi_A = 1 + 2/6 = 4/3, phi_B = phi_C = 2/6 = 1/3.
    got = shapley_values({("A", "B", "C"): 1, ("A",): 1})
    assert got == pytest.approx({"A": 4 / 3, "B": 1 / 3, "C": 1 / 3}, rel=1e-15)


def test_shapley_credit_on_worked_example_splits_revenue_by_the_same_game(worked_example):
    # Revenue game: $100 on {A, B, C} and $50 on {A}: A = 100/3 + 50, B = C = 100/3.
    result = attribute(worked_example, model="shapley")
    got = {c.channel: (c.conversions, c.revenue) for c in result.credits}
    assert got["A"] == pytest.approx((4 / 3, 100 / 3 + 50), rel=1e-14)
    assert got["B"] == pytest.approx((1 / 3, 100 / 3), rel=1e-14)
    assert got["C"] == pytest.approx((1 / 3, 100 / 3), rel=1e-14)


def test_repeats_and_order_within_a_path_do_not_matter():
    assert shapley_values({("B", "A", "B"): 2}) == shapley_values({("A", "B"): 2})


def _shapley_by_permutations(sets):
    """Independent check: average marginal contribution over every order of the channels."""
    names = sorted(set().union(*sets))

    def value(coalition):
        return sum(w for s, w in sets.items() if s <= coalition)

    phi = dict.fromkeys(names, 0.0)
    orders = list(itertools.permutations(names))
    for order in orders:
        seen = frozenset()
        for name in order:
            phi[name] += value(seen | {name}) - value(seen)
            seen = seen | {name}
    return {name: total / len(orders) for name, total in phi.items()}


channel_sets = st.frozensets(st.sampled_from("ABCDE"), min_size=1)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(channel_sets, st.integers(1, 20), min_size=1, max_size=6))
def test_shapley_values_match_permutation_enumeration(sets):
    got = shapley_values({tuple(sorted(s)): w for s, w in sets.items()})
    assert got == pytest.approx(_shapley_by_permutations(sets), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(channel_sets, st.floats(0, 1e6), min_size=1, max_size=8))
def test_coalition_game_matches_zhao_2018_simplified_formula(sets):
    # Zhao, Mahboobi & Bagheri (2018): phi_j = sum over sets T containing j of R(T) / |T|.
    got = shapley_values({tuple(s): w for s, w in sets.items()})
    expected = {c: math.fsum(w / len(s) for s, w in sets.items() if c in s) for c in got}
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert math.fsum(got.values()) == pytest.approx(math.fsum(sets.values()), rel=1e-12, abs=1e-9)


def test_coalition_values_are_subset_sums():
    # Bit 0 = A, bit 1 = B. R({A}) = 1, R({A, B}) = 2 -> v = [0, 1, 0, 3].
    values = coalition_values(np.array([0b01, 0b11]), np.array([1.0, 2.0]), 2)
    assert values.tolist() == [0.0, 1.0, 0.0, 3.0]
    assert shapley_from_values(values, 2).tolist() == [2.0, 1.0]


def test_twenty_channels_are_exact_and_fast():
    # One path per channel (weight 1) plus one path through all 20: each channel gets
    # 1 + 1/20.
    names = [f"c{i:02d}" for i in range(MAX_SHAPLEY_CHANNELS)]
    sets = {(name,): 1 for name in names} | {tuple(names): 1}
    assert shapley_values(sets) == pytest.approx(dict.fromkeys(names, 1.05), rel=1e-12)


def test_too_many_channels_raise_with_the_limit():
    sets = {(f"c{i}",): 1 for i in range(MAX_SHAPLEY_CHANNELS + 1)}
    with pytest.raises(InvalidInputError) as excinfo:
        shapley_values(sets)
    assert str(excinfo.value) == (
        "The shapley model is exact for at most 20 channels. Got 21 channels instead "
        "(2**21 coalitions).\nHint: group rare channels into one before attributing, "
        "or use model='markov'."
    )


def test_too_many_channels_in_events_raise_naming_the_segment(events_from):
    rows = [(1, f"2024-01-01 00:{i:02d}", "visit", f"c{i:02d}", None) for i in range(21)]
    rows.append((1, "2024-01-02", "purchase", None, 10.0))
    with pytest.raises(InvalidInputError, match="at most 20 channels per segment and period"):
        attribute(events_from(rows, country=["fr"] * 22), model="shapley", by="country")


@pytest.mark.parametrize(
    ("conversions", "message"),
    [
        (
            {(): 1},
            (
                "The 'conversions' parameter of shapley_values must map non-empty collections of "
                "channel names to weights. Got the path () instead."
            ),
        ),
        (
            {("A",): -2},
            "The 'conversions' parameter of shapley_values must be >= 0. Got -2 instead.",
        ),
    ],
)
def test_shapley_values_bad_input_raises_named_error(conversions, message):
    with pytest.raises(InvalidInputError) as excinfo:
        shapley_values(conversions)
    assert str(excinfo.value) == message
