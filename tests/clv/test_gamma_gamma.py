"""Tests of retention_kpis.clv.gamma_gamma."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from retention_kpis.clv import GammaGammaModel, GammaGammaParams
from retention_kpis.clv.gamma_gamma import _derivatives, _negative_log_likelihood, _Sufficient
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import InvalidInputError


@pytest.fixture(scope="module")
def cdnow():
    # columns x, zbar of lifetimes' cdnow_customers_summary_with_transactions.csv
    return load_cdnow_summary().rename(columns={"frequency": "x", "monetary_value": "zbar"})


@pytest.fixture(scope="module")
def fitted(cdnow):
    # The whole summary: the 1,411 customers with x = 0 are ignored by rule.
    return GammaGammaModel().fit(cdnow["x"], cdnow["zbar"])


@pytest.fixture
def published():
    return GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)


def test_gamma_gamma_params_match_fader_hardie_2013_cdnow(fitted, cdnow):
    # Fader & Hardie (2013), "The Gamma-Gamma model of monetary value": p = 6.25,
    # q = 3.74, gamma = 15.44 on the 946 CDNOW repeat buyers. The exact maximum is at
    # v = 15.4477 (lifetimes 0.11.3 GammaGammaFitter: 15.447748), within 0.01.
    assert int((cdnow["x"] > 0).sum()) == 946
    assert fitted.params.p == pytest.approx(6.25, abs=5e-3)
    assert fitted.params.q == pytest.approx(3.74, abs=5e-3)
    assert fitted.params.v == pytest.approx(15.44, abs=1e-2)


def test_gamma_gamma_params_match_lifetimes_fit(fitted):
    # lifetimes 0.11.3 GammaGammaFitter().fit(x, zbar) on the 946 repeat buyers:
    # p = 6.248802, q = 3.744588, v = 15.447748 (printed to 6 decimals).
    np.testing.assert_allclose(fitted.params.as_array(), [6.248802, 3.744588, 15.447748], atol=2e-5)


def test_gamma_gamma_zero_frequency_rows_do_not_change_the_fit(fitted, cdnow):
    buyers = cdnow[cdnow["x"] > 0]
    only_buyers = GammaGammaModel().fit(buyers["x"], buyers["zbar"])
    assert only_buyers.params == fitted.params
    assert only_buyers.log_likelihood == fitted.log_likelihood


def test_gamma_gamma_population_mean_matches_hand_calculation(published):
    # p v / (q - 1) = 6.25 * 15.44 / 2.74 = 96.5 / 2.74 = 35.21897810...
    assert published.population_mean_value() == pytest.approx(96.5 / 2.74, rel=1e-14)


def test_gamma_gamma_conditional_expectation_matches_lifetimes(published):
    # lifetimes 0.11.3 GammaGammaFitter with params_ set to (6.25, 3.74, 15.44):
    # conditional_expected_average_profit([2, 1, 6, 0], [22.35, 11.77, 40.0, 0.0]).
    np.testing.assert_allclose(
        published.expected_average_value([2, 1, 6, 0], [22.35, 11.77, 40.0, 0.0]),
        [24.663713910761157, 18.91685205784205, 39.67445328031809, 35.21897810218978],
        rtol=1e-13,
    )


def test_gamma_gamma_conditional_expectation_matches_hand_calculation(published):
    # x = 2, zbar = 22.35: p (v + x zbar) / (p x + q - 1) = 6.25 * 60.14 / 15.24 = 375.875 / 15.24
    assert published.expected_average_value(2, 22.35)[0] == pytest.approx(375.875 / 15.24)


def test_gamma_gamma_zero_frequency_ignores_nan_monetary_value(published):
    value = published.expected_average_value([0, 0], [math.nan, 123.0])
    np.testing.assert_allclose(value, [96.5 / 2.74] * 2)


def test_gamma_gamma_gradient_matches_central_differences(cdnow):
    buyers = cdnow[cdnow["x"] > 0]
    x, zbar = buyers["x"].to_numpy(float), buyers["zbar"].to_numpy(float)
    w = np.ones(len(x))
    for point in ([6.25, 3.74, 15.44], [0.5, 20.0, 2.0], [40.0, 1.2, 300.0]):
        log_params = np.log(point)
        _, analytic = _negative_log_likelihood(log_params, x, zbar, w)
        numeric = np.empty(3)
        for j in range(3):
            up, down = log_params.copy(), log_params.copy()
            up[j] += 1e-6
            down[j] -= 1e-6
            numeric[j] = (
                _negative_log_likelihood(up, x, zbar, w)[0]
                - _negative_log_likelihood(down, x, zbar, w)[0]
            ) / 2e-6
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-4)


def test_gamma_gamma_weights_equal_repeated_rows():
    # Spend simulated from the model itself (p=6, q=4, v=15: FHL 2005's CDNOW fit, rounded), so
    # the parameters are identified. (Five hand-picked customers had their MLE at p -> inf,
    # v -> 0: a fit there converges or not by rounding luck and says nothing about weights.)
    rng = np.random.default_rng(7)
    x = rng.integers(1, 8, size=60).astype(float)
    nu = rng.gamma(4.0, 1 / 15.0, size=60)
    zbar = rng.gamma(6.0 * x, 1 / (nu * x)).tolist()
    x = x.tolist()
    repeated = GammaGammaModel().fit(x + x[:20], zbar + zbar[:20])
    weighted = GammaGammaModel().fit(x, zbar, weights=[2] * 20 + [1] * 40)
    np.testing.assert_allclose(weighted.params.as_array(), repeated.params.as_array(), rtol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0, 1e5),
    st.floats(1e-6, 1e6),
    st.tuples(st.floats(-8, 8), st.floats(0.01, 8), st.floats(-8, 8)),
)
def test_gamma_gamma_expectation_is_between_population_mean_and_own_mean(x, zbar, params):
    model = GammaGammaModel.from_params(
        p=math.exp(params[0]), q=1 + params[1], v=math.exp(params[2])
    )
    value = model.expected_average_value(x, zbar)[0]
    mean = model.population_mean_value()
    assert math.isfinite(value)
    if x > 0:  # a weighted mean of the two
        assert min(mean, zbar) * (1 - 1e-9) <= value <= max(mean, zbar) * (1 + 1e-9)
    else:
        assert value == pytest.approx(mean)


def test_gamma_gamma_json_round_trip(fitted):
    restored = GammaGammaModel.from_json(fitted.to_json())
    assert restored.params == fitted.params
    assert isinstance(restored.params, GammaGammaParams)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda m: m.fit([1, 2, 0], [10.0, 0.0, 0.0]),
            "monetary_value must be > 0 and finite for customers with frequency > 0; 1 row(s) are not.",
        ),
        (
            lambda m: m.fit([0, 0], [0.0, 0.0]),
            "GammaGammaModel.fit needs at least one customer with frequency > 0; got none.",
        ),
        (
            lambda m: m.fit([1, 2], [10.0]),
            "Inputs must have the same length; got frequency=2, monetary_value=1, weights=2.",
        ),
        (lambda m: m.fit([-1], [10.0]), "frequency must be >= 0; 1 value(s) are negative."),
        (
            lambda m: m.fit([1], ["a"]),
            "monetary_value must be numeric; could not convert it to floats (could not convert string to float: 'a').",
        ),
    ],
)
def test_gamma_gamma_fit_bad_input_raises_named_error(call, message):
    with pytest.raises(InvalidInputError) as excinfo:
        call(GammaGammaModel())
    assert str(excinfo.value) == message


def test_gamma_gamma_q_at_most_one_is_undefined():
    model = GammaGammaModel.from_params(p=0.1, q=0.9, v=5.0)
    with pytest.raises(InvalidInputError) as excinfo:
        model.expected_average_value([0, 5], [0.0, 10.0])
    assert str(excinfo.value) == (
        "The expected average value is infinite where p * frequency + q <= 1 (q = 0.9); 1 row(s)."
    )
    with pytest.raises(InvalidInputError, match=r"undefined for q <= 1 \(q = 0.9\)"):
        model.population_mean_value()
    # 0.1 * 5 + 0.9 > 1: defined, p (v + x zbar) / (p x + q - 1) = 0.1 * 55 / 0.4
    assert model.expected_average_value(5, 10.0)[0] == pytest.approx(0.1 * 55 / 0.4)


def test_gamma_gamma_hessian_matches_central_differences_of_the_gradient(cdnow):
    buyers = cdnow[cdnow["x"] > 0]
    data = _Sufficient(
        buyers["x"].to_numpy(float), buyers["zbar"].to_numpy(float), np.ones(len(buyers))
    )
    for point in ([6.25, 3.74, 15.44], [0.5, 20.0, 2.0], [40.0, 1.2, 300.0]):
        log_params = np.log(point)
        _, _, analytic = _derivatives(log_params, data, hessian=True)
        numeric = np.empty((3, 3))
        for j in range(3):
            up, down = log_params.copy(), log_params.copy()
            up[j] += 1e-5
            down[j] -= 1e-5
            numeric[:, j] = (
                _derivatives(up, data, hessian=False)[1]
                - _derivatives(down, data, hessian=False)[1]
            ) / 2e-5
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-4)


def test_gamma_gamma_newton_fit_equals_a_plain_lbfgs_fit():
    # 60,000 simulated repeat buyers (above the sample start's threshold): the fit (Newton
    # from a sample's optimum) reaches scipy's L-BFGS-B optimum from the zeros.
    rng = np.random.default_rng(3)
    n = 60_000
    x = rng.integers(1, 30, n).astype(float)
    nu = rng.gamma(3.74, 1 / 15.44, n)
    zbar = rng.gamma(6.25 * x, 1 / (nu * x))
    w = np.ones(n)

    def scaled(log_params):
        value, grad = _negative_log_likelihood(log_params, x, zbar, w)
        return value / n, grad / n

    plain = minimize(
        scaled, np.zeros(3), jac=True, method="L-BFGS-B", options={"ftol": 1e-15, "gtol": 1e-10}
    )
    model = GammaGammaModel().fit(x, zbar)
    assert model.log_likelihood == pytest.approx(-plain.fun * n, rel=1e-12)
    np.testing.assert_allclose(np.log(model.params.as_array()), plain.x, atol=1e-5)
