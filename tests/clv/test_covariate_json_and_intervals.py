"""JSON persistence, time unit and prediction intervals of the covariate models (issue #20).

Where the expected values come from:

* round trip: the predictions of the fitted model itself, which the rebuilt one must repeat
  bit for bit;
* tampered documents: the messages are written out by hand from the message template;
* intervals: an independent delta method written here (central differences of the model's
  predictions in (log base parameters, coefficients), carried through the fit's covariance),
  and the normal quantile from ``statistics.NormalDist``.

The data are simulated from the models with known parameters (seeded), so the fits are well
identified.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from retention_kpis import InvalidInputError
from retention_kpis.clv import (
    BetaGeoCovariateModel,
    GammaGammaCovariateModel,
    ParetoNBDCovariateModel,
)

# --- simulated data --------------------------------------------------------------------------


def simulate_bgnbd(seed: int, n: int, T: float = 52.0) -> pd.DataFrame:
    """BG/NBD: ``alpha_i = 4 exp(-0.5 z)``, ``a_i = 0.8 exp(0.6 c)``, ``b_i = 2.5 exp(-0.4 c)``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.0, n)
    c = rng.integers(0, 2, n).astype(float)
    rate = rng.gamma(0.6, 1.0 / (4.0 * np.exp(-0.5 * z)))
    p = rng.beta(0.8 * np.exp(0.6 * c), 2.5 * np.exp(-0.4 * c))
    bought = rng.poisson(rate * T)
    lasting = rng.geometric(p)  # purchases up to and including the one after which they drop
    x = np.minimum(bought, lasting)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(bought - x + 1, 1)), 0.0)
    return pd.DataFrame(
        {"frequency": x.astype(float), "recency": t_x, "T": np.full(n, T), "z": z, "c": c}
    )


