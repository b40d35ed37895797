"""Tests of retention_kpis.stats.proportions against statsmodels and Newcombe (1998)."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from retention_kpis import (
    InvalidInputError,
    proportion_difference_interval,
    proportion_interval,
    two_proportion_ztest,
)

GRID = [(0, 1), (0, 20), (1, 20), (7, 20), (19, 20), (20, 20), (30, 1_000), (512, 1_000), (3, 120)]
LEVELS = [0.8, 0.95, 0.99]


@pytest.mark.parametrize(("successes", "trials"), GRID)
@pytest.mark.parametrize("confidence", LEVELS)
@pytest.mark.parametrize("method", ["wilson", "jeffreys"])
def test_interval_matches_statsmodels_proportion_confint(successes, trials, confidence, method):
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method=method)
    got_low, got_high = proportion_interval(successes, trials, confidence=confidence, method=method)
    # statsmodels keeps Jeffreys' Beta quantiles at the edges; Brown, Cai & DasGupta (2001,
    # section 4.1.2) set the lower bound to 0 at x = 0 and the upper to 1 at x = n.
    assert got_low == (0.0 if successes == 0 else pytest.approx(low, abs=1e-12))
    assert got_high == (1.0 if successes == trials else pytest.approx(high, abs=1e-12))


@pytest.mark.parametrize(("successes", "trials"), GRID)
def test_wilson_lies_within_statsmodels_agresti_coull(successes, trials):
    # Agresti & Coull (1998): their interval is centred like Wilson's and always contains it.
    ac_low, ac_high = proportion_confint(successes, trials, method="agresti_coull")
    low, high = proportion_interval(successes, trials)
    assert max(ac_low, 0.0) <= low + 1e-12
    assert high <= min(ac_high, 1.0) + 1e-12


@pytest.mark.parametrize("method", ["wilson", "jeffreys"])
def test_bounds_are_exact_at_zero_and_n(method):
    assert proportion_interval(0, 37, method=method)[0] == 0.0
    assert proportion_interval(37, 37, method=method)[1] == 1.0


def test_no_trials_gives_nan_bounds():
    assert all(math.isnan(b) for b in proportion_interval(0, 0))


def test_wilson_matches_hand_calculation():
    # 30 / 1000, z = 1.959964, z^2 = 3.841459: centre (0.03 + 0.0019207) / 1.0038415
    # = 0.0317986; half 1.959964 / 1.0038415 * sqrt(0.0291e-3 + 3.841459 / 4e6)
    # = 1.952464 * 0.00548274 = 0.0107049.
    low, high = proportion_interval(30, 1_000)
    assert low == pytest.approx(0.0317986 - 0.0107049, abs=3e-7)
    assert high == pytest.approx(0.0317986 + 0.0107049, abs=3e-7)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
        ((0, 10, 0, 20), (-0.1611, 0.2775)),
        ((10, 10, 0, 20), (0.6791, 1.0000)),
    ],
)
def test_difference_matches_newcombe_1998_table_ii_method_10(counts, expected):
    assert proportion_difference_interval(*counts) == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(
    "counts", [(56, 70, 48, 80), (1, 40, 9, 41), (300, 1_000, 270, 1_010), (0, 5, 5, 5)]
)
@pytest.mark.parametrize("confidence", LEVELS)
def test_difference_matches_statsmodels_newcomb(counts, confidence):
    expected = confint_proportions_2indep(
        *counts, method="newcomb", compare="diff", alpha=1 - confidence
    )
    got = proportion_difference_interval(*counts, confidence=confidence)
    assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "counts", [(56, 70, 48, 80), (1, 40, 9, 41), (300, 1_000, 270, 1_010), (12, 12, 3, 20)]
)
def test_ztest_matches_statsmodels_pooled_proportions_ztest(counts):
    x1, n1, x2, n2 = counts
    _, expected = proportions_ztest([x1, x2], [n1, n2])
    assert two_proportion_ztest(*counts) == pytest.approx(expected, rel=1e-12)


def test_ztest_without_variance_is_one_and_without_trials_nan():
    assert two_proportion_ztest(0, 10, 0, 30) == 1.0
    assert math.isnan(two_proportion_ztest(0, 0, 3, 30))


def test_errors_name_the_parameter():
    with pytest.raises(
        InvalidInputError,
        match=r"^The 'successes' parameter of proportion_interval must be <= 'trials' \(3\)\. Got 4 instead\.$",
    ):
        proportion_interval(4, 3)
    with pytest.raises(
        InvalidInputError,
        match=r"^The 'confidence' parameter of proportion_interval must be in \(0, 1\)\. Got 95 instead\.$",
    ):
        proportion_interval(1, 3, confidence=95)
    with pytest.raises(
        InvalidInputError,
        match=r"^The 'method' parameter of proportion_interval must be one of 'wilson', 'jeffreys'\. Got 'wald' instead\.$",
    ):
        proportion_interval(1, 3, method="wald")  # type: ignore[arg-type]
    with pytest.raises(
        InvalidInputError,
        match=r"'trials2' parameter of proportion_difference_interval must be >= 0",
    ):
        proportion_difference_interval(1, 3, 0, -1)
