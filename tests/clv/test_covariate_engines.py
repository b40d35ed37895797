"""numba's BG/NBD covariate kernel against the numpy code, and the import rule.

Where the expected values come from:

* row likelihoods, gradients and contracted Hessians: the numpy implementation
  (:class:`BetaGeoRows` with ``engine="numpy"``), an independent computation: scipy's
  ``betaln``/``digamma`` and the repo's trigamma there, finite sums of
  ``Gamma(z+1) = z Gamma(z)`` (small ``x``) or lgamma and asymptotic series in the kernel;
* the beta-function terms: mpmath at 40 digits, on both sides of the kernel's switch
  from finite sums to series (``x = 64 / 65``);
* the inline path (continuous dropout covariates): central finite differences of the
  likelihood and of its gradient, and the numpy code;
* whole fits: the numpy engine's fit (and, through ``test_covariates.py``, pymc-marketing).
"""

from __future__ import annotations

import subprocess
import sys

import mpmath
import numpy as np
import pytest

pytest.importorskip("numba")  # in the test extra: CI always runs these

from retention_kpis.clv import BetaGeoCovariateModel
from retention_kpis.clv._bgnbd_covariates import BetaGeoRows, _pair_terms
from retention_kpis.clv._bgnbd_kernel import pair_terms


def _hostile(seed: int = 11, n: int = 3000):
    """Rows with every edge: x = 0, t_x = T, t_x just above 0, x far above the series switch."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(2.0, n).astype(float)
    x[:300] = 0.0
    x[300:320] = [1, 2, 63, 64, 65, 66, 100, 200, 500, 1000, 5000, 20000, 1e5, 3, 1, 1, 2, 7, 9, 12]
    T = rng.uniform(1.0, 60.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    t_x[320:360] = T[320:360]  # purchase at T
    x[320:360] = np.maximum(x[320:360], 1.0)
    t_x[360:380] = 1e-9 * T[360:380]  # last purchase right after the first
    x[360:380] = np.maximum(x[360:380], 1.0)
    w = rng.uniform(0.5, 3.0, n)
    w[:50] = 1.0
    return rng, x, t_x, T, w


def _theta(rng, n, *, continuous: bool, per_row_alpha: bool):
    alpha = rng.uniform(0.05, 40.0, n) if per_row_alpha else np.array([4.5])
    if continuous:
        z = rng.normal(size=n)
        a, b = 0.8 * np.exp(0.7 * z), 2.5 * np.exp(-0.5 * z)
    else:
        group = rng.integers(0, 2, n)
        a, b = np.array([0.3, 1.7])[group], np.array([0.9, 6.0])[group]
    return [np.array([0.45]), alpha, a, b]


def _coordinates(rng, n):
    return [(j, None) for j in range(4)] + [(j, rng.normal(size=n)) for j in (1, 2, 3, 2)]


def _close(actual, expected, weights, rel=1e-12):
    """Relative agreement per row; where a row's gradient is a cancellation of O(1) terms
    (``d l / d log b = b (psi terms) - w_drop b / (b+x-1)``, exactly 0 for x = 1 bought at
    T), relative to the row's weight, the size of those terms."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = np.maximum(np.abs(expected), weights)
    return float(np.max(np.abs(actual - expected) / scale)) <= rel


def _beta_terms_by_mpmath(a, b, x):
    """The eight beta-function terms of the kernel at 40 digits (their definitions)."""
    a, b, x = mpmath.mpf(a), mpmath.mpf(b), mpmath.mpf(x)
    if x == 0:
        return [0.0] * 8

    def log_beta(p, q):
        return mpmath.loggamma(p) + mpmath.loggamma(q) - mpmath.loggamma(p + q)

    psi, tri = mpmath.digamma, lambda z: mpmath.polygamma(1, z)
    tri_ab = tri(a + b) - tri(a + b + x)
    tri_b = tri(b + x) - tri(b) + tri_ab
    values = [
        log_beta(a, b + x) - log_beta(a, b),
        mpmath.log(a) - mpmath.log(b + x - 1),
        a * (psi(a + b) - psi(a + b + x)),
        b * (psi(a + b) - psi(b) + psi(b + x) - psi(a + b + x)),
        b / (b + x - 1),
        a * a * tri_ab,
        a * b * tri_ab,
        b * b * tri_b,
    ]
    return [float(v) for v in values]


