"""Gamma-Gamma (Fader, Hardie & Lee 2005; Fader & Hardie 2013) against 50-digit mpmath.

Reference: the density of a customer's mean spend ``zbar`` over ``x`` repeat
transactions (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value",
eq. 3) and its conditional expectation ``p (v + x zbar) / (p x + q - 1)``
(eq. 5; FHL 2005 "RFM and CLV", appendix), written with mpmath's ``loggamma``
at ``mp.dps = 50``. Log-likelihoods must agree to ``1e-8 max(1, |log f|)``,
expectations to 1e-8 relative, at frequencies up to 1e5, spends from 1e-3 to
1e4 and parameters from 1e-4 to 1e4 (``p x`` up to 1e9, where the textbook form
in float64 loses six digits).
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from retention_kpis.clv import GammaGammaModel
from retention_kpis.clv.gamma_gamma import _negative_log_likelihood

mp.mp.dps = 50

PARAMS = [
    (6.25, 3.74, 15.44),
    (1e-4, 1.5, 1e-4),
    (1e4, 1e4, 1e4),
    (1e-4, 1e4, 1e4),
    (1e4, 1.0001, 1e-4),
    (2.0, 1e-4, 3.0),
]
HISTORIES = [(1, 1e-3), (1, 1e4), (3, 22.35), (100_000, 1e-3), (100_000, 1.0), (100_000, 1e4)]


def log_density_ref(p: float, q: float, v: float, x: float, zbar: float) -> mp.mpf:
    """FH 2013 eq. 3, in logs."""
    p, q, v, x, zbar = (mp.mpf(value) for value in (p, q, v, x, zbar))
    return (
        mp.loggamma(p * x + q)
        - mp.loggamma(p * x)
        - mp.loggamma(q)
        + q * mp.log(v)
        + (p * x - 1) * mp.log(zbar)
        + p * x * mp.log(x)
        - (p * x + q) * mp.log(v + x * zbar)
    )


@pytest.mark.parametrize(("p", "q", "v"), PARAMS)
@pytest.mark.parametrize(("x", "zbar"), HISTORIES)
def test_gamma_gamma_log_likelihood_matches_mpmath(p, q, v, x, zbar):
    """Per-customer log-likelihood to 1e-8 (relative in the likelihood) with p x up to 1e9."""
    value, gradient = _negative_log_likelihood(
        np.log([p, q, v]), np.array([float(x)]), np.array([zbar]), np.ones(1)
    )
    expected = log_density_ref(p, q, v, x, zbar)
    assert abs(mp.mpf(-value) - expected) <= 1e-8 * max(1, abs(expected)), (-value, expected)
    assert np.all(np.isfinite(gradient))


@pytest.mark.parametrize(
    ("p", "q", "v", "x", "zbar"),
    [
        (*params, *history)
        for params in PARAMS
        for history in [(0, 1.0), *HISTORIES]
        if params[0] * history[0] + params[1] > 1  # else infinite (an error, see test_gamma_gamma)
    ],
)
def test_gamma_gamma_expected_average_value_matches_mpmath(p, q, v, x, zbar):
    """E[Z | zbar, x] = p (v + x zbar) / (p x + q - 1) to 1e-8 relative (where it is finite)."""
    model = GammaGammaModel.from_params(p=p, q=q, v=v)
    mp_p, mp_q, mp_v, mp_x = (mp.mpf(value) for value in (p, q, v, x))
    expected = mp_p * (mp_v + mp_x * mp.mpf(zbar)) / (mp_p * mp_x + mp_q - 1)
    got = model.expected_average_value(x, zbar)[0]
    assert abs(mp.mpf(got) - expected) <= 1e-8 * expected, (got, expected)
