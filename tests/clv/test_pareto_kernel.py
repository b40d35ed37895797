"""The numba engine of the covariate Pareto/NBD likelihood (clv/_pareto_kernel.py).

Source of truth: the numpy engine (``ParetoRows`` with ``engine="numpy"`` and
``_pareto_integral.log_integral``), which is checked against 40-80 digit mpmath values
of the integral and against finite differences elsewhere (tests/clv/test_pareto_nbd.py,
whose mpmath tests also run on the kernel's ``log_integral_rows``). The kernel sums
the same series per row in a loop (different rounding, a proven stopping bound instead
of the precomputed term count below z = 0.9), so the two agree to rounding: the
log-likelihood to 1e-12 relative, each row's gradient to 1e-12 of the size of the terms
it is made of (the gradient in log alpha, say, is ``r - alpha (...)``, a difference that
cancels to ~1e-5 at some rows while its terms are ~1).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from retention_kpis.clv import ParetoNBDCovariateModel
from retention_kpis.clv._pareto_covariates import ParetoRows
from retention_kpis.clv._pareto_integral import log_integral

pytest.importorskip("numba")

from retention_kpis.clv._pareto_kernel import log_integral_rows


def _hostile_rows(seed: int = 3) -> tuple[np.ndarray, ...]:
    """Rows of every kind the series meets, ``(x, t_x, T, w, alpha, beta)``."""
    rng = np.random.default_rng(seed)
    n = 3000
    x = rng.poisson(2.0, n).astype(float)
    T = rng.uniform(0.5, 80.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    w = rng.uniform(0.1, 1000.0, n)
    alpha = 10.0 * np.exp(rng.normal(0.0, 1.5, n))
    beta = 12.0 * np.exp(rng.normal(0.0, 1.5, n))
    blocks = np.array_split(np.arange(n), 12)
    t_x[blocks[0]] = T[blocks[0]] * np.where(x[blocks[0]] > 0, 1.0, 0.0)  # t_x = T (buyers)
    t_x[blocks[1]] = T[blocks[1]] * (1 - 1e-9)  # t_x within 1e-9 of T
    x[blocks[2]], t_x[blocks[2]] = 0.0, 0.0  # no repeat purchase
    beta[blocks[3]] = alpha[blocks[3]]  # alpha == beta (z = 0)
    beta[blocks[4]] = alpha[blocks[4]] * (1 + 1e-9 * rng.normal(size=len(blocks[4])))
    beta[blocks[5]] = alpha[blocks[5]] * (1 + 1e-3 * rng.normal(size=len(blocks[5])))
    alpha[blocks[6]] = beta[blocks[6]] * 1e4  # alpha >> beta
    alpha[blocks[7]] = beta[blocks[7]] * 1e-4  # alpha << beta
    # z = (M - m) / (M + t_x) near 1: alpha = 300, beta = 0.01 and small t_x (quadrature)
    alpha[blocks[8]], beta[blocks[8]] = 300.0, 0.01
    t_x[blocks[8]] = rng.uniform(0.0, 0.5, len(blocks[8]))
    x[blocks[8]] = np.maximum(x[blocks[8]], 1.0)
    x[blocks[9]] = rng.integers(10_000, 100_000, len(blocks[9]))  # huge x
    t_x[blocks[9]] = T[blocks[9]] * rng.uniform(0.9, 1.0, len(blocks[9]))
    beta[blocks[10]] = alpha[blocks[10]] * rng.uniform(1.5, 3.0, len(blocks[10]))  # z ~ 0.5
    return x, t_x, T, w, alpha, beta


def _term_scale(x, T, w, alpha, beta, r, s):  # noqa: PLR0917 - the rows and parameters
    """Size of the terms each row's gradients are sums of (weight times their logs and ratios)."""
    size = 1.0 + r + s + x + np.abs(np.log(alpha)) + np.abs(np.log(beta)) + np.log1p(T)
    return w * size


@pytest.mark.parametrize(("r", "s"), [(0.55, 0.6), (2.0, 0.1), (0.02, 0.03), (0.3, 3.0)], ids=str)
@pytest.mark.parametrize("common", ["none", "alpha", "beta"])
def test_kernel_likelihood_equals_numpy_on_hostile_rows(r, s, common):
    x, t_x, T, w, alpha, beta = _hostile_rows()
    if common == "alpha":  # no purchase covariate: one alpha for all rows
        alpha = np.array([4.0])
    elif common == "beta":
        beta = np.array([9.0])
    theta = [np.array([r]), alpha, np.array([s]), beta]
    expected, expected_grads = ParetoRows(x, t_x, T, w, engine="numpy")(theta)
    value, grads = ParetoRows(x, t_x, T, w, engine="numba")(theta)
    assert value == pytest.approx(expected, rel=1e-12)
    scale = _term_scale(x, T, w, alpha, beta, r, s)
    for j in range(4):
        assert grads[j].shape == expected_grads[j].shape
        assert np.all(np.isfinite(grads[j]))
        worst = float(np.max(np.abs(grads[j] - expected_grads[j]) / scale))
        assert worst < 1e-12, (j, worst)


