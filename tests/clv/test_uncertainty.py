"""Tests of retention_kpis.clv.uncertainty (intervals from the parameters' uncertainty)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from retention_kpis.clv import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
    customer_lifetime_value,
    predict_clv,
)
from retention_kpis.clv.uncertainty import propagate
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import InvalidInputError

Z95 = norm.ppf(0.975)


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def bgnbd(cdnow):
    return BetaGeoModel(time_unit="W").fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def gamma_gamma(cdnow):
    return GammaGammaModel().fit(cdnow["frequency"], cdnow["monetary_value"])


def _log_covariance(model):
    theta = model.params.as_array()
    return model.covariance / np.outer(theta, theta)


def _finite_difference_delta(model, evaluate, step=1e-5):
    """Delta method written out here: gradient in log-parameter space by central differences.

    Independent of the library's delta code (own step, own loop, own covariance algebra).
    """
    names = list(type(model.params).model_fields)
    log_theta = np.log(model.params.as_array())
    columns = []
    for j in range(len(names)):
        up, down = log_theta.copy(), log_theta.copy()
        up[j] += step
        down[j] -= step
        at_up = type(model).from_params(**dict(zip(names, np.exp(up), strict=True)))
        at_down = type(model).from_params(**dict(zip(names, np.exp(down), strict=True)))
        columns.append((evaluate(at_up) - evaluate(at_down)) / (2 * step))
    gradient = np.column_stack(columns)
    variance = np.einsum("ij,jk,ik->i", gradient, _log_covariance(model), gradient)
    total_gradient = gradient.sum(axis=0)
    total_variance = total_gradient @ _log_covariance(model) @ total_gradient
    return np.sqrt(variance), math.sqrt(total_variance)


# -- references ----------------------------------------------------------------------
def test_sampled_interval_of_a_parameter_is_the_log_scale_wald_interval(bgnbd):
    """The quantile of exp(normal draws) is exp(mean +- z sd): the summary's 95 % bound."""
    expected = bgnbd.confidence_intervals["r"]  # r * exp(+-1.96 se / r), _base.py

    def evaluate(models, rows):
        return np.full(rows.stop - rows.start, models[0].params.r)

    point = np.array([bgnbd.params.r])
    sampled = propagate(
        [bgnbd],
        evaluate,
        np.ones(1),
        point,
        kind="amount",
        confidence=0.95,
        method="sampling",
        n_draws=40_000,
        seed=3,
        func="t",
    )
    # 40,000 draws: the 2.5 % quantile's sd is ~0.0096 sd of log r; allow 0.04 sd.
    se_log = bgnbd.standard_errors["r"] / bgnbd.params.r
    assert abs(math.log(sampled.low[0] / expected[0])) < 0.04 * se_log
    assert abs(math.log(sampled.high[0] / expected[1])) < 0.04 * se_log
    delta = propagate(
        [bgnbd],
        evaluate,
        np.ones(1),
        point,
        kind="amount",
        confidence=0.95,
        method="delta",
        n_draws=2,
        seed=0,
        func="t",
    )
    assert delta.low[0] == pytest.approx(expected[0], rel=1e-7)
    assert delta.high[0] == pytest.approx(expected[1], rel=1e-7)