def test_beta_terms_match_mpmath_on_both_sides_of_the_series_switch():
    """Finite sums up to x = 64, Stirling/asymptotic differences above: both within 1e-12
    of 40-digit values (scipy's betaln/digamma differences, the numpy engine's, lose up to
    ~1e-10 at x = 1e5 or a << b: checked here to stay within 1e-9)."""
    rng = np.random.default_rng(2)
    x = np.array([0, 1, 2, 5, 30, 63, 64, 65, 66, 200, 1000, 1e5, 1, 64, 65, 3, 65, 65, 1e6])
    a = np.concatenate([rng.uniform(0.05, 5.0, 12), [50.0, 50.0, 0.01, 1e3, 1e-4, 30.0, 2.0]])
    b = np.concatenate([rng.uniform(0.1, 10.0, 12), [0.02, 0.02, 200.0, 1e-2, 0.5, 1e4, 3.0]])
    with mpmath.workdps(40):
        truth = np.array([_beta_terms_by_mpmath(*row) for row in zip(a, b, x, strict=True)]).T
    ours = pair_terms(a, b, x, hessian=True)
    numpy_terms = _pair_terms(a, b, x, hessian=True)
    for k in range(8):
        scale = np.maximum(np.abs(truth[k]), 1e-300)
        assert np.max(np.abs(ours[k] - truth[k]) / scale) <= 1e-12, k
        assert np.max(np.abs(numpy_terms[k] - truth[k]) / scale) <= 1e-9, k


@pytest.mark.parametrize("continuous", [False, True])
@pytest.mark.parametrize("per_row_alpha", [False, True])
def test_numba_rows_equal_numpy_rows_on_hostile_data(continuous, per_row_alpha):
    rng, x, t_x, T, w = _hostile()
    n = len(x)
    theta = _theta(rng, n, continuous=continuous, per_row_alpha=per_row_alpha)
    group = np.arange(n) if continuous else (theta[2] == theta[2][0]).astype(np.intp)
    coordinates = _coordinates(rng, n)
    reference = BetaGeoRows(x, t_x, T, w, group, engine="numpy")
    for numba_group in [None, group] if continuous else [group]:
        compiled = BetaGeoRows(x, t_x, T, w, numba_group, engine="numba")
        assert compiled.inline == (numba_group is None)
        total, grads, matrix = compiled.with_hessian(theta, coordinates)
        expected_total, expected_grads, expected_matrix = reference.with_hessian(theta, coordinates)
        assert total == pytest.approx(expected_total, rel=1e-12)
        for j in range(4):
            assert _close(grads[j], expected_grads[j], w), j
        assert np.max(np.abs(matrix - expected_matrix)) <= 1e-12 * np.max(np.abs(expected_matrix))
        plain_total, plain_grads = compiled(theta)  # without the Hessian: the same numbers
        assert plain_total == total
        for j in range(4):
            np.testing.assert_array_equal(plain_grads[j], grads[j])


def test_inline_rows_match_finite_differences():
    """Continuous dropout covariates (every row its own a_i, b_i, the kernel's inline beta
    terms): gradients against central differences of the log-likelihood, the contracted
    Hessian against central differences of the gradients (as in test_covariates.py)."""
    rng, x, t_x, T, w = _hostile(5, 600)
    n = len(x)
    theta = _theta(rng, n, continuous=True, per_row_alpha=True)
    likelihood = BetaGeoRows(x, t_x, T, w, None, engine="numba")
    h = 1e-5
    coordinates = _coordinates(rng, n)
    _, _, matrix = likelihood.with_hessian(theta, coordinates)
    per_row = np.empty((4, 4, n))
    _, grads = likelihood(theta)
    for j in range(4):
        up, down = list(theta), list(theta)
        up[j], down[j] = theta[j] * np.exp(h), theta[j] * np.exp(-h)
        numeric = (likelihood(up)[0] - likelihood(down)[0]) / (2 * h)
        assert grads[j].sum() == pytest.approx(numeric, rel=1e-6, abs=1e-6)
        rows_up, rows_down = likelihood(up)[1], likelihood(down)[1]
        per_row[j] = [(u - d) / (2 * h) for u, d in zip(rows_up, rows_down, strict=True)]
    for p, (tp, mp) in enumerate(coordinates):
        for q, (tq, mq) in enumerate(coordinates):
            scale = (1.0 if mp is None else mp) * (1.0 if mq is None else mq)
            expected = float(np.sum(per_row[tp, tq] * scale))
            assert matrix[p, q] == pytest.approx(expected, rel=1e-6, abs=1e-5)


