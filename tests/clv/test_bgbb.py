"""Tests of retention_kpis.clv.bgbb (BG/BB model)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln, gammaln

from retention_kpis.clv import BetaGeoBetaBinomModel, BetaGeoBetaBinomParams
from retention_kpis.clv.bgbb import _log_beta_sum, _negative_log_likelihood
from retention_kpis.datasets import load_donations
from retention_kpis.exceptions import InvalidInputError

PAPER = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}

# lifetimes 0.11.3 BetaGeoBetaBinomFitter with params_ set to PAPER, on the 22 rows of
# donations.csv (in file order):
#   conditional_probability_alive(1, frequency, recency, periods)
LIFETIMES_P_ALIVE = [
    0.1080165842, 0.0694080932, 0.254556477, 0.4811805985, 0.6802512435, 0.828067336,
    0.9304025424, 0.0663795474, 0.2987681022, 0.5895141164, 0.8044715946, 0.9304025424,
    0.0949727894, 0.4394628571, 0.76673405, 0.9304025424, 0.2001334342, 0.6967010677,
    0.9304025424, 0.5219082863, 0.9304025424, 0.9304025424,
]  # fmt: skip
#   conditional_expected_number_of_purchases_up_to_time(5, frequency, recency, periods)
LIFETIMES_EXPECTED_5 = [
    0.0728028775, 0.0856353983, 0.3140706551, 0.5936784937, 0.8392909748, 1.0216658158,
    1.1479265407, 0.1190579533, 0.5358686552, 1.0573489419, 1.4428953704, 1.6687643541,
    0.22350823, 1.0342284984, 1.8044259998, 2.1896021675, 0.5830268479, 2.0296230315,
    2.7104399808, 1.8125817367, 3.2312777942, 3.7521156076,
]  # fmt: skip
#   expected_number_of_transactions_in_first_n_periods(6) / 11104 (after fit(), then
#   params_ = PAPER): P(X(6) = x) for x = 0..6
LIFETIMES_PMF_6 = [
    0.3112177433, 0.1701099784, 0.1214805138, 0.100263115, 0.0916598534, 0.0924811479,
    0.1127876482,
]  # fmt: skip


@pytest.fixture(scope="module")
def donations():
    return load_donations()


@pytest.fixture(scope="module")
def fitted(donations):
    return BetaGeoBetaBinomModel().fit(
        donations["frequency"],
        donations["recency"],
        donations["periods"],
        weights=donations["weights"],
    )


def _row_likelihood_by_loop(a, b, g, d, x, t_x, n):  # noqa: PLR0917 - paper notation
    # FHS (2010) eq. 5, term by term with math.lgamma (independent of the vectorised code).
    def lbeta(p, q):
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)

    total = math.exp(lbeta(a + x, b + n - x) - lbeta(a, b) + lbeta(g, d + n) - lbeta(g, d))
    for i in range(n - t_x):
        total += math.exp(
            lbeta(a + x, b + t_x - x + i) - lbeta(a, b) + lbeta(g + 1, d + t_x + i) - lbeta(g, d)
        )
    return total


def test_bgbb_params_match_fader_hardie_shang_2010_donations(fitted):
    # Fader, Hardie & Shang (2010), Marketing Science 29(6): alpha = 1.204, beta = 0.750,
    # gamma = 0.657, delta = 2.783, LL = -33,225.6 on the 11,104 donors, 6 opportunities.
    for name, value in PAPER.items():
        assert getattr(fitted.params, name) == pytest.approx(value, abs=5e-4)
    assert fitted.log_likelihood == pytest.approx(-33225.6, abs=0.05)


def test_bgbb_expanded_donations_give_the_weighted_fit(donors, fitted):
    # donors: pymc-marketing's bgbb_donations.csv, one row per donor (the tests/conftest.py
    # fixture, checked byte for byte against that file in tests/datasets).
    assert len(donors) == 11_104
    expanded = BetaGeoBetaBinomModel().fit(donors["frequency"], donors["recency"], donors["T"])
    for name in PAPER:
        assert getattr(expanded.params, name) == pytest.approx(
            getattr(fitted.params, name), rel=1e-7
        )
    assert expanded.log_likelihood == pytest.approx(fitted.log_likelihood, rel=1e-12)


def test_bgbb_probability_alive_matches_lifetimes(donations):
    model = BetaGeoBetaBinomModel.from_params(**PAPER)
    got = model.probability_alive(donations["frequency"], donations["recency"], 6)
    np.testing.assert_allclose(got, LIFETIMES_P_ALIVE, rtol=1e-8)


def test_bgbb_expected_purchases_matches_lifetimes(donations):
    model = BetaGeoBetaBinomModel.from_params(**PAPER)
    got = model.expected_purchases(5, donations["frequency"], donations["recency"], 6)
    np.testing.assert_allclose(got, LIFETIMES_EXPECTED_5, rtol=1e-8)


def test_bgbb_probability_of_purchases_matches_lifetimes():
    model = BetaGeoBetaBinomModel.from_params(**PAPER)
    np.testing.assert_allclose(
        model.probability_of_purchases(np.arange(7), 6), LIFETIMES_PMF_6, rtol=1e-8
    )


def test_bgbb_likelihood_matches_term_by_term_loop(donations):
    a, b, g, d = 1.3, 0.6, 0.9, 2.2
    rows = donations.to_numpy()
    expected = sum(
        w * math.log(_row_likelihood_by_loop(a, b, g, d, int(x), int(t), int(n)))
        for x, t, n, w in rows
    )
    value, _ = _negative_log_likelihood(
        np.log([a, b, g, d]), *(rows[:, j].astype(float) for j in range(4))
    )
    assert -value == pytest.approx(expected, rel=1e-12)


def test_bgbb_conditional_expectation_matches_direct_sum():
    # E[X(n, n+t)] = B(a+x+1, b+n-x)/B(a,b) * sum_{k=1}^t B(g, d+n+k)/B(g,d) / L
    # with the sum done term by term and L from the loop above.
    a, b, g, d = 0.8, 2.5, 1.0, 3.0  # gamma = 1 exactly: the closed form's limit case
    x, t_x, n, t = 3, 5, 8, 12
    lik = _row_likelihood_by_loop(a, b, g, d, x, t_x, n)
    lead = math.exp(betaln(a + x + 1, b + n - x) - betaln(a, b))
    total = sum(math.exp(betaln(g, d + n + k) - betaln(g, d)) for k in range(1, t + 1))
    model = BetaGeoBetaBinomModel.from_params(alpha=a, beta=b, gamma=g, delta=d)
    assert model.expected_purchases(t, x, t_x, n)[0] == pytest.approx(lead * total / lik)


@pytest.mark.parametrize("gamma", [0.3, 1.0 - 1e-9, 1.0, 1.0 + 1e-6, 2.5])
def test_bgbb_new_customer_expectation_matches_paper_closed_form_and_sum(gamma):
    a, b, d = 1.2, 0.75, 2.8
    t = np.array([1.0, 6.0, 40.0])
    model = BetaGeoBetaBinomModel.from_params(alpha=a, beta=b, gamma=gamma, delta=d)
    by_sum = [
        a
        / (a + b)
        * sum(math.exp(betaln(gamma, d + k) - betaln(gamma, d)) for k in range(1, int(n) + 1))
        for n in t
    ]
    np.testing.assert_allclose(model.expected_purchases_new_customer(t), by_sum, rtol=1e-10)
    if abs(gamma - 1) > 0.1:
        # FHS (2010) eq. 7: a/(a+b) * d/(g-1) * [1 - G(g+d)/G(g+d+n) * G(1+d+n)/G(1+d)]
        closed = (
            a / (a + b) * d / (gamma - 1)
            * (1 - np.exp(gammaln(gamma + d) - gammaln(gamma + d + t) + gammaln(1 + d + t) - gammaln(1 + d)))
        )  # fmt: skip
        np.testing.assert_allclose(model.expected_purchases_new_customer(t), closed, rtol=1e-10)


@pytest.mark.parametrize("gamma", [0.01, 0.999, 1.0, 1.0 + 1e-8, 1.002, 40.0])
@pytest.mark.parametrize("b", [0.2, 7.0, 9_000.0])
@pytest.mark.parametrize("m", [1, 3, 500])
def test_bgbb_closed_form_beta_sum_matches_logsumexp(gamma, b, m):
    k = np.arange(1, m + 1, dtype=float)
    terms = betaln(gamma, b + k)
    peak = terms.max()
    direct = peak + math.log(np.exp(terms - peak).sum())
    got = _log_beta_sum(gamma, np.array([b]), np.array([float(m)]))[0]
    assert got == pytest.approx(direct, rel=1e-9, abs=1e-9)


def test_bgbb_gradient_matches_central_differences(donations):
    columns = [
        donations[c].to_numpy(dtype=float) for c in ("frequency", "recency", "periods", "weights")
    ]
    x0 = np.log([1.1, 0.8, 0.7, 2.5])
    _, grad = _negative_log_likelihood(x0, *columns)
    h = 1e-6
    for j in range(4):
        up, down = x0.copy(), x0.copy()
        up[j] += h
        down[j] -= h
        numeric = (
            _negative_log_likelihood(up, *columns)[0] - _negative_log_likelihood(down, *columns)[0]
        ) / (2 * h)
        assert grad[j] == pytest.approx(numeric, rel=1e-6)


def test_bgbb_json_round_trip_and_standard_errors(fitted):
    again = BetaGeoBetaBinomModel.from_json(fitted.to_json())
    assert again.params == fitted.params
    assert isinstance(again.params, BetaGeoBetaBinomParams)
    assert all(0 < se < 1 for se in fitted.standard_errors.values())


def test_bgbb_fit_does_not_mutate_input(donations):
    frame = donations.copy()
    BetaGeoBetaBinomModel().fit(
        frame["frequency"], frame["recency"], frame["periods"], weights=frame["weights"]
    )
    pd.testing.assert_frame_equal(frame, donations)


params_strategy = st.fixed_dictionaries(
    {name: st.floats(1e-3, 1e3) for name in ("alpha", "beta", "gamma", "delta")}
)


@st.composite
def histories(draw):
    n = draw(st.integers(0, 100_000))
    t_x = draw(st.integers(0, n))
    x = 0 if t_x == 0 else draw(st.integers(1, t_x))
    return x, t_x, n


@settings(max_examples=80, deadline=None)
@given(params_strategy, histories(), st.integers(0, 10_000))
def test_bgbb_predictions_finite_on_extreme_inputs(params, history, t):
    model = BetaGeoBetaBinomModel.from_params(**params)
    x, t_x, n = history
    alive = model.probability_alive(x, t_x, n)[0]
    assert 0.0 <= alive <= 1.0
    expected = model.expected_purchases([0, t, t + 1], x, t_x, n)
    assert np.all(np.isfinite(expected))
    assert expected[0] == 0.0
    # non-decreasing in t, to 1e-12 relative; below the smallest normal float (2.2e-308)
    # numbers lose relative precision, so one subnormal step is allowed (hypothesis found
    # 8.1e-313 at t and one 4.9e-324 step less at t + 1)
    tiny = np.finfo(float).tiny
    assert np.all(np.diff(expected) >= -1e-12 * expected[-1] - tiny)
    assert expected[2] <= expected[1] + 1.0 + 1e-9  # at most one purchase per opportunity
    value, grad = _negative_log_likelihood(
        np.log(list(params.values())),
        np.array([float(x)]),
        np.array([float(t_x)]),
        np.array([float(n)]),
        np.ones(1),
    )
    assert math.isfinite(value)
    assert np.all(np.isfinite(grad))


@settings(max_examples=50, deadline=None)
@given(params_strategy, st.integers(0, 60))
def test_bgbb_purchase_probabilities_sum_to_one(params, n):
    model = BetaGeoBetaBinomModel.from_params(**params)
    probabilities = model.probability_of_purchases(np.arange(n + 1), n)
    assert np.all((probabilities >= 0) & (probabilities <= 1 + 1e-12))
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(params_strategy, st.integers(0, 5_000))
def test_bgbb_new_customer_expectation_non_decreasing(params, t):
    model = BetaGeoBetaBinomModel.from_params(**params)
    values = model.expected_purchases_new_customer([t, t + 1, t + 50])
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) >= -1e-12 * values[-1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([2, 1], [1, 1], 3), "Some values in frequency are larger than recency (1 row)."),
        (([1, 1], [1, 4], 3), "Some values in recency are larger than n_periods (1 row)."),
        (([0, 1], [2, 1], 3), "Some rows have frequency 0 but recency > 0 (1 row)."),
        (([0.5, 1], [1, 1], 3), "frequency must hold whole numbers; 1 value(s) are fractional."),
        (([-1, 1], [1, 1], 3), "frequency must be >= 0; 1 value(s) are negative."),
        (
            ([1, 1, 1], [1, 1], 3),
            "Inputs must have the same length; got frequency=3, recency=2, n_periods=1.",
        ),
        (([], [], []), "frequency is empty: the BG/BB model needs at least one customer."),
    ],
)
def test_bgbb_fit_rejects_bad_input(args, message):
    with pytest.raises(InvalidInputError) as info:
        BetaGeoBetaBinomModel().fit(*args)
    assert str(info.value) == message


def test_bgbb_fit_rejects_weights_of_wrong_length():
    with pytest.raises(InvalidInputError) as info:
        BetaGeoBetaBinomModel().fit([0, 1], [0, 1], 2, weights=[1.0])
    assert str(info.value) == "Inputs must have the same length; got frequency=2, weights=1."


def test_bgbb_prediction_rejects_inconsistent_history():
    model = BetaGeoBetaBinomModel.from_params(**PAPER)
    with pytest.raises(InvalidInputError, match=r"larger than n_periods \(1 row\)"):
        model.probability_alive(1, 7, 6)
