"""Tests of retention_kpis.clv.sbg (shifted-beta-geometric model)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln

from retention_kpis.clv import ShiftedBetaGeometricModel, ShiftedBetaGeometricParams
from retention_kpis.clv.sbg import _negative_log_likelihood
from retention_kpis.datasets import load_sbg_cohorts
from retention_kpis.exceptions import InvalidInputError


@pytest.fixture(scope="module")
def retention():
    return load_sbg_cohorts()


@pytest.fixture
def individual(sbg_customers):
    # pymc-marketing's sbg_paper.csv (the tests/conftest.py fixture, checked byte for byte
    # against that file in tests/datasets)
    return sbg_customers


def _survival_by_hand(alpha, beta, t):
    # S(t) = prod_{i=1}^{t} r_i with r_i = (beta + i - 1) / (alpha + beta + i - 1)
    # (Fader & Hardie 2007, eq. 8): an independent route from the beta-function form.
    return math.prod((beta + i - 1) / (alpha + beta + i - 1) for i in range(1, t + 1))


@pytest.mark.parametrize(
    ("cohort", "alpha", "beta"),
    [("regular", 0.704, 1.182), ("highend", 0.668, 3.806)],
)
def test_sbg_params_match_fader_hardie_2007(retention, cohort, alpha, beta):
    # Fader & Hardie (2007), "How to project customer retention", J. Interactive
    # Marketing 21(1): sBG fitted to years 0-7 of the two 1,000-customer cohorts gives
    # regular alpha = 0.704, beta = 1.182 and high end alpha = 0.668, beta = 3.806.
    model = ShiftedBetaGeometricModel().fit(retention[cohort].to_numpy()[:8])
    assert model.params.alpha == pytest.approx(alpha, abs=5e-4)
    assert model.params.beta == pytest.approx(beta, abs=5e-4)


@pytest.mark.parametrize("cohort", ["regular", "highend"])
def test_sbg_individual_fit_of_pymc_sbg_paper_equals_cohort_fit(retention, individual, cohort):
    # sbg_paper.csv (pymc-marketing) holds the same 1,000 customers one row each;
    # the per-customer likelihood is the cohort likelihood, so fits coincide.
    cohort_fit = ShiftedBetaGeometricModel().fit(retention[cohort].to_numpy()[:8])
    rows = individual[individual["cohorts"] == cohort]
    person_fit = ShiftedBetaGeometricModel().fit_individual(rows["recency"], rows["T"])
    assert person_fit.params.alpha == pytest.approx(cohort_fit.params.alpha, rel=1e-6)
    assert person_fit.params.beta == pytest.approx(cohort_fit.params.beta, rel=1e-6)
    assert person_fit.log_likelihood == pytest.approx(cohort_fit.log_likelihood, rel=1e-10)


def test_sbg_highend_projection_matches_jdmaturen_readme(retention):
    # jdmaturen/shifted_beta_geometric_py README (an independent implementation) fits the
    # high-end shares [.869, ..., .491] and predicts years 8-12:
    # [0.460, 0.436, 0.414, 0.395, 0.378].
    model = ShiftedBetaGeometricModel().fit(retention["highend"].to_numpy()[:8])
    projected = model.project(12, cohort_size=1.0)[8:]
    np.testing.assert_allclose(projected, [0.460, 0.436, 0.414, 0.395, 0.378], atol=5e-4)


def test_sbg_projection_matches_product_of_retention_rates():
    model = ShiftedBetaGeometricModel.from_params(alpha=0.704, beta=1.182)
    expected = [1000 * _survival_by_hand(0.704, 1.182, t) for t in range(13)]
    np.testing.assert_allclose(model.project(12, cohort_size=1000), expected, rtol=1e-12)


def test_sbg_shares_fit_same_params_as_counts(retention):
    counts = retention["regular"].to_numpy()[:8]
    by_counts = ShiftedBetaGeometricModel().fit(counts)
    by_shares = ShiftedBetaGeometricModel().fit(counts / 1000)
    assert by_shares.params.alpha == pytest.approx(by_counts.params.alpha, rel=1e-6)


def test_sbg_derl_matches_jdmaturen_readme(retention):
    # jdmaturen/shifted_beta_geometric_py README: high-end fit, discount 10%, t = 7 ->
    # "residual_cohort_lifetime = 7.530".
    model = ShiftedBetaGeometricModel().fit(retention["highend"].to_numpy()[:8])
    value = model.discounted_expected_residual_lifetime(0.10, renewals=7)
    assert value[0] == pytest.approx(7.530, abs=5e-4)


def _derl_brute_force(alpha, beta, d, n, terms=200_000):
    # DERL = sum_{k>=1} S(n + k) / S(n) / (1 + d)^(k - 1), summed directly
    # (Fader & Hardie 2010, eq. 6 before the 2F1 simplification).
    k = np.arange(1, terms, dtype=float)
    log_terms = betaln(alpha, beta + n + k) - betaln(alpha, beta + n) - (k - 1) * np.log1p(d)
    return float(np.exp(log_terms).sum())


@pytest.mark.parametrize("alpha", [0.05, 0.668, 1.0, 3.0, 250.0])
@pytest.mark.parametrize("beta", [0.1, 3.806, 500.0])
@pytest.mark.parametrize(("d", "n"), [(0.002, 0), (0.1, 7), (1.0, 1000), (10.0, 3)])
def test_sbg_derl_matches_brute_force_discounted_sum(alpha, beta, d, n):
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    value = model.discounted_expected_residual_lifetime(d, renewals=n)[0]
    assert value == pytest.approx(_derl_brute_force(alpha, beta, d, n), rel=1e-9)


def test_sbg_derl_zero_discount_is_residual_mean_or_inf():
    # d = 0: sum_k S(n+k)/S(n) = (beta + n) / (alpha - 1); alpha = 3, beta = 4:
    # n = 0 -> 4/2 = 2, n = 2 -> 6/2 = 3.
    model = ShiftedBetaGeometricModel.from_params(alpha=3.0, beta=4.0)
    np.testing.assert_allclose(
        model.discounted_expected_residual_lifetime(0.0, renewals=[0, 2]), [2.0, 3.0]
    )
    heavy = ShiftedBetaGeometricModel.from_params(alpha=0.9, beta=4.0)
    assert np.isinf(heavy.discounted_expected_residual_lifetime(0.0)[0])


def test_sbg_expected_lifetime_matches_sum_of_survival():
    # E[T] = sum_{t>=0} S(t), summed numerically with scipy's betaln.
    alpha, beta = 3.5, 2.0
    t = np.arange(0, 200_000, dtype=float)
    brute = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta)).sum()
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    assert model.expected_lifetime() == pytest.approx(brute, rel=1e-9)
    # (alpha + beta - 1) / (alpha - 1) = 4.5 / 2.5 = 1.8 by hand.
    assert model.expected_lifetime() == pytest.approx(1.8)


def test_sbg_expected_lifetime_is_infinite_when_alpha_at_most_one():
    assert math.isinf(
        ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=2.0).expected_lifetime()
    )


def test_sbg_hand_calculation_uniform_churn_probability():
    # alpha = beta = 1: theta ~ U(0, 1); S(t) = 1/(t+1), P(T=t) = 1/(t(t+1)),
    # r_t = t/(t+1).
    model = ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0)
    np.testing.assert_allclose(model.survival([0, 1, 2, 9]), [1, 1 / 2, 1 / 3, 1 / 10])
    np.testing.assert_allclose(model.probability_churn([1, 2, 3]), [1 / 2, 1 / 6, 1 / 12])
    np.testing.assert_allclose(model.retention_rate([1, 2, 3]), [1 / 2, 2 / 3, 3 / 4])


def test_sbg_gradient_matches_central_differences(retention):
    counts = retention["regular"].to_numpy()[:8].astype(float)
    periods = np.array([1, 2, 3, 4, 5, 6, 7, 7], dtype=float)
    censored = np.array([False] * 7 + [True])
    weights = np.append(-np.diff(counts), counts[-1])
    x = np.log([0.9, 1.7])
    _, grad = _negative_log_likelihood(x, periods, censored, weights)
    h = 1e-6
    for j in range(2):
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        numeric = (
            _negative_log_likelihood(up, periods, censored, weights)[0]
            - _negative_log_likelihood(down, periods, censored, weights)[0]
        ) / (2 * h)
        assert grad[j] == pytest.approx(numeric, rel=1e-6)


def test_sbg_standard_errors_and_json_round_trip(retention):
    model = ShiftedBetaGeometricModel().fit(retention["regular"].to_numpy()[:8])
    assert all(0 < se < 1 for se in model.standard_errors.values())
    again = ShiftedBetaGeometricModel.from_json(model.to_json())
    assert again.params == model.params
    assert isinstance(again.params, ShiftedBetaGeometricParams)


def test_sbg_fit_does_not_mutate_input(retention):
    frame = retention.copy()
    ShiftedBetaGeometricModel().fit(frame["regular"].iloc[:8])
    pd.testing.assert_frame_equal(frame, retention)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(1e-3, 1e4),
    st.floats(1e-3, 1e4),
    st.lists(st.integers(0, 100_000), min_size=1, max_size=5),
)
def test_sbg_predictions_are_finite_probabilities(alpha, beta, t):
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    survival = model.survival(sorted(t))
    assert np.all((survival >= 0) & (survival <= 1))
    assert np.all(np.diff(survival) <= 1e-15)
    churn_t = [v + 1 for v in t]
    rates = model.retention_rate(churn_t)
    assert np.all((rates > 0) & (rates < 1))
    churn = model.probability_churn(churn_t)
    assert np.all(np.isfinite(churn) & (churn >= 0) & (churn <= 1))


@settings(max_examples=40, deadline=None)
@given(st.floats(0.05, 50), st.floats(0.05, 50), st.integers(1, 60))
def test_sbg_churn_probabilities_and_survival_sum_to_one(alpha, beta, k):
    # P(T <= k) + P(T > k) = 1.
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    total = model.probability_churn(np.arange(1, k + 1)).sum() + model.survival(k)[0]
    assert total == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.3, 5.0), st.floats(0.5, 20.0), st.integers(4, 12))
def test_sbg_fit_is_finite_on_cohorts_drawn_from_the_model(alpha, beta, k):
    # Expected survivors of a 100,000-customer cohort, rounded (hand product formula).
    counts = [round(100_000 * _survival_by_hand(alpha, beta, t)) for t in range(k + 1)]
    model = ShiftedBetaGeometricModel().fit(counts)
    assert math.isfinite(model.log_likelihood)
    assert model.params.alpha == pytest.approx(alpha, rel=0.5)


@pytest.mark.parametrize(
    ("survivors", "message"),
    [
        ([1000], "survivors needs the cohort size and at least one later count; got 1 value(s)."),
        ([0, 0], "survivors[0] (the cohort size) must be > 0."),
        (
            [100, 80, 90],
            "survivors must be non-increasing (customers cannot come back); it rises at 1 period(s).",
        ),
        ([100, -1], "survivors must be >= 0; 1 value(s) are negative."),
        ([100, math.nan], "survivors must be finite; 1 value(s) are nan or inf."),
    ],
)
def test_sbg_fit_rejects_bad_survivors(survivors, message):
    with pytest.raises(InvalidInputError) as info:
        ShiftedBetaGeometricModel().fit(survivors)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("recency", "T", "message"),
    [
        ([1, 5], [3, 3], "Some values in recency are larger than T (1 row)."),
        ([0, 1], [3, 3], "recency must be >= 1; 1 value(s) are smaller."),
        ([1, 1], [1, 3], "T must be >= 2; 1 value(s) are smaller."),
        ([1.5, 1], [3, 3], "recency must hold whole numbers; 1 value(s) are fractional."),
        ([1, 2, 3], [3, 3], "Inputs must have the same length; got recency=3, T=2."),
    ],
)
def test_sbg_fit_individual_rejects_bad_rows(recency, T, message):
    with pytest.raises(InvalidInputError) as info:
        ShiftedBetaGeometricModel().fit_individual(recency, T)
    assert str(info.value) == message


def test_sbg_prediction_input_checks_use_library_messages():
    model = ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0)
    with pytest.raises(InvalidInputError) as info:
        model.discounted_expected_residual_lifetime(-0.1)
    assert str(info.value) == (
        "The 'discount_rate' parameter of discounted_expected_residual_lifetime "
        "must be >= 0. Got -0.1 instead."
    )
    with pytest.raises(InvalidInputError, match=r"^t must be >= 1; 1 value\(s\) are smaller\.$"):
        model.retention_rate(0)
    with pytest.raises(InvalidInputError) as info:
        model.project(-1)
    assert str(info.value) == "The 'n_periods' parameter of project must be >= 0. Got -1 instead."


def test_sbg_unfitted_model_raises_not_fitted():
    with pytest.raises(ValueError, match="not fitted yet"):
        ShiftedBetaGeometricModel().survival(1)
