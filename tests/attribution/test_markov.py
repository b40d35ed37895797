"""Tests of retention_kpis.attribution.markov: removal effects solved by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import InvalidInputError
from retention_kpis.attribution import attribute, markov_removal_effects


def test_removal_effects_of_worked_example_match_hand_algebra():
    # Paths: start>A>B>C>conv, start>A>conv, start>B>A>null (docs/attribution.md).
    # Transition matrix (rows from, columns to):
    #   start: A 2/3, B 1/3
    #   A:     B 1/3, conv 1/3, null 1/3
    #   B:     A 1/2, C 1/2
    #   C:     conv 1
    # Absorption in conv, x_s = P(conv | in s):
    #   x_C = 1; x_B = x_A/2 + 1/2; x_A = x_B/3 + 1/3 -> x_A = 1/6 + x_A/6 + 1/3 -> x_A = 3/5,
    #   x_B = 4/5, x_start = 2/3 * 3/5 + 1/3 * 4/5 = 2/3.
    # Remove A (x_A = 0): x_B = 1/2, x_start = 1/3 * 1/2 = 1/6     -> RE_A = 1 - (1/6)/(2/3) = 3/4.
    # Remove B (x_B = 0): x_A = 1/3, x_start = 2/3 * 1/3 = 2/9     -> RE_B = 1 - (2/9)/(2/3) = 2/3.
    # Remove C (x_C = 0): x_A = x_A/6 + 1/3 -> 2/5, x_B = 1/5,
    #   x_start = 2/3 * 2/5 + 1/3 * 1/5 = 1/3                      -> RE_C = 1 - (1/3)/(2/3) = 1/2.
    effects = markov_removal_effects({("A", "B", "C"): 1, ("A",): 1}, {("B", "A"): 1})
    assert effects == pytest.approx({"A": 3 / 4, "B": 2 / 3, "C": 1 / 2}, rel=1e-14)


def test_markov_credit_of_worked_example_matches_hand_algebra(worked_example):
    # Removal effects above sum to 3/4 + 2/3 + 1/2 = 23/12, so the shares are 9/23, 8/23
    # and 6/23 of the 2 conversions and of the $150.
    result = attribute(worked_example, model="markov")
    got = {c.channel: (c.conversions, c.revenue, c.removal_effect) for c in result.credits}
    assert got["A"] == pytest.approx((18 / 23, 150 * 9 / 23, 3 / 4), rel=1e-14)
    assert got["B"] == pytest.approx((16 / 23, 150 * 8 / 23, 2 / 3), rel=1e-14)
    assert got["C"] == pytest.approx((12 / 23, 150 * 6 / 23, 1 / 2), rel=1e-14)
    assert result.non_converting_journeys == 1


def test_markov_without_the_non_converting_journey_changes_as_computed_by_hand(events_from):
    # Only start>A>B>C>conv and start>A>conv: start: A 1; A: B 1/2, conv 1/2; B: C 1; C: conv 1.
    # P(conv) = 1. Remove A: 0 -> RE 1. Remove B: 1/2 -> RE 1/2. Remove C: 1/2 -> RE 1/2.
    # Shares 1/2, 1/4, 1/4 of 2 conversions.
    rows = [
        (1, "2024-01-01", "visit", "A", None),
        (1, "2024-01-02", "visit", "B", None),
        (1, "2024-01-03", "visit", "C", None),
        (1, "2024-01-04", "purchase", None, 100.0),
        (2, "2024-01-01", "visit", "A", None),
        (2, "2024-01-02", "purchase", None, 50.0),
    ]
    result = attribute(events_from(rows), model="markov")
    got = {c.channel: c.conversions for c in result.credits}
    assert got == pytest.approx({"A": 1.0, "B": 0.5, "C": 0.5}, rel=1e-14)


def test_removal_effects_match_puzyrov_2019_worked_example():
    # S. Puzyrov (2019), "Markov Chain Attribution - Simple Explanation of Removal Effect":
    # google ads (2 conv), mailing (1 conv), google ads > mailing (1 conv), google ads (null).
    # start: G 4/5, M 1/5; G: conv 1/2, M 1/4, null 1/4; M: conv 1.
    # P(conv) = 4/5 * (1/2 + 1/4) + 1/5 = 4/5. Without G: 1/5 -> RE 3/4.
    # Without M: 4/5 * 1/2 = 2/5 -> RE 1/2. Shares 0.6 and 0.4 of 4 conversions: 2.4, 1.6.
    effects = markov_removal_effects(
        {("google ads",): 2, ("mailing",): 1, ("google ads", "mailing"): 1},
        {("google ads",): 1},
    )
    assert effects == pytest.approx({"google ads": 0.75, "mailing": 0.5}, rel=1e-14)


def test_removal_effects_of_a_channel_every_conversion_needs_are_one():
    # C1>C2>C3 conv, C1 null, C2>C3 null. start: C1 2/3, C2 1/3; C1: C2 1/2, null 1/2;
    # C2: C3 1; C3: conv 1/2, null 1/2. P = 2/3*1/2*1/2 + 1/3*1/2 = 1/3.
    # Without C1: 1/3 * 1/2 = 1/6 -> RE 1/2; without C2 or C3 nothing converts -> RE 1.
    effects = markov_removal_effects({("C1", "C2", "C3"): 1}, {("C1",): 1, ("C2", "C3"): 1})
    assert effects == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0}, rel=1e-14)


def test_self_loops_do_not_change_removal_effects():
    # A first-order chain with A>A>B absorbs like A>B: the self-loop only delays.
    plain = markov_removal_effects({("A", "B"): 2, ("B",): 1}, {("A",): 1})
    looped = markov_removal_effects({("A", "A", "B"): 2, ("B", "B"): 1}, {("A", "A", "A"): 1})
    assert looped == pytest.approx(plain, rel=1e-12)


def _absorption_by_matrix_power(converting, non_converting, removed=None):
    """Independent check: P(conv) from the full chain raised to a high power."""
    names = sorted({c for paths in (converting, non_converting) for p in paths for c in p})
    index = {name: i + 1 for i, name in enumerate(names)}
    size = len(names) + 3
    conv, null = size - 2, size - 1
    counts = np.zeros((size, size))
    for paths, end in ((converting, conv), (non_converting, null)):
        for path, n in paths.items():
            states = [0, *(index[c] for c in path), end]
            for a, b in itertools.pairwise(states):
                counts[a, b] += n
    counts[conv, conv] = counts[null, null] = 1
    matrix = counts / counts.sum(axis=1, keepdims=True).clip(min=1e-300)
    if removed is not None:
        s = index[removed]
        matrix[:, null] += matrix[:, s]
        matrix[:, s] = 0
        matrix[s] = 0
        matrix[s, null] = 1
    power = np.linalg.matrix_power(matrix, 2**16)
    return power[0, conv]


paths = st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4).map(tuple)


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(paths, st.integers(1, 5), min_size=1, max_size=5),
    st.dictionaries(paths, st.integers(1, 5), max_size=5),
)
def test_removal_effects_match_matrix_power_of_the_chain(converting, non_converting):
    effects = markov_removal_effects(converting, non_converting)
    base = _absorption_by_matrix_power(converting, non_converting)
    for channel, effect in effects.items():
        kept = _absorption_by_matrix_power(converting, non_converting, removed=channel)
        assert effect == pytest.approx(1 - kept / base, abs=1e-9)
        assert 0.0 <= effect <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ({(): 1},),
            (
                "The 'converting' parameter of markov_removal_effects must map non-empty tuples of "
                "channel names to counts. Got the path () instead."
            ),
        ),
        (
            ({("A",): 1}, {"AB": 1}),
            (
                "The 'non_converting' parameter of markov_removal_effects must map non-empty tuples of "
                "channel names to counts. Got the path 'AB' instead."
            ),
        ),
        (
            ({("A",): -1},),
            "The 'converting' parameter of markov_removal_effects must be >= 0. Got -1 instead.",
        ),
    ],
)
def test_markov_removal_effects_bad_input_raises_named_error(args, message):
    with pytest.raises(InvalidInputError) as excinfo:
        markov_removal_effects(*args)
    assert str(excinfo.value) == message
