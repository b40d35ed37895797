"""BG/NBD (FHL 2005) and MBG/NBD (Batislam et al. 2007) against 50-digit mpmath evaluations.

References are the papers' expressions evaluated with mpmath at ``mp.dps = 50``:
likelihood (FHL 2005 eq. 6), P(alive) (FHL's 2008 note "Computing P(alive)
using the BG/NBD model"), ``P(X(t) = x)`` (eq. 8, the incomplete-beta tail
with ``mpmath.betainc``, or its NBD tail summed term by term for ``x = 1e5``),
``E[X(t)]`` (eq. 9) and ``E[Y(t) | x, t_x, T]`` (eq. 10); MBG/NBD shifts
``b + x`` to ``b + x + 1`` and keeps the dropout term at ``x = 0``. The
``2F1(r+x, b+x; a+b+x-1; z)`` of eq. 9/10 is evaluated by mpmath after Euler's
transformation ``2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)`` (DLMF
15.8.1), because mpmath's own series does not finish for ``x = 1e5``.

Tolerance: 1e-8 relative (log-likelihood: 1e-8 absolute, relative when
``|log L| > 1``) at frequencies up to 1e5, ``recency == T``, recency 0, ``T``
from 1e-3 to 1e4 and parameters from 1e-4 to 1e4 (also ``a`` within 1e-5 of
the removable singularity ``a = 1``). Before the fix of this issue the
conditional expectation was off by up to 3e-4 (frequency 1e5, short horizons,
``a`` near 1) and 2e-7 at 1e-4-sized parameters.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from retention_kpis.clv import (
    BetaGeoModel,
    ModifiedBetaGeoModel,
    customer_lifetime_value,
)
from retention_kpis.clv._beta_geo_math import BetaGeoLikelihood

mp.mp.dps = 50

PARAMS = [
    (0.243, 4.414, 0.793, 2.426),  # FHL 2005, CDNOW
    (1e-4, 1e-4, 1e-4, 1e-4),
    (1e4, 1e4, 1e4, 1e4),
    (1e-4, 1e4, 0.5, 1e4),
    (1e4, 1e-4, 1e4, 1e-4),
    (0.243, 4.414, 1.00001, 2.426),  # a next to the removable singularity a = 1
    (5.0, 1.0, 0.2, 0.3),
]
HISTORIES = [  # (x, t_x, T)
    (0, 0.0, 1e-3),
    (0, 0.0, 1e4),
    (1, 1e-3, 1e-3),  # recency == T, tiny T
    (2, 30.43, 38.86),
    (50, 1e4, 1e4),  # recency == T, huge T
    (100_000, 1e4, 1e4),
    (100_000, 1.0, 1e4),
]
SHIFT = {BetaGeoModel: 0, ModifiedBetaGeoModel: 1}
MODELS = [BetaGeoModel, ModifiedBetaGeoModel]


def mpf_all(*values):
    return tuple(mp.mpf(value) for value in values)


def log_likelihood_ref(params, x, t_x, T, s):
    """FHL 2005 eq. 6 (Batislam et al. 2007 for s = 1)."""
    r, alpha, a, b = mpf_all(*params)
    x, t_x, T = mpf_all(x, t_x, T)
    common = mp.gamma(r + x) / mp.gamma(r) * alpha**r
    total = mp.beta(a, b + x + s) / mp.beta(a, b) * common / (alpha + T) ** (r + x)
    if x > 0 or s == 1:
        total += mp.beta(a + 1, b + x + s - 1) / mp.beta(a, b) * common / (alpha + t_x) ** (r + x)
    return mp.log(total)


def probability_alive_ref(params, x, t_x, T, s):
    r, alpha, a, b = mpf_all(*params)
    x, t_x, T = mpf_all(x, t_x, T)
    if x == 0 and s == 0:
        return mp.mpf(1)
    return 1 / (1 + a / (b + x + s - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def euler_hyp2f1(A, B, C, z):
    """DLMF 15.8.1."""
    return (1 - z) ** (C - A - B) * mp.hyp2f1(C - A, C - B, C, z)


def expected_while_alive_ref(t, r, alpha, a, b):
    """(a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))] (eq. 9 form)."""
    z = t / (alpha + t)
    return (
        (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * euler_hyp2f1(r, b, a + b - 1, z))
    )


@pytest.mark.parametrize("model_cls", MODELS)
@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
def test_beta_geo_likelihood_and_probability_alive_match_mpmath(
    model_cls, params, x, t_x, T, *, assert_close
):
    """One customer's log-likelihood and P(alive), frequency up to 1e5, recency == T or far below."""
    s = SHIFT[model_cls]
    likelihood = BetaGeoLikelihood(
        np.array([float(x)]), np.array([t_x]), np.array([T]), np.ones(1), s
    )
    value, gradient = likelihood(np.array(params))
    expected = log_likelihood_ref(params, x, t_x, T, s)
    assert abs(mp.mpf(value) - expected) <= 1e-8 * max(1, abs(expected)), (value, expected)
    assert np.all(np.isfinite(gradient))
    model = model_cls.from_params(r=params[0], alpha=params[1], a=params[2], b=params[3])
    assert_close(model.probability_alive(x, t_x, T)[0], probability_alive_ref(params, x, t_x, T, s))