def test_kernel_hostile_rows_take_every_path():
    """The rows above reach the series in both forms, the t_x = T rows and quadrature."""
    x, t_x, T, _, alpha, beta = _hostile_rows()
    r, s = 0.55, 0.6
    from retention_kpis.clv._pareto_integral import _setup, _term_counts  # noqa: PLC0415

    live = t_x < T
    swap = alpha > beta
    em = np.where(swap, s + 1.0, r + x)[live]
    e_big = np.where(swap, r + x, s + 1.0)[live]
    m, big_m = np.minimum(alpha, beta)[live], np.maximum(alpha, beta)[live]
    cst = _setup(em, e_big, m, big_m, t_x[live], T[live])
    counts = _term_counts(cst)
    assert (~live).sum() > 100
    assert (counts > 1024).sum() > 100  # quadrature
    assert (cst["euler"] == 0.0).sum() > 20  # power form
    assert (cst["z"] > 0.9).sum() > 200  # the precomputed term count


def test_kernel_log_integral_equals_numpy_per_row_series():
    x, t_x, T, _, alpha, beta = _hostile_rows(5)
    args = (0.55 + x, np.full(len(x), 1.6), alpha, beta, t_x, T)
    expected, expected_grad = log_integral(*args)
    log_i, grad = log_integral_rows(*args)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(log_i), finite)
    np.testing.assert_allclose(log_i[finite], expected[finite], rtol=1e-13, atol=1e-13)
    scale = np.abs(expected_grad).max(axis=0) + 1.0
    assert np.max(np.abs(grad - expected_grad) / scale) < 1e-12


def _simulated(n: int, seed: int, *, weekly: bool) -> pd.DataFrame:
    """Pareto/NBD histories with a purchase and a dropout covariate (seeded)."""
    rng = np.random.default_rng(seed)
    spend = rng.integers(0, 2, n).astype(float) if weekly else rng.normal(0.0, 1.0, n)
    channel = rng.integers(0, 2, n).astype(float)
    T = 52.0 - rng.integers(0, 13, n) if weekly else np.full(n, 52.0)
    rate = rng.gamma(0.55, 1.0 / (10.6 * np.exp(-0.4 * spend)))
    death = rng.gamma(0.6, 1.0 / (11.7 * np.exp(-0.5 * channel)))
    end = np.minimum(rng.exponential(1.0 / death), T)
    x = rng.poisson(rate * end)
    t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    if weekly:
        t_x = np.floor(t_x)
    return pd.DataFrame(
        {"frequency": x.astype(float), "recency": t_x, "T": T, "spend": spend, "channel": channel}
    )


