"""Covariate BG/NBD, Pareto/NBD and Gamma-Gamma (Fader & Hardie 2007).

Where the expected values come from:

* gradients: central finite differences of the log-likelihood itself;
* the per-row likelihoods at equal parameters: the models without covariates (other code);
* predictions: the models without covariates built from each customer's own parameters;
* CDNOW: pymc-marketing 0.19.2's flat-prior MAP fit of the same model, run by
  ``tools/pymc_covariates.py cdnow`` (numbers in ``tests/data/pymc_covariates_cdnow.json``);
* recovery: data simulated from known parameters (seeded), estimates within 2.5 standard errors.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from retention_kpis.clv import (
    BetaGeoCovariateModel,
    BetaGeoModel,
    GammaGammaCovariateModel,
    GammaGammaModel,
    NotFittedError,
    ParetoNBDCovariateModel,
    ParetoNBDModel,
)
from retention_kpis.clv._base import collapse_rows, row_hash
from retention_kpis.clv._bgnbd_covariates import BetaGeoRows
from retention_kpis.clv._covariates import dense_codes, few_duplicates, row_groups
from retention_kpis.clv._gamma_gamma_covariates import GammaGammaRows
from retention_kpis.clv._pareto_covariates import ParetoRows
from retention_kpis.clv._special import trigamma
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

# --- helpers -----------------------------------------------------------------------------------


def _simulate_bgnbd(rng, r, alpha, a, b, T):  # noqa: PLR0917 - the model's parameters
    """BG/NBD histories with per-customer ``alpha, a, b``: Poisson purchases on (0, T], each
    followed by dropout with probability ``p``; the x-th of N uniform purchase times is
    ``T * Beta(x, N - x + 1)``."""
    n = len(alpha)
    rate = rng.gamma(r, 1.0 / alpha)
    p = rng.beta(a, b)
    bought = rng.poisson(rate * T)
    lasting = rng.geometric(p)  # purchases up to and including the one after which they drop
    x = np.minimum(bought, lasting)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(bought - x + 1, 1)), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": np.full(n, T)})


def _simulate_pareto(rng, r, alpha, s, beta, T):  # noqa: PLR0917 - the model's parameters
    """Pareto/NBD histories: exponential lifetimes, Poisson purchases while alive."""
    n = len(alpha)
    rate = rng.gamma(r, 1.0 / alpha)
    death = rng.gamma(s, 1.0 / beta)
    end = np.minimum(rng.exponential(1.0 / death), T)
    x = rng.poisson(rate * end)
    t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    return pd.DataFrame({"frequency": x.astype(float), "recency": t_x, "T": np.full(n, T)})


@pytest.fixture(scope="module")
def cdnow_first_spend() -> pd.DataFrame:
    """The CDNOW sample summary with the first purchase day's dollar value / 1000 (Abe 2009)."""
    from pathlib import Path  # noqa: PLC0415

    summary = load_cdnow_summary()
    log = pd.read_csv(
        Path(__file__).resolve().parent.parent / "data" / "CDNOW_sample.txt.gz",
        sep=r"\s+",
        header=None,
        names=["master_id", "id", "date", "cds", "value"],
    )
    first_day = log.groupby("id")["date"].transform("min")
    first = log[log["date"] == first_day].groupby("id")["value"].sum() / 1000.0
    summary["first_spend"] = summary["customer_id"].map(first)
    return summary


@pytest.fixture(scope="module")
def pymc_reference(data_dir) -> dict[str, dict]:
    payload = json.loads((data_dir / "pymc_covariates_cdnow.json").read_text())
    assert payload["pymc_marketing"] == "0.19.2"
    return {fit["model"]: fit for fit in payload["fits"]}


def _numeric_gradient(likelihood, theta, j, h=1e-6):
    up = [v.copy() for v in theta]
    down = [v.copy() for v in theta]
    up[j] = up[j] * np.exp(h)
    down[j] = down[j] * np.exp(-h)
    return (likelihood(up)[0] - likelihood(down)[0]) / (2 * h)