def test_delta_method_matches_finite_differences_written_in_the_test(bgnbd, cdnow):
    args = (39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    se, total_se = _finite_difference_delta(bgnbd, lambda m: m.expected_purchases(*args))
    value = bgnbd.expected_purchases(*args)
    result = bgnbd.predict("expected_purchases", *args, confidence=0.95, method="delta")
    np.testing.assert_allclose(result.low, value * np.exp(-Z95 * se / value), rtol=1e-6)
    np.testing.assert_allclose(result.high, value * np.exp(Z95 * se / value), rtol=1e-6)
    total = value.sum()
    assert result.total == pytest.approx(total, rel=1e-12)
    assert result.total_low == pytest.approx(total * math.exp(-Z95 * total_se / total), rel=1e-6)
    assert result.total_high == pytest.approx(total * math.exp(Z95 * total_se / total), rel=1e-6)


def test_delta_on_the_logit_scale_for_probability_alive(bgnbd, cdnow):
    args = (cdnow["frequency"], cdnow["recency"], cdnow["T"])
    se, _ = _finite_difference_delta(bgnbd, lambda m: m.probability_alive(*args))
    p = bgnbd.probability_alive(*args)
    result = bgnbd.predict("probability_alive", *args, confidence=0.95, method="delta")
    inside = (p > 0) & (p < 1)
    logit = np.log(p[inside] / (1 - p[inside]))
    spread = Z95 * se[inside] / (p[inside] * (1 - p[inside]))
    np.testing.assert_allclose(
        np.asarray(result.low)[inside], 1 / (1 + np.exp(-(logit - spread))), rtol=1e-6
    )
    np.testing.assert_allclose(
        np.asarray(result.high)[inside], 1 / (1 + np.exp(-(logit + spread))), rtol=1e-6
    )
    # BG/NBD: P(alive) is exactly 1 without repeat purchases, whatever the parameters.
    assert np.all(np.asarray(result.low)[~inside] == 1.0)


def test_sampling_agrees_with_the_delta_method_on_cdnow(bgnbd, cdnow):
    """With 2,357 customers the log-parameters are close to normal: both methods agree.

    With 20,000 draws the total's widths differ by 0.5 % (290.3 vs 291.8 purchases); with
    4,000 the Monte Carlo sd of a 95 % width is ~1.5 %, so 5 % is over 3 sd.
    """
    args = (39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    sampled = bgnbd.predict("expected_purchases", *args, confidence=0.95, n_draws=4000, seed=1)
    delta = bgnbd.predict("expected_purchases", *args, confidence=0.95, method="delta")
    width_s = np.asarray(sampled.high) - np.asarray(sampled.low)
    width_d = np.asarray(delta.high) - np.asarray(delta.low)
    assert np.median(np.abs(width_s / width_d - 1)) < 0.05
    total_width_s = sampled.total_high - sampled.total_low
    total_width_d = delta.total_high - delta.total_low
    assert total_width_s == pytest.approx(total_width_d, rel=0.05)


def test_total_interval_comes_from_sums_within_draws_not_from_summed_bounds(bgnbd, cdnow):
    """Customers share the parameters: their errors are correlated, but not perfectly."""
    args = (39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    result = bgnbd.predict("expected_purchases", *args, confidence=0.95, n_draws=500)
    _, total_se = _finite_difference_delta(bgnbd, lambda m: m.expected_purchases(*args))
    total_width = result.total_high - result.total_low
    assert total_width == pytest.approx(2 * Z95 * total_se, rel=0.1)
    assert total_width < sum(result.high) - sum(result.low)


def test_clv_interval_propagates_both_fits(bgnbd, gamma_gamma, cdnow):
    point = customer_lifetime_value(bgnbd, gamma_gamma, cdnow, time_unit="W")
    result = predict_clv(
        bgnbd, gamma_gamma, cdnow, customer_id="customer_id", confidence=0.9, method="delta"
    )
    np.testing.assert_allclose(result.value, point, rtol=1e-12)
    assert result.customer_id == cdnow["customer_id"].tolist()
    # Independent delta: one gradient over the 4 + 3 log parameters, block-diagonal covariance.
    models = [bgnbd, gamma_gamma]
    columns = []
    for i, model in enumerate(models):
        names = list(type(model.params).model_fields)
        log_theta = np.log(model.params.as_array())
        for j in range(len(names)):
            values = []
            for sign in (1, -1):
                moved = log_theta.copy()
                moved[j] += sign * 1e-5
                at = list(models)
                at[i] = type(model).from_params(**dict(zip(names, np.exp(moved), strict=True)))
                values.append(customer_lifetime_value(at[0], at[1], cdnow, time_unit="W"))
            columns.append((values[0] - values[1]) / 2e-5)
    gradient = np.column_stack(columns)
    covariance = np.zeros((7, 7))
    covariance[:4, :4] = _log_covariance(bgnbd)
    covariance[4:, 4:] = _log_covariance(gamma_gamma)
    total_gradient = gradient.sum(axis=0)
    total_se = math.sqrt(total_gradient @ covariance @ total_gradient)
    z = norm.ppf(0.95)
    total = point.sum()
    assert result.total_low == pytest.approx(total * math.exp(-z * total_se / total), rel=1e-5)
    se = np.sqrt(np.einsum("ij,jk,ik->i", gradient, covariance, gradient))
    np.testing.assert_allclose(result.high, point * np.exp(z * se / point), rtol=1e-5)


def test_clv_sampling_interval_agrees_with_delta(bgnbd, gamma_gamma, cdnow):
    sampled = predict_clv(bgnbd, gamma_gamma, cdnow, confidence=0.95, n_draws=200, seed=2)
    delta = predict_clv(bgnbd, gamma_gamma, cdnow, confidence=0.95, method="delta")
    assert sampled.total_high - sampled.total_low == pytest.approx(
        delta.total_high - delta.total_low, rel=0.15
    )
    assert sampled.total_low <= sampled.total <= sampled.total_high


# -- properties ------------------------------------------------------------------------
MODELS = [
    (BetaGeoModel, "expected_purchases", (39.0,)),
    (ModifiedBetaGeoModel, "expected_purchases", (39.0,)),
    (ParetoNBDModel, "expected_purchases", (39.0,)),
    (BetaGeoModel, "probability_alive", ()),
    (ParetoNBDModel, "probability_alive", ()),
]


@pytest.mark.parametrize(("model_type", "quantity", "head"), MODELS)
@pytest.mark.parametrize("method", ["sampling", "delta"])
def test_bounds_hold_the_point_and_widen_on_less_data(cdnow, model_type, quantity, head, method):
    data = (cdnow["frequency"], cdnow["recency"], cdnow["T"])
    full = model_type().fit(*data)
    small = model_type().fit(*(column.iloc[::4] for column in data))
    rows = tuple(column.iloc[:200] for column in data)
    wide = small.predict(quantity, *head, *rows, confidence=0.95, method=method, n_draws=300)
    narrow = full.predict(quantity, *head, *rows, confidence=0.95, method=method, n_draws=300)
    for result in (wide, narrow):
        low, value, high = (np.asarray(v) for v in (result.low, result.value, result.high))
        assert np.all(low <= value)
        assert np.all(value <= high)
        assert result.total_low <= result.total <= result.total_high
    width_wide = np.asarray(wide.high) - np.asarray(wide.low)
    width_narrow = np.asarray(narrow.high) - np.asarray(narrow.low)
    varies = width_narrow > 0
    assert np.all(width_wide[varies] > width_narrow[varies])
    assert wide.total_high - wide.total_low > narrow.total_high - narrow.total_low


def test_bgbb_and_sbg_and_gamma_gamma_intervals_hold_their_points():
    rng = np.random.default_rng(7)
    p, theta = rng.beta(1.2, 0.75, 3000), rng.beta(0.66, 2.78, 3000)
    alive, x, t_x = np.ones(3000, bool), np.zeros(3000), np.zeros(3000)
    for t in range(1, 7):
        alive &= rng.random(3000) >= theta
        buy = alive & (rng.random(3000) < p)
        x, t_x = x + buy, np.where(buy, t, t_x)
    bgbb = BetaGeoBetaBinomModel().fit(x, t_x, 6)
    sbg = ShiftedBetaGeometricModel().fit([1000, 869, 743, 653, 593, 551, 517, 491])
    cdnow = load_cdnow_summary()
    spend = GammaGammaModel().fit(cdnow["frequency"], cdnow["monetary_value"])
    cases = [
        bgbb.predict("expected_purchases", 5, x[:50], t_x[:50], 6, confidence=0.95),
        bgbb.predict("probability_alive", x[:50], t_x[:50], 6, confidence=0.95),
        sbg.predict("survival", [1, 4, 12], confidence=0.95),
        sbg.predict("retention_rate", [1, 4, 12], confidence=0.95, method="delta"),
        sbg.predict("discounted_expected_residual_lifetime", 0.1, confidence=0.95),
        spend.predict(
            "expected_average_value", cdnow["frequency"], cdnow["monetary_value"], confidence=0.95
        ),
        spend.predict("population_mean_value", confidence=0.95, method="delta"),
    ]
    for result in cases:
        low, value, high = (np.asarray(v) for v in (result.low, result.value, result.high))
        assert np.all((low <= value) & (value <= high)), result.quantity
        assert np.all(high > low), result.quantity


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    x=st.integers(0, 60),
    share=st.floats(0.0, 1.0),
    T=st.floats(0.5, 300.0),
    t=st.floats(0.0, 500.0),
    method=st.sampled_from(["sampling", "delta"]),
)
def test_any_history_gets_ordered_bounds_in_range(bgnbd, x, share, *, T, t, method):
    t_x = 0.0 if x == 0 else share * T
    purchases = bgnbd.predict(
        "expected_purchases", t, x, t_x, T, confidence=0.9, method=method, n_draws=30
    )
    alive = bgnbd.predict("probability_alive", x, t_x, T, confidence=0.9, method=method, n_draws=30)
    assert 0.0 <= purchases.low[0] <= purchases.value[0] <= purchases.high[0]
    assert 0.0 <= alive.low[0] <= alive.value[0] <= alive.high[0] <= 1.0
    assert all(math.isfinite(v) for v in (*purchases.low, *purchases.high))


def test_the_same_seed_gives_the_same_interval_and_another_seed_another(bgnbd, cdnow):
    args = (39.0, cdnow["frequency"][:20], cdnow["recency"][:20], cdnow["T"][:20])
    first = bgnbd.predict("expected_purchases", *args, confidence=0.95, n_draws=50, seed=5)
    again = bgnbd.predict("expected_purchases", *args, confidence=0.95, n_draws=50, seed=5)
    other = bgnbd.predict("expected_purchases", *args, confidence=0.95, n_draws=50, seed=6)
    assert first == again
    assert first.low != other.low


def test_blocks_of_rows_give_the_same_interval_as_one_block(bgnbd, cdnow, monkeypatch):
    """The sampling evaluates rows in blocks to bound memory; blocking must not change it."""
    from retention_kpis.clv import uncertainty  # noqa: PLC0415

    args = (39.0, cdnow["frequency"], cdnow["recency"], cdnow["T"])
    whole = bgnbd.predict("expected_purchases", *args, confidence=0.95, n_draws=40)
    monkeypatch.setattr(uncertainty, "_CELLS", 40 * 7)  # blocks of 7 distinct rows
    blocked = bgnbd.predict("expected_purchases", *args, confidence=0.95, n_draws=40)
    np.testing.assert_allclose(blocked.low, whole.low, rtol=1e-12)
    assert blocked.total_high == pytest.approx(whole.total_high, rel=1e-12)


# -- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"confidence": 1.0},
            (
                "The 'confidence' parameter of BetaGeoModel.predict must be in (0, 1). "
                "Got 1.0 instead."
            ),
        ),
        (
            {"confidence": 0.9, "method": "bootstrap"},
            "The 'method' parameter of BetaGeoModel.predict must be one of",
        ),
        (
            {"confidence": 0.9, "n_draws": 1},
            "The 'n_draws' parameter of BetaGeoModel.predict must be >= 2. Got 1 instead.",
        ),
        (
            {"confidence": 0.9, "seed": -1},
            "The 'seed' parameter of BetaGeoModel.predict must be >= 0. Got -1 instead.",
        ),
        (
            {"customer_id": ["a"]},
            (
                "The 'customer_id' parameter of BetaGeoModel.predict must hold one id per "
                "prediction (2). Got 1 instead."
            ),
        ),
        (
            {"customer_id": [1.5, 2.5]},
            (
                "The 'customer_id' parameter of BetaGeoModel.predict must hold strings or "
                "integers. Got 2 other value(s) instead."
            ),
        ),
    ],
)
def test_bad_options_are_refused_with_the_template(bgnbd, options, message):
    with pytest.raises(InvalidInputError) as error:
        bgnbd.predict("probability_alive", [0, 1], [0, 3.0], 30.0, **options)
    assert str(error.value).startswith(message)