def _assert_same_fit(fast, reference):
    assert fast.log_likelihood == pytest.approx(reference.log_likelihood, rel=1e-12)
    assert fast.coefficients.keys() == reference.coefficients.keys()
    for name, value in reference.coefficients.items():
        assert fast.coefficients[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
        # central differences of the gradient (step 1e-5) magnify its rounding 1e5 times
        assert fast.standard_errors[name] == pytest.approx(
            reference.standard_errors[name], rel=1e-7
        ), name


@pytest.mark.parametrize(("n", "weekly"), [(45_000, False), (6_000, False), (45_000, True)])
def test_numba_fit_equals_numpy_fit_on_simulated_customers(n, weekly):
    # 45,000 continuous rows: the start is a fit on a 10,000-customer sample (both engines)
    data = _simulated(n, seed=40, weekly=weekly)
    covariates = {"purchase_covariates": ["spend"], "dropout_covariates": ["channel"]}
    reference = ParetoNBDCovariateModel().fit(data, **covariates, engine="numpy")
    fast = ParetoNBDCovariateModel().fit(data, **covariates, engine="numba")
    _assert_same_fit(fast, reference)


@pytest.mark.parametrize("roles", ["purchase", "dropout", "both"])
def test_numba_fit_equals_numpy_fit_with_one_role_shared(roles):
    data = _simulated(5_000, seed=41, weekly=False)
    covariates = {
        "purchase_covariates": ["spend"] if roles != "dropout" else [],
        "dropout_covariates": ["channel"] if roles != "purchase" else [],
    }
    reference = ParetoNBDCovariateModel().fit(data, **covariates, engine="numpy")
    fast = ParetoNBDCovariateModel().fit(data, **covariates, engine="numba")
    _assert_same_fit(fast, reference)


def test_numpy_engine_never_imports_numba():
    code = (
        "import sys, numpy as np\n"
        "from retention_kpis.clv import ParetoNBDCovariateModel\n"
        "from retention_kpis.datasets import load_cdnow_summary\n"
        "frame = load_cdnow_summary()\n"
        "frame['z'] = np.random.default_rng(0).normal(size=len(frame))\n"
        "ParetoNBDCovariateModel().fit(frame, purchase_covariates=['z'], engine='numpy')\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run(  # noqa: S603 - fixed code, this interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_repeated_point_returns_the_same_answer_and_a_new_point_a_new_one(engine):
    # ParetoRows keeps its last answer for a repeated point (the Newton steps start where the
    # BHHH steps ended); expected values: a fresh ParetoRows at each point.
    x, t_x, T, w, alpha, beta = _hostile_rows(7)
    first = [np.array([0.55]), alpha, np.array([0.6]), beta]
    second = [np.array([0.55]), alpha * 1.01, np.array([0.6]), beta]
    rows = ParetoRows(x, t_x, T, w, engine=engine)
    for theta in (first, second, [v.copy() for v in second], first):
        value, grads = rows(theta)
        expected, expected_grads = ParetoRows(x, t_x, T, w, engine=engine)(theta)
        assert value == expected
        for got, want in zip(grads, expected_grads, strict=True):
            np.testing.assert_array_equal(got, want)


def test_the_fit_builds_new_parameter_arrays_for_every_point():
    # ParetoRows keeps references to the last point's arrays, not copies: that is only right
    # while row_parameters returns new arrays (never a buffer it reuses and overwrites)
    from retention_kpis.clv._covariates import Block, row_parameters  # noqa: PLC0415

    rng = np.random.default_rng(8)
    column = rng.normal(size=50)
    block = Block(label="purchase", columns=("z",), matrix=column[:, None], target=1, sign=-1.0)
    standard = [[column]]
    one = row_parameters(np.array([0.1, 2.0, -0.5, 2.4, 0.3]), [block], standard, 4)
    two = row_parameters(np.array([0.2, 2.1, -0.4, 2.5, 0.4]), [block], standard, 4)
    assert one is not None
    assert two is not None
    for a, b in zip(one, two, strict=True):
        assert not np.shares_memory(a, b)
    assert not any(np.shares_memory(v, column) for v in two)


# --- second derivatives (numba engine: the Newton steps and the standard errors) --------------


def test_kernel_log_integral_hessian_matches_differences_of_the_numpy_gradient():
    # Source of truth: central differences (relative step 1e-4: truncation ~1e-8, while
    # smaller steps in an alpha of 3e-5 next to t_x = 28 move the gradient by little more
    # than its rounding) of the numpy engine's analytic gradient of log I. Each entry must
    # match one of its two estimates (d g_i / d theta_j or d g_j / d theta_i).
    from retention_kpis.clv._pareto_kernel import log_integral_hessian_rows  # noqa: PLC0415

    x, t_x, T, _, alpha, beta = _hostile_rows(5)
    rows = np.stack([0.55 + x, np.full(len(x), 1.6), alpha, beta, t_x, T])
    hess, done = log_integral_hessian_rows(*rows)
    numeric = np.empty_like(hess)
    for j in range(4):
        step = 1e-4 * rows[j]
        up, down = rows.copy(), rows.copy()
        up[j] += step
        down[j] -= step
        numeric[:, j, :] = (log_integral(*up)[1] - log_integral(*down)[1]) / (2 * step)
    live = (t_x < T) & (done == 1.0)
    assert live.sum() > 2000  # the quadrature rows are not done here (they take differences)
    scale = np.abs(numeric).max(axis=(0, 1)) + 1.0
    error = np.minimum(np.abs(hess - numeric), np.abs(hess - numeric.transpose(1, 0, 2))).max(
        axis=(0, 1)
    )
    assert np.max(error[live] / scale[live]) < 3e-8
    np.testing.assert_array_equal(hess, hess.transpose(1, 0, 2))


@pytest.mark.parametrize(("r", "s"), [(0.55, 0.6), (2.0, 0.1), (0.02, 0.03)], ids=str)
def test_row_hessians_match_differences_of_the_numpy_row_gradients(r, s):
    # Source of truth: central differences (step 1e-5 in log r, log alpha_i, log s, log beta_i)
    # of the numpy engine's per-row gradients, symmetrised (as the numpy engine's fit does).
    from scipy.special import digamma  # noqa: PLC0415

    from retention_kpis.clv._pareto_kernel import _PAIRS, pareto_row_hessians  # noqa: PLC0415
    from retention_kpis.clv._special import trigamma  # noqa: PLC0415

    x, t_x, T, w, alpha, beta = _hostile_rows(6)
    theta = [np.array([r]), alpha, np.array([s]), beta]
    rows = ParetoRows(x, t_x, T, w, engine="numpy")
    xu, index = np.unique(x, return_inverse=True)
    entries = pareto_row_hessians(
        r, s, x, t_x, T, alpha, beta, w,
        digamma(r + xu) - digamma(r),
        trigamma(r + xu) - trigamma(np.array([r]))[0],
        index.ravel(),
    )  # fmt: skip
    h = 1e-5
    columns = []
    for j in range(4):
        up, down = list(theta), list(theta)
        up[j], down[j] = theta[j] * np.exp(h), theta[j] * np.exp(-h)
        grad_up, grad_down = rows(up)[1], rows(down)[1]
        columns.append([(grad_up[k] - grad_down[k]) / (2 * h) for k in range(4)])
    scale = np.abs(np.stack([c for column in columns for c in column])).max(axis=0) + w
    for j, k in _PAIRS:
        numeric = (columns[j][k] + columns[k][j]) / 2.0
        assert np.max(np.abs(entries[j, k] - numeric) / scale) < 2e-8, (j, k)
