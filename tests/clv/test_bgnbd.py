"""Tests of retention_kpis.clv.bgnbd (BG/NBD, Fader, Hardie & Lee 2005)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis.clv import BetaGeoModel, BetaGeoParams
from retention_kpis.clv._beta_geo_math import (
    BetaGeoLikelihood,
    _by_quadrature,
    _closed_form,
    expected_count,
)
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import ConvergenceError, InvalidInputError

FHL_2005 = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def fitted(cdnow):
    return BetaGeoModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture
def paper_model():
    return BetaGeoModel.from_params(**FHL_2005)


# -- published numbers ---------------------------------------------------------


def test_bgnbd_params_match_fader_hardie_lee_2005_cdnow(fitted):
    # FHL 2005, section 4: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    for name, value in FHL_2005.items():
        assert getattr(fitted.params, name) == pytest.approx(value, abs=5e-4)
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_bgnbd_conditional_expectation_matches_fader_hardie_lee_2005_section_5(paper_model):
    # FHL 2005, section 5: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make
    # 1.226 purchases in the next 39 weeks.
    value = paper_model.expected_purchases(39, 2, 30.43, 38.86)
    assert value == pytest.approx([1.226], abs=5e-4)


def test_bgnbd_predictions_match_lifetimes_0_11_3(paper_model):
    # lifetimes 0.11.3 BetaGeoFitter with params_ = (r, alpha, a, b) of FHL 2005, methods
    # expected_number_of_purchases_up_to_time, conditional_expected_number_of_purchases_up_to_time,
    # conditional_probability_alive and probability_of_n_purchases_up_to_time.
    new = paper_model.expected_purchases_new_customer([39, 78])
    assert new == pytest.approx([1.1967231933207985, 1.8605190579427455], rel=1e-10)
    conditional = paper_model.expected_purchases(
        [39, 10, 39], [2, 0, 50], [30.43, 0, 38], [38.86, 38.86, 39]
    )
    assert conditional == pytest.approx(
        [1.226028174767135, 0.05429984838044943, 33.069436713427855], rel=1e-10
    )
    alive = paper_model.probability_alive([0, 2, 5], [0, 30.43, 10], [38.86, 38.86, 39])
    assert alive == pytest.approx([1.0, 0.726578570080673, 0.024398008980840144], rel=1e-12)
    p_n = paper_model.probability_of_purchases([0, 1, 2, 5], 39)
    expected = [0.5737863520960094, 0.19939528083591135, 0.08542975953906072, 0.017965493866579044]
    assert p_n == pytest.approx(expected, rel=1e-10)


def test_bgnbd_fit_params_match_lifetimes_0_11_3_cdnow(fitted):
    # lifetimes 0.11.3 BetaGeoFitter().fit on the same file (its own optimiser, tolerance ~1e-6).
    lifetimes = {
        "r": 0.242592928279822,
        "alpha": 4.413532265271825,
        "a": 0.7928859664406758,
        "b": 2.4257523826258134,
    }
    for name, value in lifetimes.items():
        assert getattr(fitted.params, name) == pytest.approx(value, rel=1e-5)


def test_bgnbd_expected_count_quadrature_fallback_matches_mpmath():
    # Posterior parameters where scipy's hyp2f1 returns nan (r+x = 18.43, alpha+T = 21.08, a = 254,
    # b+x = 17.342, t = 765). Reference: mpmath 1.4.1 quad of
    # p^(a-2) (1-p)^(b-1) (1 - (1 + p t/alpha)^-r) / B(a, b) over 200 panels at 40 digits.
    value = expected_count(
        np.array([765.0]), np.array([18.43]), np.array([21.08]), 254.0, np.array([17.342])
    )
    assert value == pytest.approx([1.0685454545454545], rel=1e-9)


def test_bgnbd_expectation_is_continuous_at_a_equal_one():
    # a = 1 is a removable singularity of eq. 9: the value must lie between its neighbours.
    values = [
        BetaGeoModel.from_params(
            r=0.243, alpha=4.414, a=a, b=2.426
        ).expected_purchases_new_customer(39.0)[0]
        for a in (0.999, 1.0, 1.001)
    ]
    assert values[0] > values[1] > values[2]
    assert values[1] == pytest.approx((values[0] + values[2]) / 2, rel=1e-6)


# -- likelihood and gradient ---------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [(0.243, 4.414, 0.793, 2.426), (3.0, 0.01, 40.0, 0.2), (0.01, 500.0, 0.05, 300.0)],
)
def test_bgnbd_gradient_matches_central_differences(cdnow, params):
    rows = (
        cdnow["frequency"].to_numpy(float),
        cdnow["recency"].to_numpy(float),
        cdnow["T"].to_numpy(float),
    )
    extreme = (np.array([1e5, 3.0, 0.0]), np.array([1e4, 1e4, 0.0]), np.array([1e4, 1e4, 5.0]))
    x, t_x, T = (np.concatenate(pair) for pair in zip(rows, extreme, strict=True))
    likelihood = BetaGeoLikelihood(x, t_x, T, np.linspace(0.5, 2.0, len(x)), 0)
    log_theta = np.log(params)
    _, gradient = likelihood(np.exp(log_theta))
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6
        numeric = (
            likelihood(np.exp(log_theta + step))[0] - likelihood(np.exp(log_theta - step))[0]
        ) / 2e-6
        assert gradient[j] == pytest.approx(numeric, rel=1e-5, abs=1e-3)


def test_bgnbd_weighted_duplicates_fit_equals_expanded_fit(cdnow):
    head = cdnow.iloc[:600]
    counts = np.arange(600) % 3 + 1  # each row stands for 1, 2 or 3 customers
    expanded = head.loc[head.index.repeat(counts)]
    weighted = BetaGeoModel().fit(head["frequency"], head["recency"], head["T"], weights=counts)
    plain = BetaGeoModel().fit(expanded["frequency"], expanded["recency"], expanded["T"])
    assert weighted.params.as_array() == pytest.approx(plain.params.as_array(), rel=1e-6)
    assert weighted.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-10)


def test_bgnbd_fit_does_not_mutate_inputs(cdnow):
    frame = cdnow.copy()
    BetaGeoModel().fit(frame["frequency"], frame["recency"], frame["T"])
    pd.testing.assert_frame_equal(frame, cdnow)


def test_bgnbd_all_zero_frequencies_raise_convergence_error():
    with pytest.raises(ConvergenceError, match="all 3 customers have frequency 0"):
        BetaGeoModel().fit([0, 0, 0], [0, 0, 0], [10, 20, 30])


def test_bgnbd_json_round_trip_keeps_fit(fitted):
    again = BetaGeoModel.from_json(fitted.to_json())
    assert again.params == fitted.params
    assert again.log_likelihood == fitted.log_likelihood
    assert json.loads(fitted.to_json())["model"] == "BetaGeoModel"
    assert set(fitted.standard_errors) == {"r", "alpha", "a", "b"}


# -- bad input -----------------------------------------------------------------


def test_bgnbd_from_params_rejects_negative_r():
    with pytest.raises(InvalidInputError, match=r"must be positive and finite; got \['r'\]"):
        BetaGeoModel.from_params(r=-1, alpha=1, a=1, b=1)


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, 2], [5, 40], [10, 30], r"Some values in recency are larger than T \(1 row\)\."),
        ([1.5, 2], [5, 6], [10, 30], r"Some values in frequency are not whole numbers \(1 row\)\."),
        ([0, 0], [3, 4], [10, 30], r"Some customers have frequency 0 but recency > 0 \(2 rows\)"),
        ([-1, 2], [5, 6], [10, 30], r"frequency must be >= 0; 1 value\(s\) are negative\."),
        (
            [1, 2],
            [5, 6],
            [10, 30, 40],
            r"Inputs must have the same length; got frequency=2, recency=2, T=3",
        ),
        ([1, np.nan], [5, 6], [10, 30], r"frequency must be finite; 1 value\(s\) are nan or inf\."),
    ],
)
def test_bgnbd_fit_rejects_bad_input_with_exact_message(frequency, recency, T, message):
    with pytest.raises(InvalidInputError, match=message):
        BetaGeoModel().fit(frequency, recency, T)


def test_bgnbd_fit_rejects_zero_total_weight():
    with pytest.raises(
        InvalidInputError, match="at least one customer with a positive weight; got 2 rows"
    ):
        BetaGeoModel().fit([1, 2], [5, 6], [10, 30], weights=[0, 0])


def test_bgnbd_predictions_reject_bad_input(paper_model):
    with pytest.raises(InvalidInputError, match=r"t must be >= 0"):
        paper_model.expected_purchases(-1, 1, 2, 3)
    with pytest.raises(
        InvalidInputError, match=r"Some values in n are not whole numbers \(1 row\)\."
    ):
        paper_model.probability_of_purchases([0.5], 3)
    with pytest.raises(InvalidInputError, match="larger than T"):
        paper_model.probability_alive(1, 5, 3)


# -- properties ----------------------------------------------------------------

positive = st.floats(1e-3, 1e3)


@st.composite
def customers(draw):
    x = draw(st.integers(0, 100_000))
    T = draw(st.floats(0.0, 1e4))
    t_x = 0.0 if x == 0 else draw(st.sampled_from([T, 0.0, T / 2, T * 0.999]))
    return float(x), t_x, T


@settings(max_examples=80, deadline=None)
@given(st.tuples(positive, positive, positive, positive), customers(), st.floats(0.0, 1e3))
def test_bgnbd_likelihood_and_predictions_finite_on_extreme_inputs(params, customer, t):
    r, alpha, a, b = params
    x, t_x, T = customer
    likelihood = BetaGeoLikelihood(np.array([x]), np.array([t_x]), np.array([T]), np.ones(1), 0)
    value, gradient = likelihood(np.array([r, alpha, a, b]))
    assert math.isfinite(value)
    assert value <= 1e-9 or x > 0  # a probability for x = 0 (no density in t_x)
    assert np.isfinite(gradient).all()
    model = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    alive = model.probability_alive(x, t_x, T)
    assert 0.0 <= alive[0] <= 1.0
    expectations = model.expected_purchases(np.array([0.0, t, 2 * t + 1]), x, t_x, T)
    assert np.isfinite(expectations).all()
    assert expectations[0] == 0.0
    assert np.all(np.diff(expectations) >= -1e-7 * expectations[1:])  # up to rounding


@settings(max_examples=50, deadline=None)
@given(
    st.floats(0.05, 20),
    st.floats(0.5, 50),
    st.floats(0.05, 20),
    st.floats(0.05, 20),
    st.floats(0.1, 100),
)
def test_bgnbd_probability_of_purchases_sums_to_one(r, alpha, a, b, t):
    model = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    probabilities = model.probability_of_purchases(np.arange(20_000), t)
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(0.05, 20),
    st.floats(0.5, 50),
    st.floats(0.05, 20),
    st.floats(0.05, 20),
    st.floats(0.1, 100),
)
def test_bgnbd_new_customer_expectation_is_mean_of_probability_of_purchases(r, alpha, a, b, t):
    # E[X(t)] (eq. 9) must equal sum_n n P(X(t) = n) (eq. 8): two independent formulas.
    model = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    n = np.arange(20_000)
    mean = float(n @ model.probability_of_purchases(n, t))
    assert model.expected_purchases_new_customer(t)[0] == pytest.approx(mean, rel=1e-5, abs=1e-9)


def test_bgnbd_params_model_is_frozen():
    params = BetaGeoParams(**FHL_2005)
    with pytest.raises(ValueError, match="frozen"):
        params.r = 1.0  # type: ignore[misc]


@settings(max_examples=30, deadline=None)
@given(
    st.floats(0.01, 1e3),
    st.floats(0.01, 1e3),
    st.floats(0.01, 100),
    st.floats(0.01, 1e3),
    st.floats(0.01, 1e3),
)
def test_bgnbd_quadrature_fallback_agrees_with_closed_form(t, r, alpha, a, b):
    # Two independent evaluations of E[(1 - (1 + p t/alpha)^-r) / p], p ~ Beta(a, b): FHL 2005
    # eq. 9 through scipy's hyp2f1 and adaptive quadrature of the defining integral.
    closed = _closed_form(np.array([t]), np.array([r]), np.array([alpha]), a, np.array([b]))[0]
    if not math.isfinite(closed) or abs(a - 1) < 1e-3:
        return
    assert _by_quadrature(t, r, alpha, a, b) == pytest.approx(closed, rel=1e-7)