def test_unknown_quantity_lists_the_model_predictions(bgnbd):
    with pytest.raises(
        InvalidInputError, match=r"The 'quantity' parameter of BetaGeoModel\.predict"
    ):
        bgnbd.predict("fit", [1], [1.0], [2.0])
    with pytest.raises(InvalidInputError, match=r"\['probability_alive', 'expected_purchases'"):
        bgnbd.predict("survival", 3)


def test_interval_of_a_model_without_a_fit_is_refused():
    model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    assert model.predict("probability_alive", 1, 2.0, 3.0).low is None  # no interval: fine
    with pytest.raises(InvalidInputError, match="has none \\(it was built from parameters"):
        model.predict("probability_alive", 1, 2.0, 3.0, confidence=0.95)


def test_bad_summary_inputs_keep_the_model_messages(bgnbd):
    with pytest.raises(InvalidInputError, match="Some values in recency are larger than T"):
        bgnbd.predict("probability_alive", [1], [5.0], [2.0], confidence=0.95)


def test_input_arrays_are_not_modified(bgnbd, cdnow):
    frame = cdnow.copy()
    bgnbd.predict(
        "expected_purchases",
        10,
        frame["frequency"],
        frame["recency"],
        frame["T"],
        confidence=0.9,
        n_draws=20,
    )
    predict_clv(bgnbd, GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44), frame)
    assert frame.equals(cdnow)
