"""Tests of retention_kpis.clv.pareto_nbd (and its integral / P(X(t)=n) helpers)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis.clv import ParetoNBDModel, ParetoNBDParams, pareto_nbd
from retention_kpis.clv._base import NotFittedError, collapse_rows
from retention_kpis.clv._pareto_integral import (
    log_integral,
    log_integral_grouped,
    log_integral_value,
)
from retention_kpis.clv._pareto_solver import equal_scale_objective, newton, quasi_newton
from retention_kpis.clv.pareto_nbd import (
    _grouped_negative_log_likelihood,
    _negative_log_likelihood,
)
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import InvalidInputError

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 4:
# Pareto/NBD on the CDNOW 1/10 sample, 39-week calibration period.
PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PUBLISHED_LL = -9595.0


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def fitted(cdnow):
    return ParetoNBDModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture
def published():
    return ParetoNBDModel.from_params(**PUBLISHED)


def test_pareto_nbd_params_match_fader_hardie_lee_2005_cdnow(fitted):
    params = fitted.params
    assert params.r == pytest.approx(0.553, abs=1e-3)
    assert params.alpha == pytest.approx(10.578, abs=1e-3)
    assert params.s == pytest.approx(0.606, abs=1e-3)
    # beta is weakly identified (standard error about 6); the exact maximum is at
    # 11.6679 (lifetimes 0.11.3 stops at 11.6667), 0.0011 below the published 11.669.
    assert params.beta == pytest.approx(11.669, abs=2e-3)
    assert fitted.log_likelihood == pytest.approx(PUBLISHED_LL, abs=0.05)


def test_pareto_nbd_fit_is_the_maximum_not_the_rounded_published_point(fitted, cdnow):
    at_published = ParetoNBDModel.from_params(**PUBLISHED).log_likelihood_rows(
        cdnow["frequency"], cdnow["recency"], cdnow["T"]
    )
    assert fitted.log_likelihood >= at_published.sum()
    assert fitted.log_likelihood == pytest.approx(at_published.sum(), abs=1e-3)


def test_pareto_nbd_cdnow_fit_needs_few_likelihood_evaluations(cdnow, monkeypatch):
    # The equal-scale start and the quasi-Newton solver end next to the optimum, so
    # L-BFGS-B accepts it at once: 18 evaluations on CDNOW, 8 of them the base's
    # Hessian (pure L-BFGS-B from the data-scale start needed 33).
    calls = []
    original = pareto_nbd._negative_log_likelihood

    def counted(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(pareto_nbd, "_negative_log_likelihood", counted)
    model = ParetoNBDModel().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert len(calls) <= 22
    assert model.params.r == pytest.approx(0.553, abs=1e-3)


def test_pareto_equal_scale_objective_is_the_full_likelihood_at_alpha_equal_beta(cdnow):
    # The elementary alpha == beta form against the series of the full model.
    x, t_x, age = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    weights = np.ones(len(x))
    for r, s, a in ((0.55, 0.6, 11.0), (2.0, 0.3, 40.0), (0.2, 3.0, 1.5)):
        value, _ = equal_scale_objective(np.log([r, s, a]), x, t_x, age, weights)
        full = ParetoNBDModel.from_params(r=r, alpha=a, s=s, beta=a)
        assert value == pytest.approx(-full.log_likelihood_rows(x, t_x, age).mean(), rel=1e-12)


def test_pareto_equal_scale_gradient_matches_central_differences(cdnow):
    x, t_x, age = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    weights = np.ones(len(x))
    for point in ([0.55, 0.6, 11.0], [2.0, 0.3, 40.0]):
        log_params = np.log(point)
        _, analytic = equal_scale_objective(log_params, x, t_x, age, weights)
        numeric = _central_differences(
            lambda p: equal_scale_objective(p, x, t_x, age, weights)[0], log_params
        )
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_quasi_newton_finds_the_known_minimum_of_a_convex_function():
    # f(x) = sum_i exp(x_i) - (i + 1) x_i has its minimum at x_i = log(i + 1).
    scale = np.arange(1.0, 5.0)

    def objective(x):
        return float(np.sum(np.exp(x) - scale * x)), np.exp(x) - scale

    found = quasi_newton(objective, np.array([3.0, -2.0, 0.0, 4.0]))
    np.testing.assert_allclose(found, np.log(scale), atol=1e-10)


def test_pareto_nbd_fit_with_weights_equals_fit_on_expanded_rows(cdnow):
    rows = cdnow.iloc[:300]
    grouped = rows.groupby(["frequency", "recency", "T"]).size().reset_index(name="n")
    expanded = ParetoNBDModel().fit(rows["frequency"], rows["recency"], rows["T"])
    weighted = ParetoNBDModel().fit(
        grouped["frequency"], grouped["recency"], grouped["T"], weights=grouped["n"]
    )
    np.testing.assert_allclose(weighted.params.as_array(), expanded.params.as_array(), rtol=1e-5)


# lifetimes 0.11.3 ParetoNBDFitter at the published parameters (params_ set by hand):
# conditional_probability_alive(x, t_x, T) and
# conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T).
LIFETIMES_ROWS = [
    # x, t_x, T, P(alive), E[X(T, T + 39)]
    (0, 0.0, 38.86, 0.29528660461689443, 0.10708146821530892),
    (2, 30.43, 38.86, 0.8691675591530111, 1.4551231932576019),
    (2, 1.71, 38.86, 0.06648059261214642, 0.11129896783735628),
    (5, 20.0, 30.0, 0.6907296629650322, 2.971925804303414),
    (14, 38.0, 38.86, 0.9882240160193825, 9.430905067346787),
    (29, 38.43, 38.86, 0.994109839535176, 19.265548852542747),
    (200, 299.0, 300.0, 0.9972663266101119, 24.221834384020386),
    (100, 50.0, 100.0, 6.222828011621957e-25, 2.009049349315363e-23),
]


def test_pareto_nbd_predictions_match_lifetimes_at_published_params(published):
    x, t_x, age, alive, expected = (np.array(col) for col in zip(*LIFETIMES_ROWS, strict=True))
    np.testing.assert_allclose(published.probability_alive(x, t_x, age), alive, rtol=1e-9)
    np.testing.assert_allclose(published.expected_purchases(39, x, t_x, age), expected, rtol=1e-9)


def test_pareto_nbd_new_customer_predictions_match_lifetimes(published):
    # lifetimes 0.11.3: expected_number_of_purchases_up_to_time([1, 39, 78]) and
    # conditional_probability_of_n_purchases_up_to_time(n, 39, 0, 0, 0) for n = 0, 1, 2, 3, 10.
    np.testing.assert_allclose(
        published.expected_purchases_new_customer([1.0, 39.0, 78.0]),
        [0.050979843245990884, 1.2130028442810157, 1.9093981293136852],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        published.probability_of_purchases([0, 1, 2, 3, 10], 39),
        [
            0.5936250316023836,
            0.16556294727717552,
            0.08248718411631654,
            0.04903995364281423,
            0.004193439332080424,
        ],
        rtol=1e-9,
    )


def test_pareto_nbd_purchase_count_probabilities_sum_to_one(published):
    total = published.probability_of_purchases(np.arange(0, 600), 39).sum()
    assert total == pytest.approx(1.0, abs=1e-12)
    assert published.probability_of_purchases(0, 0.0)[0] == 1.0
    assert published.probability_of_purchases(3, 0.0)[0] == 0.0


def test_pareto_nbd_recency_equal_to_t_is_finite_where_lifetimes_gives_nan(published):
    # lifetimes 0.11.3 returns nan for P(alive), the conditional expectation and the
    # log-likelihood at these rows; a purchase at T means alive at T, so P(alive) = 1,
    # and the expectation is the limit of the finite values at recency -> T.
    x = np.array([200.0, 1000.0, 3000.0])
    age = np.array([300.0, 1000.0, 1e4])
    np.testing.assert_array_equal(published.probability_alive(x, age, age), [1.0, 1.0, 1.0])
    assert np.all(np.isfinite(published.log_likelihood_rows(x, age, age)))
    near = published.expected_purchases(39, x, age * (1 - 1e-12), age)
    np.testing.assert_allclose(published.expected_purchases(39, x, age, age), near, rtol=1e-8)


def test_pareto_nbd_recency_equal_to_t_rows_of_cdnow_match_lifetimes(published, cdnow):
    # The 13 CDNOW customers with recency == T: lifetimes 0.11.3 gives P(alive) 1.0 and,
    # for customer 720 (x=7, T=34.86), E[X(T, T + 39)] = 5.321199 (printed to 6 digits).
    rows = cdnow[cdnow["recency"] == cdnow["T"]]
    assert len(rows) == 13
    np.testing.assert_array_equal(
        published.probability_alive(rows["frequency"], rows["recency"], rows["T"]), 1.0
    )
    assert published.expected_purchases(39, 7, 34.86, 34.86)[0] == pytest.approx(5.321199, abs=1e-6)


# log I by mpmath at 60-80 digits from the closed form of Fader & Hardie's note,
# I = G(t_x) - G(T), G(tau) = (M + tau)^-c / c * 2F1(e_m, c; c + 1; (M - m) / (M + tau)).
MPMATH_ROWS = [
    (
        (1.02210722, 1.30894599, 304.56547852, 2.03852829, 1.67099785 * (1 - 1e-9), 1.67099785),
        -27.77665486956824,
    ),
    (
        (212.560321, 1.02013038, 0.235436563, 0.0609051559, 7.55451415, 25.1817138),
        -441.72880594292116,
    ),
    (
        (200.23834517, 5.35747713, 7.71419151, 3.30617785, 34.86788007, 109.15538103),
        -772.2661723318669,
    ),
]


# log I and its gradient in (e_alpha, e_beta, alpha, beta) by mpmath at 40 digits
# (mpmath.quad of the integrand itself, mpmath.diff of its log), for rows with
# e_m < 1: a CDNOW x = 0 row (Euler form), a power-form row, and t_x within 1e-7 of T.
MPMATH_SMALL_EXPONENT_ROWS = [
    (
        (0.5533, 1.6062, 10.5776, 11.6679, 0.0, 38.86),
        -3.1648080583158305,
        (-2.925663919247578, -2.9867724235736946, -0.032107354426096046, -0.086995757229124053),
    ),
    (
        (0.3, 1.2, 5.0, 20.0, 0.0, 30.0),
        -1.5774556321032255,
        (-2.6237177574365783, -3.3968853132684327, -0.025272511442743763, -0.041547709862475167),
    ),
    (
        (0.9, 1.05, 2.0, 3.0, 10.0 * (1 - 1e-7), 10.0),
        -18.74512329097187,
        (-2.4849066081213314, -2.5649493189999963, -0.075000003125000254, -0.080769233875739886),
    ),
]


def _kernel_log_integral(*args):
    # the numba engine's per-row series (covariate fits); imported here, numba is optional
    from retention_kpis.clv._pareto_kernel import log_integral_rows  # noqa: PLC0415

    return log_integral_rows(*args)


@pytest.mark.parametrize("function", [log_integral, log_integral_value, _kernel_log_integral])
@pytest.mark.parametrize(
    ("row", "expected"),
    MPMATH_ROWS + [(row, value) for row, value, _ in MPMATH_SMALL_EXPONENT_ROWS],
)
def test_pareto_integral_matches_mpmath_closed_form(function, row, expected):
    out = function(*(np.array([v]) for v in row))
    log_i = out[0] if isinstance(out, tuple) else out
    assert log_i[0] == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("function", [log_integral, _kernel_log_integral])
@pytest.mark.parametrize(("row", "_value", "expected"), MPMATH_SMALL_EXPONENT_ROWS)
def test_pareto_integral_gradient_matches_mpmath(row, _value, expected, function):
    _, grad = function(*(np.array([v]) for v in row))
    np.testing.assert_allclose(grad[:, 0], expected, rtol=1e-11)


def test_pareto_integral_quadrature_branch_matches_series():
    # z = (alpha - beta) / (alpha + t_x) = 1 - 1e-6 needs quadrature; at 1 - 1e-2 the
    # series. The two are independent methods and must agree on nearby rows.
    args = [np.array([v]) for v in (3.2, 1.7, 1.0, 1e-6, 0.0, 40.0)]
    log_quad, grad_quad = log_integral(*args)
    # same integral split at tau = 5: [0, 5] by quadrature, [5, 40] by the series
    left, _ = log_integral(*(np.array([v]) for v in (3.2, 1.7, 1.0, 1e-6, 0.0, 5.0)))
    right, _ = log_integral(*(np.array([v]) for v in (3.2, 1.7, 1.0, 1e-6, 5.0, 40.0)))
    assert log_quad[0] == pytest.approx(np.logaddexp(left[0], right[0]), rel=1e-11)
    assert np.all(np.isfinite(grad_quad))


def _central_differences(func, x, step=1e-6):
    out = np.empty_like(x)
    for j in range(len(x)):
        up, down = x.copy(), x.copy()
        up[j] += step
        down[j] -= step
        out[j] = (func(up) - func(down)) / (2 * step)
    return out


def test_pareto_nbd_gradient_matches_central_differences(cdnow):
    (x, t_x, age), w = collapse_rows(
        [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")], None
    )
    for point in ([0.553, 10.578, 0.606, 11.669], [2.0, 0.5, 0.3, 40.0], [0.2, 30.0, 3.0, 1.0]):
        log_params = np.log(point)
        _, analytic = _negative_log_likelihood(log_params, x, t_x, age, w)
        numeric = _central_differences(
            lambda p: _negative_log_likelihood(p, x, t_x, age, w)[0], log_params
        )
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("function", [log_integral, _kernel_log_integral])
def test_pareto_integral_gradient_matches_central_differences(function):
    rows = np.array(
        [
            [3.5, 1.6, 10.0, 11.0, 20.0, 39.0],  # alpha < beta, Euler form
            [0.6, 1.6, 10.0, 11.0, 0.0, 39.0],  # e_m < 1, power form
            [5.5, 1.6, 12.0, 12.0, 5.0, 39.0],  # alpha == beta
            [40.0, 2.5, 300.0, 0.01, 10.0, 39.0],  # z near 1, quadrature
        ]
    )
    _, grad = function(*rows.T)
    for j in range(4):
        step = 1e-6 * rows[:, j]
        up, down = rows.copy(), rows.copy()
        up[:, j] += step
        down[:, j] -= step
        numeric = (function(*up.T)[0] - function(*down.T)[0]) / (2 * step)
        np.testing.assert_allclose(grad[j], numeric, rtol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    params=st.tuples(*[st.floats(-9, 9) for _ in range(4)]),
    x=st.sampled_from([0.0, 1.0, 7.0, 1e3, 1e5]),
    T=st.floats(1e-3, 1e4),
    share=st.sampled_from([0.0, 0.5, 1.0 - 1e-12, 1.0]),
)
def test_pareto_nbd_is_finite_on_extreme_inputs(params, x, T, share):
    model = ParetoNBDModel.from_params(
        **dict(zip(("r", "alpha", "s", "beta"), np.exp(params), strict=True))
    )
    recency = 0.0 if x == 0 else T * share
    log_l = model.log_likelihood_rows(x, recency, T)
    alive = model.probability_alive(x, recency, T)
    expected = model.expected_purchases([0.0, 1.0, 10.0, 1e3], x, recency, T)
    assert np.all(np.isfinite(log_l))
    assert log_l[0] <= 1e-9 or x > 0  # a probability when there is no density part
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(expected))
    assert np.all(np.diff(expected) >= -1e-12 * expected[1:])
    if recency == T:
        assert alive[0] == 1.0


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 500), st.floats(0, 500), st.sampled_from([0.3, 1.0, 2.5]))
def test_pareto_nbd_new_customer_expectation_is_non_decreasing_in_t(t1, t2, s):
    model = ParetoNBDModel.from_params(r=0.5, alpha=10.0, s=s, beta=12.0)
    low, high = sorted((t1, t2))
    values = model.expected_purchases_new_customer([low, high])
    assert 0 <= values[0] <= values[1]


def test_pareto_nbd_s_equal_one_uses_the_log_limit():
    # s = 1: E[X(t)] = r beta / alpha * log(1 + t / beta) = 0.5 * 12 / 10 * log(1 + 24 / 12)
    model = ParetoNBDModel.from_params(r=0.5, alpha=10.0, s=1.0, beta=12.0)
    expected = 0.5 * 12 / 10 * math.log(3.0)
    assert model.expected_purchases_new_customer(24.0)[0] == pytest.approx(expected, rel=1e-14)


def test_pareto_nbd_predictions_on_repeated_rows_equal_row_by_row_values(published):
    # Duplicated histories are evaluated once; each row must get its own value back.
    x, t_x, age, alive, _ = (np.array(col) for col in zip(*LIFETIMES_ROWS, strict=True))
    order = np.array([3, 0, 3, 7, 1, 0, 6, 2, 5, 4, 1, 3])
    np.testing.assert_allclose(
        published.probability_alive(x[order], t_x[order], age[order]), alive[order], rtol=1e-9
    )


def test_pareto_nbd_predictions_do_not_mutate_inputs(published):
    frame = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
    before = frame.copy()
    published.probability_alive(frame["frequency"], frame["recency"], frame["T"])
    published.expected_purchases(39, frame["frequency"], frame["recency"], frame["T"])
    pd.testing.assert_frame_equal(frame, before)


def test_pareto_nbd_json_round_trip_keeps_params_and_fit_state(fitted):
    restored = ParetoNBDModel.from_json(fitted.to_json())
    assert restored.params == fitted.params
    assert restored.log_likelihood == fitted.log_likelihood
    assert json.loads(fitted.to_json())["model"] == "ParetoNBDModel"
    assert isinstance(restored.params, ParetoNBDParams)


def test_pareto_nbd_unfitted_model_raises():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        ParetoNBDModel().probability_alive(0, 0, 1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda m: m.fit([1, 2], [3, 5], [2, 6]),
            "Some values in recency are larger than T (1 row).",
        ),
        (
            lambda m: m.fit([1, 2], [1], [2, 6]),
            "Inputs must have the same length; got frequency=2, recency=1, T=2.",
        ),
        (lambda m: m.fit([-1], [0], [2]), "frequency must be >= 0; 1 value(s) are negative."),
        (
            lambda m: m.fit([1], [math.nan], [2]),
            "recency must be finite; 1 value(s) are nan or inf.",
        ),
        (
            lambda m: m.fit([], [], []),
            "ParetoNBDModel.fit needs at least one customer with a positive weight.",
        ),
        (
            lambda m: m.fit([1], [1], [2], weights=[-1]),
            "weights must be >= 0; 1 value(s) are negative.",
        ),
    ],
)
def test_pareto_nbd_fit_bad_input_raises_named_error(call, message):
    with pytest.raises(InvalidInputError) as excinfo:
        call(ParetoNBDModel())
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda m: m.probability_alive([1, 2], [3, 5], 4),
            "Some values in recency are larger than T (1 row).",
        ),
        (lambda m: m.expected_purchases(-1, 1, 1, 2), "t must be >= 0; 1 value(s) are negative."),
        (
            lambda m: m.probability_of_purchases(1.5, 2),
            "n must hold whole numbers; 1 value(s) are fractional.",
        ),
        (
            lambda m: m.probability_alive([1, 2], [0, 1, 2], [3, 4]),
            "Inputs must have the same length; got frequency=2, recency=3, T=2.",
        ),
    ],
)
def test_pareto_nbd_prediction_bad_input_raises_named_error(published, call, message):
    with pytest.raises(InvalidInputError) as excinfo:
        call(published)
    assert str(excinfo.value) == message


def _grouped(row_values, x, t_x, T):
    """``log_integral_grouped`` on rows sorted by ``x`` (``row_values = r, alpha, s, beta``)."""
    r, alpha, s, beta = row_values
    order = np.argsort(x, kind="stable")
    x, t_x, T = x[order], t_x[order], T[order]
    counts, starts = np.unique(x, return_index=True)
    bounds = np.append(starts, len(x))
    log_i, grad = log_integral_grouped(r + counts, bounds, s + 1.0, alpha, beta, t_x, T)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return log_i[back], grad[:, back]


@pytest.mark.parametrize(
    ("row", "expected", "expected_grad"),
    [(row, value, None) for row, value in MPMATH_ROWS] + MPMATH_SMALL_EXPONENT_ROWS,
)
def test_pareto_grouped_integral_matches_mpmath(row, expected, expected_grad):
    # The same mpmath references as the per-row integral (closed form, and quad + diff).
    e_alpha, e_beta, alpha, beta, t_x, T = row
    log_i, grad = log_integral_grouped(
        np.array([e_alpha]), np.array([0, 1]), e_beta, alpha, beta, np.array([t_x]), np.array([T])
    )
    assert log_i[0] == pytest.approx(expected, rel=1e-13)
    if expected_grad is not None:
        np.testing.assert_allclose(grad[:, 0], expected_grad, rtol=1e-11)


@pytest.mark.parametrize(
    "params",
    [
        (0.553, 10.578, 0.606, 11.669),  # CDNOW: summed rows and Gauss-Legendre rows
        (0.55, 11.7, 0.6, 10.6),  # alpha > beta (the exponents swap roles)
        (0.55, 11.0, 0.6, 11.0),  # alpha == beta: z = 0
        (2.0, 3.0, 0.1, 30.0),  # z(0) = 0.9: rows left to the per-row series
        (0.02, 0.03, 0.03, 0.04),  # c = r + s + x near 0 for x = 0
    ],
)
def test_pareto_grouped_integral_matches_the_per_row_series(params):
    # Independent methods: the per-row Euler/power series with expm1 factors (and quadrature
    # where z is near 1), checked against mpmath above, against G(t_x) - G(T) by one matrix
    # product per count and 14-point Gauss-Legendre near T. Rows: counts 0-60, recency 0,
    # anywhere in (0, T) and within 1e-9 of T, and recency == T.
    rng = np.random.default_rng(7)
    n = 4000
    x = rng.integers(0, 60, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, T * rng.beta(3.0, 0.5, n), 0.0)
    t_x[:50] = T[:50] * (1 - 1e-9)
    t_x[50:60] = T[50:60]
    r, alpha, s, beta = params
    expected, expected_grad = log_integral(r + x, s + 1.0, alpha, beta, t_x, T)
    log_i, grad = _grouped(params, x, t_x, T)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(log_i), finite)
    np.testing.assert_allclose(log_i[finite], expected[finite], rtol=1e-13, atol=1e-13)
    scale = np.abs(expected_grad).max(axis=0) + 1.0
    assert np.max(np.abs(grad - expected_grad) / scale) < 1e-11


def test_pareto_grouped_likelihood_equals_the_per_row_likelihood(cdnow):
    # The likelihood summed piece by piece over rows sorted by frequency (the large-data
    # path) against the per-row sums of the same rows: equal values and gradients.
    (x, t_x, age), w = collapse_rows(
        [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")], None
    )
    order = np.argsort(x, kind="stable")
    x, t_x, age, w = x[order], t_x[order], age[order], w[order]
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(x)) + 1, [len(x)]])
    for point in ([0.553, 10.578, 0.606, 11.669], [2.0, 0.5, 0.3, 40.0], [0.2, 30.0, 3.0, 1.0]):
        log_params = np.log(point)
        value, grad = _negative_log_likelihood(log_params, x, t_x, age, w)
        grouped_value, grouped_grad = _grouped_negative_log_likelihood(
            np.exp(log_params), x, t_x, age, w, bounds
        )
        assert grouped_value == pytest.approx(value, rel=1e-12)
        np.testing.assert_allclose(grouped_grad, grad, rtol=1e-9, atol=1e-9)


def test_pareto_nbd_forward_hessian_standard_errors_match_central_differences(fitted, cdnow):
    # The fit's forward-difference Hessian (4 gradient evaluations) against central
    # differences of the analytic gradient (step 1e-5, error O(1e-10)).
    (x, t_x, age), w = collapse_rows(
        [cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T")], None
    )
    log_params = np.log(fitted.params.as_array())
    hessian = np.empty((4, 4))
    for j in range(4):
        up, down = log_params.copy(), log_params.copy()
        step = 1e-5 * max(1.0, abs(log_params[j]))
        up[j] += step
        down[j] -= step
        hessian[:, j] = (
            _negative_log_likelihood(up, x, t_x, age, w)[1]
            - _negative_log_likelihood(down, x, t_x, age, w)[1]
        ) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    theta = fitted.params.as_array()
    central = np.sqrt(np.diag(np.linalg.inv(hessian))) * theta
    np.testing.assert_allclose(list(fitted.standard_errors.values()), central, rtol=1e-4)


def test_newton_minimises_rosenbrock():
    # f = (1 - a)^2 + 100 (b - a^2)^2, minimum 0 at (1, 1); gradient and Hessian by hand.
    def derivatives(point):
        a, b = point
        value = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        grad = np.array([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a)])
        hessian = np.array([[2 - 400 * (b - 3 * a * a), -400 * a], [-400 * a, 200.0]])
        return value, grad, hessian

    np.testing.assert_allclose(newton(derivatives, np.array([-1.2, 1.0]), tol=1e-12), [1.0, 1.0])
