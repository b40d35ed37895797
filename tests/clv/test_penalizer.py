"""Tests of the L2 penalty of the BTYD fits (``penalizer_coef``, lifetimes' semantics).

lifetimes 0.11.3 (``BetaGeoFitter._negative_log_likelihood``, ``GammaGammaFitter``'s, ...)
minimises ``-sum(w * ll) / sum(w) + penalizer_coef * sum(params ** 2)`` with ``params`` on the
natural scale. The expected estimates here come from an independent scipy minimisation of
that objective, with the likelihood written out in the test (FHL 2005 eq. 6 for BG/NBD;
Fader, Hardie & Lee 2005 "RFM and CLV" / Fader & Hardie's Gamma-Gamma note for Gamma-Gamma).
No published penalised estimates for CDNOW were found to compare with.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import betaln, gammaln

from retention_kpis.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import InvalidInputError


@pytest.fixture(scope="module")
def cdnow():
    """Fader, Hardie & Lee's 2,357 CDNOW customers, 39 weeks (frequency, recency, T, zbar)."""
    return load_cdnow_summary()


def bgnbd_log_likelihood(theta, x, t_x, T):
    """FHL (2005) eq. 6, per customer, in logs."""
    r, alpha, a, b = theta
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    first = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    second = np.where(
        x > 0,
        betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return common + np.logaddexp(first, second)


def gamma_gamma_log_likelihood(theta, x, zbar):
    """Gamma-Gamma marginal density of the mean spend zbar of x purchases, in logs."""
    p, q, v = theta
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(zbar)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * zbar)
    )


def penalised_minimum(log_likelihood, coef, start, *data):
    """Minimise mean(-ll) + coef * sum(theta ** 2) over log theta (Nelder-Mead, then Powell)."""

    def objective(log_theta):
        theta = np.exp(log_theta)
        return -np.mean(log_likelihood(theta, *data)) + coef * np.sum(theta**2)

    result = minimize(
        objective,
        np.log(start),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 40_000, "maxfev": 40_000},
    )
    result = minimize(objective, result.x, method="Powell", options={"xtol": 1e-12, "ftol": 1e-15})
    return np.exp(result.x)


@pytest.mark.parametrize("coef", [0.01, 0.1])
def test_bgnbd_penalised_fit_matches_scipy_on_the_written_out_likelihood(cdnow, coef):
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    expected = penalised_minimum(bgnbd_log_likelihood, coef, [1.0, 1.0, 1.0, 1.0], x, t_x, T)
    model = BetaGeoModel(penalizer_coef=coef).fit(x, t_x, T)
    np.testing.assert_allclose(model.params.as_array(), expected, rtol=2e-5)
    # log_likelihood is the unpenalised total at the penalised estimates.
    np.testing.assert_allclose(
        model.log_likelihood, bgnbd_log_likelihood(expected, x, t_x, T).sum(), rtol=1e-8
    )


@pytest.mark.parametrize("coef", [0.001, 0.05])
def test_gamma_gamma_penalised_fit_matches_scipy_on_the_written_out_likelihood(cdnow, coef):
    repeat = cdnow[cdnow["frequency"] > 0]
    x, zbar = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float)
    expected = penalised_minimum(gamma_gamma_log_likelihood, coef, [1.0, 1.0, 1.0], x, zbar)
    model = GammaGammaModel(penalizer_coef=coef).fit(x, zbar)
    np.testing.assert_allclose(model.params.as_array(), expected, rtol=2e-5)


def test_pareto_nbd_penalised_fit_minimises_the_penalised_mean(cdnow):
    # The Pareto/NBD likelihood is taken from log_likelihood_rows (tested against the papers in
    # test_pareto_nbd.py); what is checked here is that the fit minimises lifetimes' objective.
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    coef = 0.05

    def log_likelihood(theta, *data):
        return ParetoNBDModel.from_params(
            **dict(zip(["r", "alpha", "s", "beta"], theta, strict=True))
        ).log_likelihood_rows(*data)

    expected = penalised_minimum(log_likelihood, coef, [0.5, 10.0, 0.5, 10.0], x, t_x, T)
    model = ParetoNBDModel(penalizer_coef=coef).fit(x, t_x, T)
    np.testing.assert_allclose(model.params.as_array(), expected, rtol=1e-4)


def test_penalty_zero_is_the_plain_fit_exactly(cdnow):
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    plain = BetaGeoModel().fit(x, t_x, T)
    zero = BetaGeoModel(penalizer_coef=0.0).fit(x, t_x, T)
    assert zero.params == plain.params
    assert zero.log_likelihood == plain.log_likelihood
    assert np.array_equal(zero.covariance, plain.covariance)
    # FHL (2005) CDNOW estimates, to their printed precision.
    np.testing.assert_allclose(plain.params.as_array(), [0.243, 4.414, 0.793, 2.426], atol=5e-4)


def test_penalty_shrinks_the_parameters_and_costs_likelihood(cdnow):
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    plain = BetaGeoModel().fit(x, t_x, T)
    penalised = BetaGeoModel(penalizer_coef=0.1).fit(x, t_x, T)
    assert np.sum(penalised.params.as_array() ** 2) < np.sum(plain.params.as_array() ** 2)
    assert penalised.log_likelihood < plain.log_likelihood
    assert penalised.penalizer_coef == 0.1


def test_penalizer_survives_json(cdnow):
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    model = BetaGeoModel(penalizer_coef=0.01).fit(x, t_x, T)
    again = BetaGeoModel.from_json(model.to_json())
    assert again.penalizer_coef == 0.01
    assert json.loads(model.to_json())["penalizer_coef"] == 0.01


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (-0.1, "must be >= 0. Got -0.1 instead."),
        (float("nan"), "must be finite. Got nan instead."),
        ("a", "must be a real number. Got 'a' instead."),
    ],
)
def test_bad_penalizer_uses_the_message_template(value, problem):
    message = f"The 'penalizer_coef' parameter of BetaGeoModel {problem}"
    with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}$"):
        BetaGeoModel(penalizer_coef=value)
