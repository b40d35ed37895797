"""Tests of retention_kpis.stats.nps: the trinomial Wald and adjusted-Wald intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from retention_kpis import InvalidInputError, NPSEstimate, nps_interval


def _trinomial_mean_interval(promoters, passives, detractors, confidence):
    """Independent form: the mean of +1/0/-1 answers with the population variance
    (the 'trinomial means' method of Sauro & Lewis is this with n - 1)."""
    answers = np.repeat([1.0, 0.0, -1.0], [promoters, passives, detractors])
    z = norm.ppf(0.5 + confidence / 2)
    half = z * answers.std(ddof=0) / math.sqrt(answers.size)
    return 100 * (answers.mean() - half), 100 * (answers.mean() + half)


@pytest.mark.parametrize("counts", [(3, 2, 1), (50, 30, 20), (12, 40, 48), (400, 350, 250)])
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_wald_equals_the_trinomial_mean_interval(counts, confidence):
    expected = _trinomial_mean_interval(*counts, confidence)
    got = nps_interval(*counts, confidence=confidence, method="wald")
    assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("counts", [(3, 2, 1), (50, 30, 20), (1, 0, 9)])
def test_adjusted_wald_is_wald_on_the_measuringu_adjusted_counts(counts):
    # MeasuringU / Sauro & Lewis: add 3 to n, 3/4 to promoters and detractors (so 3/2 to
    # passives), then the same variance: the Wald interval of the adjusted tallies.
    promoters, passives, detractors = counts
    answers_weights = np.array([promoters + 0.75, passives + 1.5, detractors + 0.75])
    n = answers_weights.sum()
    p, d = answers_weights[0] / n, answers_weights[2] / n
    half = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / n)
    expected = (max(-100, 100 * (p - d - half)), min(100, 100 * (p - d + half)))
    assert nps_interval(*counts) == pytest.approx(expected, abs=1e-9)


def test_adjusted_wald_matches_hand_calculation():
    # 50 promoters, 30 passives, 20 detractors: n' = 103, p' = 50.75/103 = 0.492718,
    # d' = 20.75/103 = 0.201456, NPS' = 0.291262, Var = (0.694175 - 0.084834)/103
    # = 0.00591593, half = 1.959964 * 0.0769151 = 0.150751 -> [14.051, 44.201].
    low, high = nps_interval(50, 30, 20)
    assert low == pytest.approx(14.051, abs=1e-3)
    assert high == pytest.approx(44.201, abs=1e-3)


def test_bounds_stay_within_minus_100_and_100():
    assert nps_interval(10, 0, 0, method="wald") == (100.0, 100.0)
    low, high = nps_interval(10, 0, 0)
    assert high == 100.0
    assert low < 100.0
    low, high = nps_interval(0, 1, 9)
    assert low == -100.0


def test_no_respondents_gives_nan():
    assert all(math.isnan(b) for b in nps_interval(0, 0, 0))


def test_model_keeps_counts_and_round_trips_json():
    estimate = NPSEstimate.from_counts(3, 2, 1, method="wald")
    assert estimate.value == pytest.approx(100 * 2 / 6)
    assert (estimate.ci_low, estimate.ci_high) == nps_interval(3, 2, 1, method="wald")
    assert NPSEstimate.model_validate_json(estimate.model_dump_json()) == estimate


def test_errors_name_the_parameter():
    with pytest.raises(
        InvalidInputError,
        match=r"^The 'detractors' parameter of nps_interval must be >= 0\. Got -1 instead\.$",
    ):
        nps_interval(1, 1, -1)
    with pytest.raises(
        InvalidInputError,
        match=r"'method' parameter of nps_interval must be one of 'adjusted_wald', 'wald'",
    ):
        nps_interval(1, 1, 1, method="bootstrap")  # type: ignore[arg-type]