def simulate_pareto(seed: int, n: int, T: float = 52.0) -> pd.DataFrame:
    """Pareto/NBD: ``alpha_i = 10 exp(-0.4 z)``, ``beta_i = 12 exp(-0.7 c)``, r 0.6, s 0.8."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.0, n)
    c = rng.integers(0, 2, n).astype(float)
    rate = rng.gamma(0.6, 1.0 / (10.0 * np.exp(-0.4 * z)))
    death = rng.gamma(0.8, 1.0 / (12.0 * np.exp(-0.7 * c)))
    end = np.minimum(rng.exponential(1.0 / death), T)
    x = rng.poisson(rate * end)
    t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return pd.DataFrame(
        {"frequency": x.astype(float), "recency": t_x, "T": np.full(n, T), "z": z, "c": c}
    )


def simulate_spend(seed: int, n: int) -> pd.DataFrame:
    """Gamma-Gamma: ``p = 6``, ``q = 4``, ``v_i = 15 exp(0.4 segment)``."""
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, 2, n).astype(float)
    nu = rng.gamma(4.0, 1.0 / (15.0 * np.exp(0.4 * segment)))
    x = rng.integers(1, 10, n).astype(float)
    zbar = rng.gamma(6.0 * x, 1.0 / (nu * x))  # mean of x Gamma(p, nu) spends
    return pd.DataFrame({"frequency": x, "monetary_value": zbar, "segment": segment})


@pytest.fixture(scope="module")
def bg_data() -> pd.DataFrame:
    return simulate_bgnbd(1, 3000)


@pytest.fixture(scope="module")
def bg(bg_data) -> BetaGeoCovariateModel:
    return BetaGeoCovariateModel(time_unit="W").fit(
        bg_data, purchase_covariates=["z"], dropout_covariates=["c"]
    )


@pytest.fixture(scope="module")
def pn_data() -> pd.DataFrame:
    return simulate_pareto(2, 3000)


@pytest.fixture(scope="module")
def pn(pn_data) -> ParetoNBDCovariateModel:
    return ParetoNBDCovariateModel(time_unit="7D").fit(
        pn_data, purchase_covariates=["z"], dropout_covariates=["c"]
    )


@pytest.fixture(scope="module")
def gg_data() -> pd.DataFrame:
    return simulate_spend(3, 2000)


@pytest.fixture(scope="module")
def gg(gg_data) -> GammaGammaCovariateModel:
    return GammaGammaCovariateModel().fit(gg_data, spend_covariates=["segment"])


# --- 1. JSON ---------------------------------------------------------------------------------


def _strict(text: str) -> dict:
    def refuse(name: str) -> float:
        raise AssertionError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_bgnbd_round_trip_repeats_every_prediction(bg, bg_data):
    text = bg.to_json()
    payload = _strict(text)
    assert payload["covariate_columns"] == {"purchase": ["z"], "dropout": ["c"]}
    assert list(payload["params"]) == [
        "r",
        "alpha",
        "a",
        "b",
        "purchase:z",
        "dropout_a:c",
        "dropout_b:c",
    ]
    back = BetaGeoCovariateModel.from_json(text)
    assert back.coefficients == bg.coefficients
    assert np.array_equal(back.covariance, bg.covariance)
    assert back.log_likelihood == bg.log_likelihood
    assert back.n_customers == bg.n_customers
    assert back.time_unit == "W"
    assert back.covariate_columns == bg.covariate_columns
    assert np.array_equal(back.probability_alive(bg_data), bg.probability_alive(bg_data))
    assert np.array_equal(
        back.expected_purchases(10.0, bg_data), bg.expected_purchases(10.0, bg_data)
    )
    assert np.array_equal(
        back.expected_purchases_new_customer(10.0, bg_data),
        bg.expected_purchases_new_customer(10.0, bg_data),
    )
    assert back.to_json() == text


def test_pareto_round_trip_repeats_every_prediction(pn, pn_data):
    text = pn.to_json()
    back = ParetoNBDCovariateModel.from_json(text)
    assert back.coefficients == pn.coefficients
    assert np.array_equal(back.covariance, pn.covariance)
    assert back.time_unit == "7D"
    head = pn_data.head(200)
    assert np.array_equal(back.probability_alive(head), pn.probability_alive(head))
    assert np.array_equal(back.expected_purchases(5.0, head), pn.expected_purchases(5.0, head))
    assert back.to_json() == text


def test_gamma_gamma_round_trip_repeats_every_prediction(gg, gg_data):
    text = gg.to_json()
    assert "time_unit" not in _strict(text)
    back = GammaGammaCovariateModel.from_json(text)
    assert back.coefficients == gg.coefficients
    assert back.time_unit is None
    assert np.array_equal(back.expected_average_value(gg_data), gg.expected_average_value(gg_data))
    assert back.summary().equals(gg.summary())


def test_a_model_fitted_without_covariates_round_trips(gg_data):
    plain = GammaGammaCovariateModel().fit(gg_data)
    back = GammaGammaCovariateModel.from_json(plain.to_json())
    assert back.covariate_columns == {}
    assert np.array_equal(
        back.expected_average_value(gg_data), plain.expected_average_value(gg_data)
    )


def test_an_unfitted_model_cannot_be_written():
    from retention_kpis.clv import NotFittedError  # noqa: PLC0415

    with pytest.raises(NotFittedError, match="not fitted yet"):
        GammaGammaCovariateModel().to_json()


def _tampered(fitted, changes: dict) -> str:
    payload = json.loads(fitted.to_json())
    payload.update(changes)
    return json.dumps(payload)


PREFIX = "The '{field}' field of the BetaGeoCovariateModel JSON must "
ROLES = "be a mapping from ['purchase', 'dropout'] to non-empty lists of distinct column names. "
NAMES = "['r', 'alpha', 'a', 'b', 'purchase:z', 'dropout_a:c', 'dropout_b:c']"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"covariate_columns": None},
            PREFIX.format(field="covariate_columns") + ROLES + "Got None instead.",
        ),
        (
            {"covariate_columns": {"spend": ["z"]}},
            PREFIX.format(field="covariate_columns") + ROLES + "Got {'spend': ['z']} instead.",
        ),
        (
            {"covariate_columns": {"purchase": ["z", "z"], "dropout": ["c"]}},
            PREFIX.format(field="covariate_columns.purchase") + ROLES + "Got ['z', 'z'] instead.",
        ),
        (
            {"covariate_columns": {"purchase": [], "dropout": ["c"]}},
            PREFIX.format(field="covariate_columns.purchase") + ROLES + "Got [] instead.",
        ),
        (
            {"covariate_columns": {"purchase": ["z"]}},  # the dropout coefficients are left over
            PREFIX.format(field="params")
            + "hold exactly the keys ['r', 'alpha', 'a', 'b', 'purchase:z']. Got "
            "['a', 'alpha', 'b', 'dropout_a:c', 'dropout_b:c', 'purchase:z', 'r'] instead.",
        ),
        (
            {"params": [1, 2]},
            PREFIX.format(field="params") + f"hold exactly the keys {NAMES}. Got [1, 2] instead.",
        ),
        (
            {"covariance": None},
            PREFIX.format(field="covariance")
            + "be a symmetric 7 x 7 list of finite numbers. Got None instead.",
        ),
        (
            {"covariance": [[1.0] * 7] * 6 + [[1.0] * 6]},
            PREFIX.format(field="covariance")
            + "be a symmetric 7 x 7 list of finite numbers. Got [1.0, 1.0, 1.0, 1.0, 1.0, 1.0] "
            "instead.",
        ),
        (
            {"log_likelihood": "high"},
            PREFIX.format(field="log_likelihood")
            + "be a finite number or null. Got 'high' instead.",
        ),
        (
            {"time_unit": "fortnight"},
            (
                "The 'time_unit' parameter of BetaGeoCovariateModel.from_json must be 'h', 'D', "
                "'W' or 'M', optionally after a positive multiplier ('7D'). Got 'fortnight' instead."
            ),
        ),
        (
            {"model": "BetaGeoModel"},
            "JSON does not hold a BetaGeoCovariateModel (found 'BetaGeoModel').",
        ),
        (
            {"penalizer_coef": 0.0},
            (
                "The BetaGeoCovariateModel JSON holds unknown field(s) ['penalizer_coef']; known "
                "fields: ['model', 'library_version', 'covariate_columns', 'params', 'covariance', "
                "'log_likelihood', 'n_customers', 'time_unit']."
            ),
        ),
    ],
    ids=[
        "no-roles",
        "an-unknown-role",
        "a-repeated-column",
        "an-empty-role",
        "roles-and-params-disagree",
        "params-a-list",
        "no-covariance",
        "a-ragged-covariance",
        "a-string-log-likelihood",
        "an-unknown-time-unit",
        "another-model",
        "an-unknown-field",
    ],
)
def test_tampered_json_names_the_field(bg, changes, message):
    with pytest.raises(InvalidInputError) as info:
        BetaGeoCovariateModel.from_json(_tampered(bg, changes))
    assert str(info.value) == message


def test_tampered_parameters_are_refused(bg):
    payload = json.loads(bg.to_json())
    for key, value, requirement in [
        ("alpha", -4.0, "be a positive finite number. Got -4.0 instead."),
        ("r", "0.6", "be a positive finite number. Got '0.6' instead."),
        ("purchase:z", "0.5", "be a finite number. Got '0.5' instead."),
        (
            "dropout_b:c",
            10**350,
            "be a finite number. Got an integer of about 351 digits instead.",
        ),
    ]:
        params = {**payload["params"], key: value}
        with pytest.raises(InvalidInputError) as info:
            BetaGeoCovariateModel.from_json(json.dumps({**payload, "params": params}))
        assert str(info.value) == PREFIX.format(field=f"params.{key}") + requirement
    # a negative coefficient is a valid estimate, not tampering
    params = {**payload["params"], "purchase:z": -0.5}
    back = BetaGeoCovariateModel.from_json(json.dumps({**payload, "params": params}))
    assert back.coefficients["purchase:z"] == -0.5


def test_non_finite_values_and_asymmetric_covariances_are_refused(bg):
    text = bg.to_json()
    payload = json.loads(text)
    key = "dropout_a:c"
    nan_text = text.replace(f'"{key}": {payload["params"][key]!r}', f'"{key}": NaN')
    assert nan_text != text
    with pytest.raises(InvalidInputError) as info:
        BetaGeoCovariateModel.from_json(nan_text)
    assert str(info.value) == PREFIX.format(field=f"params.{key}") + (
        "be a finite number. Got nan instead."
    )
    covariance = payload["covariance"]
    covariance[0][1] += 1.0
    with pytest.raises(InvalidInputError) as info:
        BetaGeoCovariateModel.from_json(json.dumps({**payload, "covariance": covariance}))
    assert str(info.value) == PREFIX.format(field="covariance") + (
        "be a symmetric 7 x 7 list of finite numbers and no negative variance. Got an "
        "asymmetric matrix or one with a negative variance instead."
    )
    with pytest.raises(InvalidInputError, match=r"must be a JSON string\. Got dict instead"):
        BetaGeoCovariateModel.from_json(payload)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="must be valid JSON"):
        BetaGeoCovariateModel.from_json(text[:-1])


# --- 2. time unit ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model_type", [BetaGeoCovariateModel, ParetoNBDCovariateModel, GammaGammaCovariateModel]
)
def test_time_unit_is_recorded_in_its_canonical_spelling(model_type):
    assert model_type().time_unit is None
    assert model_type(time_unit="1W").time_unit == "W"  # units.normalise_time_unit's spelling
    model = model_type()
    model.time_unit = "H"  # lifetimes' hour
    assert model.time_unit == "h"
    model.time_unit = None
    assert model.time_unit is None
    name = model_type.__name__
    with pytest.raises(InvalidInputError) as info:
        model_type(time_unit="weeks")
    assert str(info.value) == (
        f"The 'time_unit' parameter of {name} must be 'h', 'D', 'W' or 'M', optionally after a "
        "positive multiplier ('7D'). Got 'weeks' instead."
    )
    with pytest.raises(InvalidInputError, match="'time_unit' parameter"):
        model.time_unit = 7  # type: ignore[assignment]


def test_time_unit_changes_no_number(bg_data, bg):
    weekly = BetaGeoCovariateModel.from_json(bg.to_json())
    weekly.time_unit = None
    assert np.array_equal(
        weekly.expected_purchases(4.0, bg_data), bg.expected_purchases(4.0, bg_data)
    )


# --- 3. prediction intervals -----------------------------------------------------------------


def _moved(model, j: int, step: float):
    """The model with coordinate ``j`` of (log base parameters, coefficients) moved by ``step``.

    Built through the public JSON (not the library's own coordinate code): base parameters
    are multiplied by ``exp(step)``, coefficients shifted by ``step``.
    """
    payload = json.loads(model.to_json())
    key = list(payload["params"])[j]
    if ":" not in key:  # a base parameter; coefficients are named role:column
        payload["params"][key] *= np.exp(step)
    else:
        payload["params"][key] += step
    return type(model).from_json(json.dumps(payload))


def _independent_delta(model, call, confidence, kind):
    """First-order delta method: central differences (step 1e-5) in (log base, coefficients).

    The covariance of those coordinates is ``model.covariance`` with the base parameters' rows
    and columns divided by their estimates (the delta method run backwards). Bounds on the log
    scale for amounts, on the logit scale for probabilities; the total on the log scale.
    """
    from statistics import NormalDist  # noqa: PLC0415

    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    values = np.array(list(model.coefficients.values()))
    k = len(values)
    base = np.array([":" not in name for name in model.coefficients])
    scale = np.where(base, values, 1.0)
    cov = model.covariance / np.outer(scale, scale)
    point = call(model)
    h = 1e-5
    gradient = np.column_stack(
        [(call(_moved(model, j, h)) - call(_moved(model, j, -h))) / (2 * h) for j in range(k)]
    )
    se = np.sqrt(np.einsum("nk,kl,nl->n", gradient, cov, gradient))
    if kind == "probability":
        # P(alive) is exactly 1 for BG/NBD customers without repeat purchases (se 0 there)
        inside = (point > 0) & (point < 1)
        p = np.where(inside, point, 0.5)
        logit, spread = np.log(p / (1 - p)), z * se / (p * (1 - p))
        low = np.where(inside, 1 / (1 + np.exp(-(logit - spread))), point - z * se)
        high = np.where(inside, 1 / (1 + np.exp(-(logit + spread))), point + z * se)
    else:
        low, high = point * np.exp(-z * se / point), point * np.exp(z * se / point)
    total_gradient = gradient.sum(axis=0)
    total = point.sum()
    total_se = np.sqrt(total_gradient @ cov @ total_gradient)
    return low, high, total * np.exp(-z * total_se / total), total * np.exp(z * total_se / total)


CASES = [
    ("bg", "bg_data", "probability_alive", (), "probability"),
    ("bg", "bg_data", "expected_purchases", (10.0,), "amount"),
    ("bg", "bg_data", "expected_purchases_new_customer", (10.0,), "amount"),
    ("pn", "pn_data", "probability_alive", (), "probability"),
    ("pn", "pn_data", "expected_purchases", (8.0,), "amount"),
    ("gg", "gg_data", "expected_average_value", (), "amount"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[2]}")
def test_delta_method_agrees_with_an_independent_one(request, case):
    fitted, data, quantity, before, kind = case
    model = request.getfixturevalue(fitted)
    rows = request.getfixturevalue(data).head(40)

    def call(m):
        return np.asarray(getattr(m, quantity)(*before, rows), dtype=float)

    low, high, total_low, total_high = _independent_delta(model, call, 0.9, kind)
    result = model.predict(quantity, *before, rows, confidence=0.9, method="delta")
    assert np.asarray(result.value) == pytest.approx(call(model), rel=1e-15)
    assert np.asarray(result.low) == pytest.approx(low, rel=1e-6)
    assert np.asarray(result.high) == pytest.approx(high, rel=1e-6)
    assert result.total_low == pytest.approx(total_low, rel=1e-6)
    assert result.total_high == pytest.approx(total_high, rel=1e-6)
    assert result.interval_method == "delta"
    assert result.n_draws is None


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case[0]}-{case[2]}")
def test_sampling_is_close_to_delta_and_brackets_the_point(request, case):
    fitted, data, quantity, before, _ = case
    model = request.getfixturevalue(fitted)
    rows = request.getfixturevalue(data).head(30)
    delta = model.predict(quantity, *before, rows, confidence=0.9, method="delta")
    sampled = model.predict(quantity, *before, rows, confidence=0.9, n_draws=2000, seed=4)
    width = np.asarray(delta.high) - np.asarray(delta.low)
    # 2000 draws: a 5 % quantile is off by about 5 % of the width; the model is near-linear
    # in the coordinates over a few standard errors on 3000 customers
    assert np.abs(np.asarray(sampled.low) - delta.low).max() <= 0.15 * width.max()
    assert np.all(np.abs(np.asarray(sampled.low) - delta.low) <= 0.15 * width)
    assert np.all(np.abs(np.asarray(sampled.high) - delta.high) <= 0.15 * width)
    total_width = delta.total_high - delta.total_low
    assert abs(sampled.total_low - delta.total_low) <= 0.15 * total_width
    assert abs(sampled.total_high - delta.total_high) <= 0.15 * total_width
    for result in (delta, sampled):
        assert np.all(np.asarray(result.low) <= np.asarray(result.value))
        assert np.all(np.asarray(result.value) <= np.asarray(result.high))
        assert result.total_low <= result.total <= result.total_high
    # an interval of width 0 only where the prediction does not depend on the estimates:
    # P(alive) = 1 of BG/NBD customers without repeat purchases
    assert np.all((width > 0) | (np.asarray(delta.value) == 1.0))
    # the total's interval is not the sum of the per-row bounds (the rows share the estimates)
    assert sampled.total_high < sum(sampled.high)
    again = model.predict(quantity, *before, rows, confidence=0.9, n_draws=2000, seed=4)
    assert again == sampled  # seeded


def test_a_negative_coefficient_is_drawn_as_it_is(bg, bg_data):
    """``dropout_b:c`` is negative (-0.14 here); logging it would fail, drawing it must not."""
    assert bg.coefficients["dropout_b:c"] < 0
    result = bg.predict("probability_alive", bg_data.head(10), confidence=0.95, n_draws=200)
    assert np.all(np.isfinite(result.low))
    assert np.all(np.isfinite(result.high))


def test_prediction_carries_unit_ids_and_serialises(pn, pn_data):
    rows = pn_data.head(3)
    result = pn.predict(
        "expected_purchases", 4.0, rows, customer_id=["a", "b", "c"], confidence=0.8, n_draws=50
    )
    assert result.model == "ParetoNBDCovariateModel"
    assert result.time_unit == "7D"
    assert result.time_unit_description == "1 time unit = 7 days"
    assert result.horizon == "t = 4 time units = 28 days"
    frame = result.to_frame()
    assert list(frame.columns) == ["customer_id", "value", "low", "high"]
    assert frame["customer_id"].tolist() == ["a", "b", "c"]
    assert frame.attrs["time_unit"] == "7D"
    payload = _strict(result.model_dump_json())
    assert payload["value"] == pytest.approx(pn.expected_purchases(4.0, rows).tolist(), rel=1e-15)
    plain = pn.predict("probability_alive", rows)
    assert plain.low is None
    assert plain.horizon is None
    assert np.asarray(plain.value) == pytest.approx(pn.probability_alive(rows), rel=1e-15)
    per_row_t = pn.predict("expected_purchases", [1.0, 2.0, 3.0], rows)
    assert np.asarray(per_row_t.value) == pytest.approx(
        pn.expected_purchases(np.array([1.0, 2.0, 3.0]), rows), rel=1e-15
    )


def test_prediction_bad_input(bg, bg_data, gg):
    rows = bg_data.head(3)
    name = "BetaGeoCovariateModel.predict"
    with pytest.raises(InvalidInputError) as info:
        bg.predict("expected_average_value", rows)
    assert str(info.value) == (
        f"The 'quantity' parameter of {name} must be one of ['probability_alive', "
        "'expected_purchases', 'expected_purchases_new_customer']. Got 'expected_average_value' "
        "instead."
    )
    with pytest.raises(
        InvalidInputError, match=r"'quantity' parameter of GammaGammaCovariateModel"
    ):
        gg.predict("probability_alive", rows)
    with pytest.raises(InvalidInputError, match=rf"'confidence' parameter of {name}"):
        bg.predict("probability_alive", rows, confidence=1.5)
    with pytest.raises(InvalidInputError, match=rf"'method' parameter of {name}"):
        bg.predict("probability_alive", rows, confidence=0.9, method="bootstrap")
    with pytest.raises(InvalidInputError) as info:
        bg.predict("probability_alive", rows, confidence=0.9, n_draws=1)
    assert str(info.value) == f"The 'n_draws' parameter of {name} must be >= 2. Got 1 instead."
    with pytest.raises(InvalidInputError, match=r"one id per prediction \(3\)\. Got 2 instead"):
        bg.predict("probability_alive", rows, customer_id=["a", "b"])
    with pytest.raises(InvalidInputError, match=r"do not fit expected_purchases"):
        bg.predict("expected_purchases", rows)  # t missing
    with pytest.raises(InvalidInputError, match=r"one value per customer \(3\); got 2"):
        bg.predict("expected_purchases", [1.0, 2.0], rows)
    from retention_kpis.exceptions import ColumnNotFoundError  # noqa: PLC0415

    with pytest.raises(ColumnNotFoundError, match="'c'"):
        bg.predict("probability_alive", rows.drop(columns="c"), confidence=0.9)
    from retention_kpis.clv import NotFittedError  # noqa: PLC0415

    with pytest.raises(NotFittedError):
        BetaGeoCovariateModel().predict("probability_alive", rows)
