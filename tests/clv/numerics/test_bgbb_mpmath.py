"""BG/BB (Fader, Hardie & Shang 2010) against 50-digit mpmath evaluations at extreme points.

References are the paper's finite sums of beta functions (eq. 5 likelihood,
eq. 7 new-customer expectation, eq. 8 ``P(X(n) = x)``, eq. 11 P(alive), eq. 13
conditional expectation), summed term by term with mpmath at ``mp.dps = 50``:
no closed forms, so they are independent of the library's telescoped sums and
Stirling differences. Tolerance 1e-8 relative (log-likelihood: 1e-8 absolute,
relative when ``|log L| > 1``); values below float64's normal range
(``< 1e-295``) must come back below ``1e-290``.
"""

from __future__ import annotations

from functools import cache

import mpmath as mp
import numpy as np
import pytest

from retention_kpis.clv import BetaGeoBetaBinomModel

mp.mp.dps = 50

PARAMS = [
    (1.204, 0.750, 0.657, 2.783),  # FHS 2010 (donations data)
    (1e-4, 1e-4, 1e-4, 1e-4),
    (1e4, 1e4, 1e4, 1e4),
    (1e-4, 1e4, 1e4, 1e-4),
    (1e4, 1e-4, 1e-4, 1e4),
    (2.0, 3.0, 1.0000001, 5.0),  # gamma near 1: the closed-form sum's removable singularity
]
HISTORIES = [
    (0, 0, 1),
    (1, 1, 1),
    (0, 0, 6),
    (6, 6, 6),
    (3, 4, 6),
    (10, 500, 1000),
    (1000, 1000, 1000),
]


def beta_ratio(p1, p2, p0, q0):
    return mp.beta(p1, p2) / mp.beta(p0, q0)


@cache
def likelihood_ref(params, x, t_x, n):
    """FHS 2010 eq. 5."""
    a, b, g, d = (mp.mpf(value) for value in params)
    alive = beta_ratio(a + x, b + n - x, a, b) * beta_ratio(g, d + n, g, d)
    died = mp.fsum(
        beta_ratio(a + x, b + t_x - x + i, a, b) * beta_ratio(g + 1, d + t_x + i, g, d)
        for i in range(n - t_x)
    )
    return alive + died


def model_of(params):
    a, b, g, d = params
    return BetaGeoBetaBinomModel.from_params(alpha=a, beta=b, gamma=g, delta=d)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(("x", "t_x", "n"), HISTORIES)
def test_bgbb_likelihood_and_probability_alive_match_mpmath(params, x, t_x, n, assert_close):
    """Log-likelihood (eq. 5) and P(alive) (eq. 11) at n up to 1000 and 1e4-sized parameters."""
    model = model_of(params)
    likelihood = likelihood_ref(params, x, t_x, n)
    got = model._log_likelihood_rows(
        np.array([x], float), np.array([t_x], float), np.array([n], float)
    )[0]
    expected = mp.log(likelihood)
    assert abs(mp.mpf(got) - expected) <= 1e-8 * max(1, abs(expected)), (got, expected)
    a, b, g, d = (mp.mpf(value) for value in params)
    alive = beta_ratio(a + x, b + n - x, a, b) * beta_ratio(g, d + n + 1, g, d) / likelihood
    assert_close(model.probability_alive(x, t_x, n)[0], alive)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(("x", "t_x", "n"), HISTORIES)
@pytest.mark.parametrize("t", [1, 100])
def test_bgbb_conditional_expected_purchases_match_mpmath(params, x, t_x, n, t, *, assert_close):
    """Eq. 13: B(a+x+1, b+n-x)/B(a,b) sum_{k=1..t} B(g, d+n+k)/B(g,d) / L, summed term by term."""
    a, b, g, d = (mp.mpf(value) for value in params)
    expected = (
        beta_ratio(a + x + 1, b + n - x, a, b)
        * mp.fsum(beta_ratio(g, d + n + k, g, d) for k in range(1, t + 1))
        / likelihood_ref(params, x, t_x, n)
    )
    assert_close(model_of(params).expected_purchases(t, x, t_x, n)[0], expected)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("t", [1, 10, 1000])
def test_bgbb_new_customer_expected_purchases_match_mpmath(params, t, assert_close):
    """Eq. 7: a/(a+b) sum_{k=1..t} B(g, d+k)/B(g, d)."""
    a, b, g, d = (mp.mpf(value) for value in params)
    expected = a / (a + b) * mp.fsum(beta_ratio(g, d + k, g, d) for k in range(1, t + 1))
    assert_close(model_of(params).expected_purchases_new_customer(t)[0], expected)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(
    ("x", "n"), [(0, 1), (1, 1), (0, 10), (5, 10), (10, 10), (250, 500), (500, 500)]
)
def test_bgbb_probability_of_purchases_matches_mpmath(params, x, n, assert_close):
    """Eq. 8: binomial-weighted beta ratios for 'alive through n' plus 'died after opportunity i'."""
    a, b, g, d = (mp.mpf(value) for value in params)
    expected = mp.binomial(n, x) * beta_ratio(a + x, b + n - x, a, b) * beta_ratio(g, d + n, g, d)
    expected += mp.fsum(
        mp.binomial(i, x) * beta_ratio(a + x, b + i - x, a, b) * beta_ratio(g + 1, d + i, g, d)
        for i in range(x, n)
    )
    assert_close(model_of(params).probability_of_purchases(x, n)[0], expected)