@pytest.mark.parametrize("model_cls", MODELS)
@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("history", [(0, 0.0, 10.0), (10, 5.0, 10.0), (100_000, 1e4, 1e4)])
@pytest.mark.parametrize("t", [1e-5, 1e-3, 0.1, 1e4])
def test_beta_geo_conditional_expected_purchases_match_mpmath(
    model_cls, params, history, t, assert_close
):
    """Eq. 10 with posterior (r+x, alpha+T, a, b+x+s), times P(alive); short and long horizons."""
    x, t_x, T = history
    s = SHIFT[model_cls]
    r, alpha, a, b = mpf_all(*params)
    expected = expected_while_alive_ref(mp.mpf(t), r + x, alpha + mp.mpf(T), a, b + x + s)
    expected *= probability_alive_ref(params, x, t_x, T, s)
    model = model_cls.from_params(r=params[0], alpha=params[1], a=params[2], b=params[3])
    assert_close(model.expected_purchases(t, x, t_x, T)[0], expected)


@pytest.mark.parametrize("model_cls", MODELS)
@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("t", [1e-3, 39.0, 1e4])
def test_beta_geo_new_customer_expected_purchases_match_mpmath(model_cls, params, t, assert_close):
    """Eq. 9 (MBG/NBD: b -> b + 1 and a factor b/(a+b), the share alive after the first purchase)."""
    s = SHIFT[model_cls]
    r, alpha, a, b = mpf_all(*params)
    expected = expected_while_alive_ref(mp.mpf(t), r, alpha, a, b + s)
    if s:
        expected *= b / (a + b)
    model = model_cls.from_params(r=params[0], alpha=params[1], a=params[2], b=params[3])
    assert_close(model.expected_purchases_new_customer(t)[0], expected)


def nbd_tail(n, r, z):
    """P(K >= n) for K ~ NB: sum_{j>=n} G(r+j)/(G(r) j!) (1-z)^r z^j, term by term (z <= 1/2)."""
    term = mp.exp(mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)) * (1 - z) ** r * z**n
    total, j = mp.mpf(0), n
    while term > total * mp.mpf(10) ** -40:
        total += term
        term *= (r + j) / (j + 1) * z
        j += 1
    return total


def probability_of_purchases_ref(n, t, params, s):
    """FHL 2005 eq. 8 (Batislam et al. 2007 for s = 1)."""
    r, alpha, a, b = mpf_all(*params)
    n, t = mp.mpf(n), mp.mpf(t)
    z = t / (alpha + t)
    log_nb = mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1) + r * mp.log(1 - z)
    nb = mp.exp(log_nb + n * mp.log(z)) if n > 0 else mp.exp(log_nb)
    p = mp.beta(a, b + n + s) / mp.beta(a, b) * nb
    if n > 0 or s == 1:
        if n == 0:
            tail = mp.mpf(1)
        elif n <= 1000:
            tail = mp.betainc(n, r, 0, z, regularized=True)
        else:
            tail = nbd_tail(n, r, z)
        p += mp.beta(a + 1, b + n + s - 1) / mp.beta(a, b) * tail
    return p


@pytest.mark.parametrize("model_cls", MODELS)
@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(
    ("n", "t"), [(0, 1e-3), (0, 1e4), (1, 39.0), (5, 1e-3), (100, 1e4), (100_000, "alpha")]
)
def test_beta_geo_probability_of_purchases_matches_mpmath(model_cls, params, n, t, assert_close):
    """Eq. 8 for n from 0 to 1e5 (t = alpha for n = 1e5, where the NBD tail sum converges)."""
    s = SHIFT[model_cls]
    horizon = params[1] if t == "alpha" else t
    model = model_cls.from_params(r=params[0], alpha=params[1], a=params[2], b=params[3])
    got = model.probability_of_purchases(n, horizon)[0]
    assert_close(got, probability_of_purchases_ref(n, horizon, params, s))


@pytest.mark.parametrize("model_cls", MODELS)
@pytest.mark.parametrize("params", [PARAMS[0], PARAMS[3], PARAMS[5]])
@pytest.mark.parametrize("history", [(0, 0.0, 1e-3), (2, 30.43, 38.86), (100_000, 1e4, 1e4)])
def test_beta_geo_customer_lifetime_value_matches_mpmath(
    model_cls, params, history, assert_close, clv_reference
):
    """Discounted CLV (12 months of 4.345 weeks, 1 % a month) from eq. 10 and Gamma-Gamma at 50 digits."""
    x, t_x, T = history
    s = SHIFT[model_cls]
    r, alpha, a, b = mpf_all(*params)
    alive = probability_alive_ref(params, x, t_x, T, s)

    def cumulative(t):
        if t == 0:
            return mp.mpf(0)
        return alive * expected_while_alive_ref(t, r + x, alpha + mp.mpf(T), a, b + x + s)

    expected = clv_reference.expected(x, cumulative)
    summary, spend_model = clv_reference.summary(x, t_x, T), clv_reference.spend_model
    model = model_cls.from_params(r=params[0], alpha=params[1], a=params[2], b=params[3])
    got = customer_lifetime_value(model, spend_model, summary, time_unit="W")[0]
    assert_close(got, expected)
