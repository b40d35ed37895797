"""sBG (Fader & Hardie 2007, 2010) against 50-digit mpmath evaluations at extreme points.

The references below are written straight from the papers with mpmath's
``beta`` and ``hyp2f1`` (``mp.dps = 50``); the library's float64 results must
agree to 1e-8 relative (log-likelihoods: 1e-8 absolute, i.e. 1e-8 relative in
the likelihood, or relative when ``|log L| > 1``). Where the exact value is
below float64's normal range (``< 1e-295``) the library must return a
value below ``1e-290`` (0 or subnormal), without a warning.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from retention_kpis.clv import ShiftedBetaGeometricModel
from retention_kpis.clv.sbg import _negative_log_likelihood

mp.mp.dps = 50

PARAMS = [(0.704, 1.182), (1e-4, 1e-4), (1e4, 1e4), (1e-4, 1e4), (1e4, 1e-4), (1.0, 1.0)]
PERIODS = [1, 2, 10, 1000, 100_000]


def assert_log_close(got: float, expected: mp.mpf) -> None:
    assert abs(mp.mpf(got) - expected) <= 1e-8 * max(1, abs(expected)), (got, expected)


def survival_ref(a: float, b: float, t: float) -> mp.mpf:
    """FH 2007 eq. 2/3: ``S(t) = B(alpha, beta + t) / B(alpha, beta)``."""
    return mp.beta(a, b + t) / mp.beta(a, b)


def churn_ref(a: float, b: float, t: float) -> mp.mpf:
    """FH 2007 eq. 1: ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``."""
    return mp.beta(a + 1, b + t - 1) / mp.beta(a, b)


@pytest.mark.parametrize(("alpha", "beta"), PARAMS)
@pytest.mark.parametrize("t", PERIODS)
def test_sbg_survival_churn_retention_match_mpmath(alpha, beta, t, assert_close):
    """S(t), P(T = t) and r_t agree with mpmath to 1e-8, also for t = 1e5 and 1e4-sized params."""
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    a, b = mp.mpf(alpha), mp.mpf(beta)
    assert_close(model.survival(t)[0], survival_ref(a, b, t))
    assert_close(model.probability_churn(t)[0], churn_ref(a, b, t))
    # FH 2007 eq. 8: r_t = (beta + t - 1) / (alpha + beta + t - 1)
    assert_close(model.retention_rate(t)[0], (b + t - 1) / (a + b + t - 1))


@pytest.mark.parametrize(("alpha", "beta"), PARAMS)
@pytest.mark.parametrize("t", [1, 7, 100_000])
@pytest.mark.parametrize("censored", [False, True])
def test_sbg_log_likelihood_row_matches_mpmath(alpha, beta, t, censored):
    """One row's log-likelihood (FH 2007 eq. 5): log S(t) if still active, log P(T = t) if churned."""
    value, gradient = _negative_log_likelihood(
        np.log([alpha, beta]), np.array([float(t)]), np.array([censored]), np.ones(1)
    )
    a, b = mp.mpf(alpha), mp.mpf(beta)
    expected = mp.log(survival_ref(a, b, t) if censored else churn_ref(a, b, t))
    assert_log_close(-value, expected)
    assert np.all(np.isfinite(gradient))


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (1e-4, 1e4), (1e4, 1e-4), (3.0, 4.0)])
@pytest.mark.parametrize("discount_rate", [0.1, 10.0])
@pytest.mark.parametrize("renewals", [0, 1000])
def test_sbg_derl_matches_mpmath_hyp2f1(alpha, beta, discount_rate, renewals, assert_close):
    """DERL (FH 2010 eq. 6): (b + n)/(a + b + n) 2F1(1, b + n + 1; a + b + n + 1; 1/(1 + d))."""
    model = ShiftedBetaGeometricModel.from_params(alpha=alpha, beta=beta)
    a, b, n = mp.mpf(alpha), mp.mpf(beta), renewals
    expected = (
        (b + n)
        / (a + b + n)
        * mp.hyp2f1(1, b + n + 1, a + b + n + 1, 1 / (1 + mp.mpf(discount_rate)))
    )
    got = model.discounted_expected_residual_lifetime(discount_rate, renewals=renewals)[0]
    assert_close(got, expected)