def _simulated(n, seed, *, continuous_dropout):
    """BG/NBD customers with a continuous purchase covariate and a 0/1 or continuous
    dropout covariate (the benchmark's shapes)."""
    rng = np.random.default_rng(seed)
    spend = rng.normal(size=n)
    drop = rng.normal(size=n) if continuous_dropout else rng.integers(0, 2, n).astype(float)
    rate = rng.gamma(0.25, 1.0 / (4.5 * np.exp(-0.4 * spend)))
    p = rng.beta(0.8 * np.exp(0.5 * drop), 2.5 * np.exp(-0.3 * drop))
    T = np.full(n, 52.0)
    bought = rng.poisson(rate * T)
    x = np.minimum(bought, rng.geometric(p))
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(bought - x + 1, 1)), 0.0)
    return {"frequency": x.astype(float), "recency": t_x, "T": T, "spend": spend, "drop": drop}


@pytest.mark.parametrize(
    ("n", "continuous_dropout"), [(220_000, False), (30_000, True), (220_000, True)]
)
def test_numba_fit_equals_numpy_fit(n, continuous_dropout):
    """Whole fits: the sample start (n > 200,000), the unsorted rows and the inline beta
    terms of the numba engine give the numpy engine's maximum."""
    data = _simulated(n, 40 + n % 7, continuous_dropout=continuous_dropout)
    covariates = {"purchase_covariates": ["spend"], "dropout_covariates": ["drop"]}
    fits = {
        e: BetaGeoCovariateModel().fit(data, **covariates, engine=e) for e in ("numpy", "numba")
    }
    reference, compiled = fits["numpy"], fits["numba"]
    assert compiled.log_likelihood == pytest.approx(reference.log_likelihood, rel=1e-13)
    for name, value in reference.coefficients.items():
        se = reference.standard_errors[name]
        assert abs(compiled.coefficients[name] - value) <= 1e-6 * se, name
        assert compiled.standard_errors[name] == pytest.approx(se, rel=1e-8), name


def test_importing_the_library_and_fitting_with_numpy_does_not_import_numba():
    code = (
        "import sys, numpy as np\n"
        "import retention_kpis, retention_kpis.clv\n"
        "from retention_kpis.clv import BetaGeoCovariateModel\n"
        "rng = np.random.default_rng(0); n = 3000\n"
        "z = rng.normal(size=n); rate = rng.gamma(0.5, 1 / (4.0 * np.exp(-0.4 * z)))\n"
        "T = np.full(n, 40.0); bought = rng.poisson(rate * T)\n"
        "x = np.minimum(bought, rng.geometric(rng.beta(0.8, 2.5, n)))\n"
        "t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), np.maximum(bought - x + 1, 1)), 0)\n"
        "data = {'frequency': x.astype(float), 'recency': t_x, 'T': T, 'z': z}\n"
        "assert 'numba' not in sys.modules\n"
        "BetaGeoCovariateModel().fit(data, purchase_covariates=['z'], engine='numpy')\n"
        "assert 'numba' not in sys.modules, 'numpy engine imported numba'\n"
        "BetaGeoCovariateModel().fit(data, purchase_covariates=['z'], engine='numba')\n"
        "assert 'numba' in sys.modules\n"
    )
    done = subprocess.run(  # noqa: S603 - fixed code, this interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