# --- likelihoods -------------------------------------------------------------------------------


def _rows(seed=0, n=400):
    rng = np.random.default_rng(seed)
    x = rng.poisson(2.0, n).astype(float)
    T = rng.uniform(20.0, 40.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    t_x[:5] = np.where(x[:5] > 0, T[:5], 0.0)  # purchases at T
    return rng, x, t_x, T, rng.uniform(0.5, 2.0, n)


ENGINES = ["numpy", "numba"]
"""Both engines of the covariate fits (numba is in the test extra: both always run)."""


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("buyers_last", [False, True])
def test_bgnbd_rows_gradient_matches_finite_differences(buyers_last, engine):
    rng, x, t_x, T, w = _rows()
    group = rng.integers(0, 3, len(x))
    if buyers_last:  # the short path for the leading customers without repeat purchases
        order = np.argsort(x > 0, kind="stable")
        x, t_x, T, w, group = x[order], t_x[order], T[order], w[order], group[order]
    likelihood = BetaGeoRows(x, t_x, T, w, group, engine=engine)
    assert (likelihood.n_stay > 0) == buyers_last
    theta = [
        np.array([0.3]),
        rng.uniform(2.0, 6.0, len(x)),
        np.array([0.7, 0.9, 1.3])[group],
        np.array([2.0, 2.5, 3.3])[group],
    ]
    _, grads = likelihood(theta)
    for j in range(4):
        assert grads[j].sum() == pytest.approx(_numeric_gradient(likelihood, theta, j), rel=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("buyers_last", [False, True])
def test_bgnbd_rows_hessian_matches_finite_differences_of_the_gradient(buyers_last, engine):
    """The analytic Hessian, contracted with random per-row multipliers (so that an error
    in any customer's Hessian shows), against central differences of each customer's
    analytic gradient (checked above against the likelihood itself), contracted alike."""
    rng, x, t_x, T, w = _rows(3)
    group = rng.integers(0, 3, len(x))
    if buyers_last:
        order = np.argsort(x > 0, kind="stable")
        x, t_x, T, w, group = x[order], t_x[order], T[order], w[order], group[order]
    likelihood = BetaGeoRows(x, t_x, T, w, group, engine=engine)
    theta = [
        np.array([0.6]),
        rng.uniform(3.0, 6.0, len(x)),
        np.array([0.7, 1.1, 0.5])[group],
        np.array([2.5, 1.7, 3.3])[group],
    ]
    coordinates = [(j, None) for j in range(4)] + [(j, rng.normal(size=len(x))) for j in range(4)]
    _, _, matrix = likelihood.with_hessian(theta, coordinates)
    h = 1e-5
    per_row = np.empty((4, 4, len(x)))
    for j in range(4):
        up, down = list(theta), list(theta)
        up[j], down[j] = theta[j] * np.exp(h), theta[j] * np.exp(-h)
        pairs = zip(likelihood(up)[1], likelihood(down)[1], strict=True)
        per_row[j] = [(a - b) / (2 * h) for a, b in pairs]
    for p, (tp, mp) in enumerate(coordinates):
        for q, (tq, mq) in enumerate(coordinates):
            scale = (1.0 if mp is None else mp) * (1.0 if mq is None else mq)
            expected = float(np.sum(per_row[tp, tq] * scale))
            assert matrix[p, q] == pytest.approx(expected, rel=1e-7, abs=1e-6)


def test_trigamma_matches_scipy_polygamma():
    """The BG/NBD Hessian's trigamma against scipy's ``polygamma(1, x)`` (Hurwitz zeta, other
    code), below, across and far above the shift at 10."""
    from scipy.special import polygamma  # noqa: PLC0415

    x = np.concatenate([np.geomspace(1e-4, 1e7, 5000), np.arange(1.0, 40.0), [9.999, 10.0]])
    np.testing.assert_allclose(trigamma(x), polygamma(1, x), rtol=4e-15, atol=0)


def test_collapse_rows_hash_keeps_small_whole_numbers_apart():
    """Weekly summaries (whole numbers) and 0/1 covariates: every distinct row keeps its
    own hash (a multiply-and-xor hash merged 25 % of these rows, sending every such fit
    to np.unique(axis=0), seconds on a million customers); the merge equals np.unique's."""
    grid = np.meshgrid(
        np.arange(30.0), np.arange(53.0), np.arange(40.0, 53.0), [0.0, 1.0], [0.0, 1.0]
    )
    columns = [values.ravel() for values in grid]
    assert len(np.unique(row_hash(columns))) == len(columns[0])
    rng = np.random.default_rng(5)
    rows = rng.integers(0, len(columns[0]), 20_000)
    merged, weights = collapse_rows([column[rows] for column in columns], None)
    unique, counts = np.unique(np.column_stack(columns)[rows], axis=0, return_counts=True)
    order = np.lexsort(merged[::-1])
    np.testing.assert_array_equal(np.column_stack(merged)[order], unique)
    np.testing.assert_array_equal(weights[order], counts)


def test_dense_codes_and_row_groups_label_like_numpy_unique():
    rng = np.random.default_rng(6)
    codes = rng.integers(0, 50, 1000)
    first, inverse = dense_codes(codes)
    _, expected_first, expected_inverse = np.unique(codes, return_index=True, return_inverse=True)
    np.testing.assert_array_equal(inverse, expected_inverse)
    np.testing.assert_array_equal(first, expected_first)
    big = codes * 10**9  # above 4 n: numpy's own path
    np.testing.assert_array_equal(dense_codes(big)[1], expected_inverse)
    matrix = np.column_stack([rng.integers(0, 3, 1000), rng.normal(size=1000).round(1)])
    matrix[:5] = [[0.0, -0.0]] * 5  # -0.0 and 0.0 are one value
    matrix[5:10] = [[0.0, 0.0]] * 5
    groups = row_groups(matrix)
    _, expected = np.unique(matrix + 0.0, axis=0, return_inverse=True)
    # the same partition of the rows (labels in another order)
    pairs = np.unique(np.column_stack([groups, expected.ravel()]), axis=0)
    assert len(pairs) == len(np.unique(groups)) == len(np.unique(expected))
    assert groups.min() == 0
    assert groups.max() == len(np.unique(groups)) - 1


@pytest.mark.parametrize(
    "column",
    [
        np.array([1.0, 0.0, -0.0, 1.0, -3.0, 0.0, -3.0]),  # whole numbers: counting pass
        np.array([2.0**53, 0.0, 2.0**53, 1.0]),  # beyond 2^52: pandas' hash table
        np.array([0.5, 0.0, 0.5, 1.0]),  # fractions: pandas' hash table
        np.array([7.0, 7.0]),  # one value
    ],
)
def test_row_groups_of_one_column_partition_like_numpy_unique(column):
    groups = row_groups(column[:, None])
    # numpy's unique gives the partition independently (-0.0 and 0.0 are one value)
    expected = np.unique(column + 0.0, return_inverse=True)[1].ravel()
    pairs = np.unique(np.column_stack([groups, expected]), axis=0)
    assert len(pairs) == len(np.unique(groups)) == len(np.unique(expected))
    assert groups.min() == 0
    assert groups.max() == len(np.unique(groups)) - 1


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_pareto_rows_gradient_matches_finite_differences(engine):
    rng, x, t_x, T, w = _rows(1)
    likelihood = ParetoRows(x, t_x, T, w, engine=engine)
    theta = [
        np.array([0.5]),
        rng.uniform(2.0, 6.0, len(x)),
        np.array([0.6]),
        rng.uniform(5.0, 15.0, len(x)),
    ]
    _, grads = likelihood(theta)
    for j in range(4):
        assert grads[j].sum() == pytest.approx(_numeric_gradient(likelihood, theta, j), rel=1e-6)


def test_gamma_gamma_rows_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.integers(1, 8, 300).astype(float)
    zbar = rng.gamma(3.0, 10.0, 300)
    likelihood = GammaGammaRows(x, zbar, np.ones(300))
    theta = [np.array([6.0]), np.array([3.7]), rng.uniform(10.0, 20.0, 300)]
    _, grads = likelihood(theta)
    for j in range(3):
        assert grads[j].sum() == pytest.approx(_numeric_gradient(likelihood, theta, j), rel=1e-6)


def test_rows_at_common_parameters_equal_the_models_without_covariates():
    summary = load_cdnow_summary()
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    w = np.ones(len(x))
    bg = BetaGeoModel().fit(x, t_x, T)
    value, _ = BetaGeoRows(x, t_x, T, w, np.zeros(len(x), dtype=np.intp))(
        [np.array([v]) for v in bg.params.as_array()]
    )
    assert value == pytest.approx(bg.log_likelihood, rel=1e-12)
    pn = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    value, _ = ParetoRows(x, t_x, T, w)([np.array([v]) for v in pn.params.as_array()])
    assert value == pytest.approx(pn.log_likelihood_rows(x, t_x, T).sum(), rel=1e-12)
    buyers = x > 0
    gg = GammaGammaModel().fit(x, summary["monetary_value"])
    value, _ = GammaGammaRows(x[buyers], summary["monetary_value"].to_numpy()[buyers], w[buyers])(
        [np.array([v]) for v in gg.params.as_array()]
    )
    assert value == pytest.approx(gg.log_likelihood, rel=1e-10)


# --- no covariates: the model without covariates, exactly ---------------------------------------


@pytest.mark.parametrize(
    ("covariate_type", "plain_type"),
    [(BetaGeoCovariateModel, BetaGeoModel), (ParetoNBDCovariateModel, ParetoNBDModel)],
)
def test_without_covariates_the_numbers_are_the_plain_models(covariate_type, plain_type):
    summary = load_cdnow_summary()
    x, t_x, T = (summary[c] for c in ("frequency", "recency", "T"))
    plain = plain_type().fit(x, t_x, T)
    model = covariate_type().fit(summary)
    assert list(model.coefficients.values()) == plain.params.as_array().tolist()
    assert model.log_likelihood == plain.log_likelihood
    assert list(model.standard_errors.values()) == list(plain.standard_errors.values())
    np.testing.assert_allclose(
        model.probability_alive(summary), plain.probability_alive(x, t_x, T), rtol=1e-12
    )
    np.testing.assert_allclose(
        model.expected_purchases(39, summary), plain.expected_purchases(39, x, t_x, T), rtol=1e-12
    )
    np.testing.assert_allclose(
        model.expected_purchases_new_customer(39, summary[:3]),
        np.repeat(plain.expected_purchases_new_customer(39), 3),
        rtol=1e-12,
    )


def test_gamma_gamma_without_covariates_is_the_plain_model():
    summary = load_cdnow_summary()
    plain = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    model = GammaGammaCovariateModel().fit(summary)
    assert list(model.coefficients.values()) == plain.params.as_array().tolist()
    assert model.log_likelihood == plain.log_likelihood
    np.testing.assert_allclose(
        model.expected_average_value(summary),
        plain.expected_average_value(summary["frequency"], summary["monetary_value"]),
        rtol=1e-12,
    )


# --- CDNOW against pymc-marketing ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("model_type", "key"),
    [(BetaGeoCovariateModel, "bgnbd"), (ParetoNBDCovariateModel, "pareto_nbd")],
)
def test_cdnow_first_spend_agrees_with_pymc_marketing(
    cdnow_first_spend, pymc_reference, model_type, key, engine
):
    reference = pymc_reference[key]
    model = model_type().fit(
        cdnow_first_spend,
        purchase_covariates=["first_spend"],
        dropout_covariates=["first_spend"],
        engine=engine,
    )
    assert model.log_likelihood == pytest.approx(reference["log_likelihood"], abs=1e-4)
    assert model.coefficients.keys() == reference["params"].keys()
    for name, value in reference["params"].items():
        assert model.coefficients[name] == pytest.approx(value, rel=1e-4), name


def test_cdnow_first_spend_raises_the_purchase_rate(cdnow_first_spend):
    """A bigger first purchase, more repeat purchases: the coefficient is > 0 and significant
    (Abe 2009, model M2 on the same covariate, also finds a positive purchase-rate effect)."""
    model = BetaGeoCovariateModel().fit(cdnow_first_spend, purchase_covariates=["first_spend"])
    coef = model.coefficients["purchase:first_spend"]
    assert coef > 2.5 * model.standard_errors["purchase:first_spend"]
    plain = BetaGeoModel().fit(*(cdnow_first_spend[c] for c in ("frequency", "recency", "T")))
    assert model.log_likelihood > plain.log_likelihood


# --- predictions use each customer's own parameters --------------------------------------------


def test_bgnbd_predictions_are_the_plain_model_at_each_customers_parameters(cdnow_first_spend):
    model = BetaGeoCovariateModel().fit(
        cdnow_first_spend, purchase_covariates=["first_spend"], dropout_covariates=["first_spend"]
    )
    c = model.coefficients
    rows = cdnow_first_spend.iloc[[0, 1, 2, 10, 50]]
    alive = model.probability_alive(rows)
    expected = model.expected_purchases(39, rows)
    new = model.expected_purchases_new_customer(39, rows)
    for k, (_, row) in enumerate(rows.iterrows()):
        z = row["first_spend"]
        plain = BetaGeoModel.from_params(
            r=c["r"],
            alpha=c["alpha"] * np.exp(-c["purchase:first_spend"] * z),
            a=c["a"] * np.exp(c["dropout_a:first_spend"] * z),
            b=c["b"] * np.exp(c["dropout_b:first_spend"] * z),
        )
        history = (row["frequency"], row["recency"], row["T"])
        assert alive[k] == pytest.approx(plain.probability_alive(*history)[0], rel=1e-12)
        assert expected[k] == pytest.approx(plain.expected_purchases(39, *history)[0], rel=1e-12)
        assert new[k] == pytest.approx(plain.expected_purchases_new_customer(39)[0], rel=1e-12)


def test_pareto_predictions_are_the_plain_model_at_each_customers_parameters(cdnow_first_spend):
    model = ParetoNBDCovariateModel().fit(
        cdnow_first_spend, purchase_covariates=["first_spend"], dropout_covariates=["first_spend"]
    )
    c = model.coefficients
    rows = cdnow_first_spend.iloc[[0, 1, 2, 10, 50]]
    alive = model.probability_alive(rows)
    expected = model.expected_purchases(39, rows)
    new = model.expected_purchases_new_customer(39, rows)
    for k, (_, row) in enumerate(rows.iterrows()):
        z = row["first_spend"]
        plain = ParetoNBDModel.from_params(
            r=c["r"],
            alpha=c["alpha"] * np.exp(-c["purchase:first_spend"] * z),
            s=c["s"],
            beta=c["beta"] * np.exp(-c["dropout:first_spend"] * z),
        )
        history = (row["frequency"], row["recency"], row["T"])
        assert alive[k] == pytest.approx(plain.probability_alive(*history)[0], rel=1e-12)
        assert expected[k] == pytest.approx(plain.expected_purchases(39, *history)[0], rel=1e-12)
        assert new[k] == pytest.approx(plain.expected_purchases_new_customer(39)[0], rel=1e-12)


# --- recovery ----------------------------------------------------------------------------------


def _within(model, truth, k=2.5):
    se = model.standard_errors
    for name, value in truth.items():
        estimate = model.coefficients[name]
        assert abs(estimate - value) <= k * se[name], (name, estimate, value, se[name])


def test_bgnbd_recovers_covariate_effects():
    rng = np.random.default_rng(20)
    n = 20_000
    spend = rng.normal(0.0, 1.0, n)
    channel = rng.integers(0, 2, n).astype(float)
    truth = {
        "r": 0.6,
        "alpha": 4.0,
        "a": 0.8,
        "b": 2.5,
        "purchase:spend": 0.5,
        "dropout_a:channel": 0.6,
        "dropout_b:channel": -0.4,
    }
    data = _simulate_bgnbd(
        rng,
        truth["r"],
        truth["alpha"] * np.exp(-truth["purchase:spend"] * spend),
        truth["a"] * np.exp(truth["dropout_a:channel"] * channel),
        truth["b"] * np.exp(truth["dropout_b:channel"] * channel),
        52.0,
    )
    data["spend"], data["channel"] = spend, channel
    model = BetaGeoCovariateModel().fit(
        data, purchase_covariates=["spend"], dropout_covariates=["channel"]
    )
    _within(model, truth)


def test_pareto_recovers_covariate_effects():
    rng = np.random.default_rng(21)
    n = 12_000
    spend = rng.normal(0.0, 1.0, n)
    channel = rng.integers(0, 2, n).astype(float)
    truth = {
        "r": 0.6,
        "alpha": 10.0,
        "s": 0.8,
        "beta": 12.0,
        "purchase:spend": 0.4,
        "purchase:channel": -0.3,
        "dropout:channel": 0.7,
    }
    data = _simulate_pareto(
        rng,
        truth["r"],
        truth["alpha"]
        * np.exp(-truth["purchase:spend"] * spend - truth["purchase:channel"] * channel),
        truth["s"],
        truth["beta"] * np.exp(-truth["dropout:channel"] * channel),
        52.0,
    )
    data["spend"], data["channel"] = spend, channel
    model = ParetoNBDCovariateModel().fit(
        data, purchase_covariates=["spend", "channel"], dropout_covariates=["channel"]
    )
    _within(model, truth)


def test_gamma_gamma_recovers_a_spend_effect():
    rng = np.random.default_rng(22)
    n = 5_000
    segment = rng.integers(0, 2, n).astype(float)
    p, q, v, gamma = 6.0, 4.0, 15.0, 0.4
    nu = rng.gamma(q, 1.0 / (v * np.exp(gamma * segment)))
    x = rng.integers(1, 10, n).astype(float)
    zbar = rng.gamma(p * x, 1.0 / (nu * x))  # mean of x Gamma(p, nu) spends
    data = pd.DataFrame({"frequency": x, "monetary_value": zbar, "segment": segment})
    model = GammaGammaCovariateModel().fit(data, spend_covariates=["segment"])
    _within(model, {"p": p, "q": q, "v": v, "spend:segment": gamma})
    ratio = model.expected_average_value(data.assign(frequency=0.0))
    assert ratio[segment == 1][0] / ratio[segment == 0][0] == pytest.approx(
        np.exp(model.coefficients["spend:segment"]), rel=1e-12
    )


# --- bad input ---------------------------------------------------------------------------------


def test_missing_covariate_values_are_refused_with_column_and_rows(cdnow_first_spend):
    data = cdnow_first_spend.copy()
    data.loc[[3, 8, 9], "first_spend"] = np.nan
    data.loc[11, "first_spend"] = np.inf
    with pytest.raises(InvalidInputError, match=r"'first_spend'.*4 rows") as info:
        BetaGeoCovariateModel().fit(data, dropout_covariates=["first_spend"])
    assert "'dropout_covariates' parameter of BetaGeoCovariateModel.fit" in str(info.value)


def test_constant_and_unknown_covariates_are_refused(cdnow_first_spend):
    data = cdnow_first_spend.assign(one=1.0)
    with pytest.raises(InvalidInputError, match="'one', which must vary"):
        ParetoNBDCovariateModel().fit(data, purchase_covariates=["one"])
    with pytest.raises(ColumnNotFoundError, match="nope"):
        ParetoNBDCovariateModel().fit(data, purchase_covariates=["nope"])
    with pytest.raises(InvalidInputError, match="distinct column names"):
        ParetoNBDCovariateModel().fit(data, purchase_covariates=["one", "one"])
    assert data["one"].eq(1.0).all()  # the input is not modified
    assert "one" in data.columns


@pytest.mark.parametrize("model_type", [BetaGeoCovariateModel, ParetoNBDCovariateModel])
@pytest.mark.parametrize("covariates", [["first_spend"], []])
def test_an_unknown_engine_is_refused_before_any_work(cdnow_first_spend, model_type, covariates):
    # also without covariates (the plain model's fit), so a typo never passes silently
    with pytest.raises(
        InvalidInputError, match=r"fit: 'engine' must be 'auto', 'numpy' or 'numba'"
    ):
        model_type().fit(cdnow_first_spend, purchase_covariates=covariates, engine="cuda")


def test_unfitted_model_raises():
    with pytest.raises(NotFittedError):
        _ = BetaGeoCovariateModel().coefficients


def test_backends_give_the_same_fit(cdnow_first_spend, in_process_constructor):
    frame = in_process_constructor(cdnow_first_spend[["frequency", "recency", "T", "first_spend"]])
    model = ParetoNBDCovariateModel().fit(frame, purchase_covariates=["first_spend"])
    reference = ParetoNBDCovariateModel().fit(
        cdnow_first_spend, purchase_covariates=["first_spend"]
    )
    assert model.coefficients == pytest.approx(reference.coefficients, rel=1e-12)


# --- the speed paths give the same fit ---------------------------------------------------------


def _many_customers(model_type, n, seed, weekly=False):
    """Simulated customers (continuous spend and 0/1 channel, or whole weeks and 0/1 only)."""
    rng = np.random.default_rng(seed)
    channel = rng.integers(0, 2, n).astype(float)
    spend = rng.integers(0, 2, n).astype(float) if weekly else rng.normal(0.0, 1.0, n)
    alpha = 5.0 * np.exp(-0.4 * spend)
    if model_type is BetaGeoCovariateModel:
        data = _simulate_bgnbd(
            rng, 0.4, alpha, 0.8 * np.exp(0.5 * channel), 2.5 * np.exp(-0.3 * channel), 52.0
        )
    else:
        data = _simulate_pareto(rng, 0.5, alpha, 0.6, 11.0 * np.exp(-0.5 * channel), 52.0)
    if weekly:
        data["recency"] = np.floor(data["recency"])
    data["spend"], data["channel"] = spend, channel
    return data


@pytest.mark.parametrize(
    ("model_type", "n"), [(BetaGeoCovariateModel, 250_000), (ParetoNBDCovariateModel, 45_000)]
)
def test_sample_start_and_skipped_merge_give_the_fit_from_the_plain_start(
    model_type, n, monkeypatch
):
    """Above 4x the sample size, with rows that hardly repeat, the fit starts from the fit on
    a sample (both cases) and does not merge rows (BG/NBD's 250,000; below 80,000 rows the
    merge is always tried); the reference merges the rows and starts from the model without
    covariates (other code paths, the same maximum)."""
    data = _many_customers(model_type, n, seed=30)
    covariates = {"purchase_covariates": ["spend"], "dropout_covariates": ["channel"]}
    fast = model_type().fit(data, **covariates)
    import retention_kpis.clv.covariates as module  # noqa: PLC0415

    monkeypatch.setattr(module, "few_duplicates", lambda _rows: False)
    monkeypatch.setattr(model_type, "_sample_rows", 10 * n)
    reference = model_type().fit(data, **covariates)
    assert fast.log_likelihood == pytest.approx(reference.log_likelihood, rel=1e-13)
    for name, value in reference.coefficients.items():
        assert fast.coefficients[name] == pytest.approx(value, rel=1e-6, abs=1e-8), name
        assert fast.standard_errors[name] == pytest.approx(
            reference.standard_errors[name], rel=1e-4
        )


def test_few_duplicates_tells_continuous_rows_from_weekly_rows():
    continuous = _many_customers(BetaGeoCovariateModel, 100_000, seed=31)
    weekly = _many_customers(BetaGeoCovariateModel, 100_000, seed=31, weekly=True)
    columns = ["frequency", "recency", "T", "spend", "channel"]
    assert few_duplicates([continuous[c].to_numpy() for c in columns])
    assert not few_duplicates([weekly[c].to_numpy() for c in columns])
    assert not few_duplicates([continuous[c].to_numpy()[:50_000] for c in columns])  # small
