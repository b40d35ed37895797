"""Tests of retention_kpis.clv.mbgnbd (MBG/NBD, Batislam, Denizel & Filiztekin 2007)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis.clv import BetaGeoModel, ModifiedBetaGeoModel
from retention_kpis.clv._beta_geo_math import BetaGeoLikelihood
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import ConvergenceError, InvalidInputError

FHL_2005 = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()


@pytest.fixture
def model():
    return ModifiedBetaGeoModel.from_params(**FHL_2005)


def test_mbgnbd_fit_matches_lifetimes_0_11_3_cdnow(cdnow):
    # No published MBG/NBD estimates for CDNOW were found (Batislam et al. 2007 use other data).
    # Reference: lifetimes 0.11.3 ModifiedBetaGeoFitter().fit(frequency, recency, T) on the same
    # file; LL = -ModifiedBetaGeoFitter._negative_log_likelihood(log params, ..., penalizer 0) * 2357.
    fitted = ModifiedBetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    lifetimes = {
        "r": 0.5248377255676637,
        "alpha": 6.1829884791339715,
        "a": 0.8913562809311422,
        "b": 1.6140000256721438,
    }
    for name, value in lifetimes.items():
        assert getattr(fitted.params, name) == pytest.approx(value, abs=5e-4)
    assert fitted.log_likelihood == pytest.approx(-9582.13268489992, abs=0.05)


def test_mbgnbd_predictions_match_lifetimes_0_11_3(model):
    # lifetimes 0.11.3 ModifiedBetaGeoFitter with params_ = FHL 2005's BG/NBD estimates (used only
    # as a parameter point): expected_number_of_purchases_up_to_time, conditional_expected_...,
    # conditional_probability_alive, probability_of_n_purchases_up_to_time.
    new = model.expected_purchases_new_customer([39, 78])
    assert new == pytest.approx([0.9911265335840332, 1.5804734554010353], rel=1e-10)
    conditional = model.expected_purchases(
        [39, 10, 39], [2, 0, 50], [30.43, 0, 38], [38.86, 38.86, 39]
    )
    assert conditional == pytest.approx(
        [1.3404974284912061, 0.03487117985906399, 33.22692864415839], rel=1e-10
    )
    alive = model.probability_alive([0, 2, 5], [0, 30.43, 10], [38.86, 38.86, 39])
    assert alive == pytest.approx(
        [0.6372533379648954, 0.7744192426236461, 0.028088129513785656], rel=1e-12
    )
    p_n = model.probability_of_purchases([0, 1, 2, 5], 39)
    expected = [0.6787839981935129, 0.13703024082634008, 0.06428041955009586, 0.015325192201498153]
    assert p_n == pytest.approx(expected, rel=1e-10)


def test_mbgnbd_probability_alive_without_repeat_purchases_matches_hand_calculation(model):
    # Batislam et al. 2007: P(alive | x=0, T) = 1 / (1 + a/b * ((alpha+T)/alpha)^r)
    # = 1 / (1 + 0.793/2.426 * (43.274/4.414)^0.243) = 1 / (1 + 0.32688 * 1.74150) = 0.63725.
    assert model.probability_alive(0, 0, 38.86) == pytest.approx([0.63725], abs=1e-5)


def test_mbgnbd_expected_purchases_below_bgnbd_for_same_params(model):
    # MBG/NBD adds a dropout opportunity at time 0, so with equal parameters it predicts fewer purchases.
    bg = BetaGeoModel.from_params(**FHL_2005)
    assert np.all(
        model.expected_purchases_new_customer([1, 39, 500])
        < bg.expected_purchases_new_customer([1, 39, 500])
    )


@pytest.mark.parametrize("params", [(0.525, 6.183, 0.891, 1.614), (5.0, 0.02, 0.3, 80.0)])
def test_mbgnbd_gradient_matches_central_differences(cdnow, params):
    x = np.concatenate([cdnow["frequency"].to_numpy(float), [1e5, 0.0]])
    t_x = np.concatenate([cdnow["recency"].to_numpy(float), [1e4, 0.0]])
    T = np.concatenate([cdnow["T"].to_numpy(float), [1e4, 1e4]])
    likelihood = BetaGeoLikelihood(x, t_x, T, np.ones(len(x)), 1)
    log_theta = np.log(params)
    _, gradient = likelihood(np.exp(log_theta))
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6
        numeric = (
            likelihood(np.exp(log_theta + step))[0] - likelihood(np.exp(log_theta - step))[0]
        ) / 2e-6
        assert gradient[j] == pytest.approx(numeric, rel=1e-5, abs=1e-3)


def test_mbgnbd_weighted_duplicates_fit_equals_expanded_fit(cdnow):
    head = cdnow.iloc[:500]
    counts = np.arange(500) % 2 + 1
    expanded = head.loc[head.index.repeat(counts)]
    weighted = ModifiedBetaGeoModel().fit(
        head["frequency"], head["recency"], head["T"], weights=counts
    )
    plain = ModifiedBetaGeoModel().fit(expanded["frequency"], expanded["recency"], expanded["T"])
    assert weighted.params.as_array() == pytest.approx(plain.params.as_array(), rel=1e-6)


def test_mbgnbd_all_zero_frequencies_raise_convergence_error():
    with pytest.raises(ConvergenceError, match=r"ModifiedBetaGeoModel\.fit needs repeat purchases"):
        ModifiedBetaGeoModel().fit([0, 0], [0, 0], [10, 20])


def test_mbgnbd_from_params_rejects_non_positive():
    with pytest.raises(InvalidInputError, match=r"got \['b'\]"):
        ModifiedBetaGeoModel.from_params(r=1, alpha=1, a=1, b=0)


def test_mbgnbd_rejects_recency_larger_than_t(model):
    with pytest.raises(
        InvalidInputError, match=r"Some values in recency are larger than T \(2 rows\)\."
    ):
        model.expected_purchases(10, [1, 2], [11, 12], [10, 10])


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(*[st.floats(1e-3, 1e3)] * 4),
    st.tuples(st.integers(0, 100_000), st.floats(0.0, 1e4)),
    st.floats(0.0, 1e3),
)
def test_mbgnbd_finite_and_in_range_on_extreme_inputs(params, customer, t):
    r, alpha, a, b = params
    x, T = customer
    t_x = T if x > 0 else 0.0
    likelihood = BetaGeoLikelihood(
        np.array([float(x)]), np.array([t_x]), np.array([T]), np.ones(1), 1
    )
    value, gradient = likelihood(np.array([r, alpha, a, b]))
    assert math.isfinite(value)
    assert np.isfinite(gradient).all()
    fitted = ModifiedBetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    alive = fitted.probability_alive(x, t_x, T)[0]
    assert 0.0 <= alive <= 1.0
    expectations = fitted.expected_purchases(np.array([0.0, t, 2 * t + 1]), x, t_x, T)
    assert np.isfinite(expectations).all()
    assert np.all(np.diff(expectations) >= -1e-7 * expectations[1:])  # up to rounding


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.05, 20),
    st.floats(0.5, 50),
    st.floats(0.05, 20),
    st.floats(0.05, 20),
    st.floats(0.1, 100),
)
def test_mbgnbd_probability_of_purchases_sums_to_one_with_mean_eq_expectation(r, alpha, a, b, t):
    fitted = ModifiedBetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    n = np.arange(20_000)
    probabilities = fitted.probability_of_purchases(n, t)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    mean = float(n @ probabilities)
    assert fitted.expected_purchases_new_customer(t)[0] == pytest.approx(mean, rel=1e-5, abs=1e-9)
