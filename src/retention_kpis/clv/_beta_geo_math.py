"""Numerics shared by BG/NBD and MBG/NBD: likelihood, gradient, predictions.

The two models differ only in whether a customer may drop out at time 0 (before
any repeat purchase). With ``s = 0`` (BG/NBD) or ``s = 1`` (MBG/NBD), a customer
with ``x`` repeat purchases, the last at ``t_x``, observed until ``T``, has::

    L = B(a, b+x+s)/B(a,b)     * G(r+x)/G(r) * alpha^r / (alpha+T)^(r+x)
      + B(a+1, b+x+s-1)/B(a,b) * G(r+x)/G(r) * alpha^r / (alpha+t_x)^(r+x)

where the second ("dropped out after the last purchase") term is absent when
``s = 0`` and ``x = 0``. ``G`` is the gamma function and ``B`` the beta function.
Everything here is computed in log space, vectorised over customers.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from retention_kpis.clv._base import FloatArray

__all__ = [
    "expected_count",
    "log_likelihood_and_gradient",
    "log_odds_dropped",
    "log_probability_of_purchases",
]

_NEAR_ONE = 1e-4
"""Half-width of the band around ``a = 1`` where the closed form is interpolated."""


def log_odds_dropped(
    x: FloatArray, t_x: FloatArray, T: FloatArray, params: FloatArray, shift: int
) -> FloatArray:
    """``log(P(dropped) / P(alive))`` given ``(x, t_x, T)``; ``-inf`` when dropout is impossible.

    ``P(dropped)/P(alive) = a/(b+x+s-1) * ((alpha+T)/(alpha+t_x))^(r+x)``.
    """
    r, alpha, a, b = params
    can_drop = (x > 0) | (shift == 1)
    denominator = np.where(can_drop, b + x + shift - 1.0, 1.0)
    log_ratio = (r + x) * np.log1p((T - t_x) / (alpha + t_x))
    odds = math.log(a) - np.log(denominator) + log_ratio
    return np.where(can_drop, odds, -np.inf)


def log_likelihood_and_gradient(
    params: FloatArray,
    x_unique: FloatArray,
    x_index: npt.NDArray[np.intp],
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    weights: FloatArray,
    shift: int,
) -> tuple[float, FloatArray]:
    """Total weighted log-likelihood and its gradient w.r.t. ``log(r, alpha, a, b)``.

    Terms that depend on ``x`` only are computed once per distinct ``x``
    (``x_unique``, with ``x == x_unique[x_index]``). The gradient follows from
    ``d/dz log G(z) = psi(z)`` and ``psi(z + 1) - psi(z) = 1/z``, with ``w`` the
    posterior probability of the "dropped out" term::

        d/dr     = psi(r+x) - psi(r) + log(alpha) - (1-w) log(alpha+T) - w log(alpha+t_x)
        d/dalpha = r/alpha - (r+x) ((1-w)/(alpha+T) + w/(alpha+t_x))
        d/da     = psi(a+b) - psi(a+b+x+s) + w/a
        d/db     = psi(a+b) - psi(b) + psi(b+x+s) - psi(a+b+x+s) - w/(b+x+s-1)
    """
    from scipy.special import betaln, digamma, expit, gammaln  # noqa: PLC0415 - lazy scipy

    r, alpha, a, b = params
    # -- terms of each distinct x ---------------------------------------------
    xu = x_unique
    can_drop_u = (xu > 0) | (shift == 1)
    b_drop_u = np.where(can_drop_u, b + xu + shift - 1.0, 1.0)
    base_u = gammaln(r + xu) - gammaln(r) + r * math.log(alpha) - betaln(a, b)
    alive_u = betaln(a, b + xu + shift)
    drop_u = np.where(can_drop_u, betaln(a + 1.0, b_drop_u), -np.inf)
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + xu + shift)
    d_r_u = digamma(r + xu) - digamma(r) + math.log(alpha)
    d_a_u = psi_ab - psi_abx
    d_b_u = psi_ab - digamma(b) + digamma(b + xu + shift) - psi_abx
    inverse_b_drop_u = np.where(can_drop_u, 1.0 / b_drop_u, 0.0)
    weight_u = np.bincount(x_index, weights=weights, minlength=len(xu))

    # -- terms of each row ------------------------------------------------------
    log_alpha_T = np.log(alpha + T)
    log_alpha_tx = np.log(alpha + t_x)
    rx = r + x
    alive = alive_u[x_index] - rx * log_alpha_T
    drop = drop_u[x_index] - rx * log_alpha_tx
    log_lik = float(weight_u @ base_u + weights @ np.logaddexp(alive, drop))
    w_drop = expit(drop - alive)
    ww = weights * w_drop
    w_alive = weights - ww

    d_r = weight_u @ d_r_u - w_alive @ log_alpha_T - ww @ log_alpha_tx
    d_alpha = weight_u.sum() * r / alpha - w_alive @ (rx / (alpha + T)) - ww @ (rx / (alpha + t_x))
    d_a = weight_u @ d_a_u + ww.sum() / a
    d_b = weight_u @ d_b_u - ww @ inverse_b_drop_u[x_index]
    gradient = np.array([d_r, d_alpha, d_a, d_b]) * params
    return log_lik, gradient


def log_probability_of_purchases(
    n: FloatArray, t: FloatArray, params: FloatArray, shift: int
) -> FloatArray:
    """``log P(X(t) = n)`` for a customer just acquired (FHL 2005 eq. 8; Batislam et al. 2007).

    ``P = B(a, b+n+s)/B(a,b) * NB(n; r, alpha/(alpha+t))
    + B(a+1, b+n+s-1)/B(a,b) * P(K >= n)``, where ``K`` is negative binomial
    (the Poisson-gamma purchase count without dropout) and
    ``P(K >= n) = I(t/(alpha+t); n, r)`` (regularised incomplete beta).
    """
    from scipy.special import betainc, betaln, gammaln, xlogy  # noqa: PLC0415 - lazy scipy

    r, alpha, a, b = params
    z = t / (alpha + t)
    log_nb = (
        gammaln(r + n)
        - gammaln(r)
        - gammaln(n + 1.0)
        + r * (math.log(alpha) - np.log(alpha + t))
        + xlogy(n, z)
    )
    alive = betaln(a, b + n + shift) - betaln(a, b) + log_nb
    can_drop = (n > 0) | (shift == 1)
    n_safe = np.where(n > 0, n, 1.0)
    tail = np.where(n > 0, betainc(n_safe, r, z), 1.0)
    with np.errstate(divide="ignore"):
        log_tail = np.log(tail)
    b_drop = np.where(can_drop, b + n + shift - 1.0, 1.0)
    drop = np.where(can_drop, betaln(a + 1.0, b_drop) - betaln(a, b) + log_tail, -np.inf)
    result: FloatArray = np.minimum(np.logaddexp(alive, drop), 0.0)
    return result


def _closed_form(t: FloatArray, r: FloatArray, alpha: FloatArray, a: float, b: FloatArray) -> FloatArray:
    """FHL 2005 eq. 9 after Euler's transformation of the hypergeometric function.

    ``(a+b-1)/(a-1) * [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b-1; z)]``, ``z = t/(alpha+t)``,
    which equals eq. 9 and keeps the large parameters (``r + x``, ``b + x``) of
    the conditional expectation out of the first two slots of 2F1.
    """
    from scipy.special import hyp2f1  # noqa: PLC0415 - lazy scipy

    c = a + b - 1.0
    z = t / (alpha + t)
    power = np.exp((a - 1.0) * np.log1p(-z))
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        value: FloatArray = c / (a - 1.0) * (1.0 - power * hyp2f1(c - r, a - 1.0, c, z))
    return value


def _log_integrand(s: FloatArray, t: float, r: float, alpha: float, a: float, b: float) -> FloatArray:
    """Log of the integrand of ``E[(1 - (1 + p t/alpha)^-r) / p]``, ``p ~ Beta(a, b)``, at ``p = exp(-exp(s))``."""
    from scipy.special import betaln  # noqa: PLC0415 - lazy scipy

    y = -np.exp(s)  # log p
    log_one_minus_p = np.where(s < -30.0, s, np.log(-np.expm1(y)))
    rate = np.log1p(np.exp(y) * t / alpha)
    log_bought = np.log(-np.expm1(-r * rate))
    return (a - 1.0) * y + (b - 1.0) * log_one_minus_p + log_bought + s - betaln(a, b)


def _by_quadrature(t: float, r: float, alpha: float, a: float, b: float) -> float:
    """Expected count by adaptive quadrature over ``s = log(-log p)`` (fallback path)."""
    from scipy.integrate import quad  # noqa: PLC0415 - lazy scipy

    if t == 0.0:
        return 0.0
    low = -40.0 / min(b, 1.0) - 5.0
    high = math.log(60.0 / a + abs(math.log(r * t / alpha + 1e-300)) / a) + 2.0
    grid = np.linspace(low, high, 4001)
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        log_values = _log_integrand(grid, t, r, alpha, a, b)
    peak = int(np.argmax(log_values))
    top = float(log_values[peak])

    def integrand(s: float) -> float:
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            value = _log_integrand(np.array([s]), t, r, alpha, a, b)[0]
        return math.exp(value - top)

    area, _ = quad(integrand, low, high, points=[float(grid[peak])], limit=500)
    return math.exp(top) * area


def expected_count(
    t: FloatArray, r: FloatArray, alpha: FloatArray, a: float, b: FloatArray
) -> FloatArray:
    """``E[(1 - exp(-lambda p t)) / p]`` for ``lambda ~ Gamma(r, alpha)``, ``p ~ Beta(a, b)``.

    This is the BG/NBD expected number of purchases in ``(0, t]`` of a customer
    alive at 0 (FHL 2005 eq. 9); with posterior parameters ``(r+x, alpha+T, a,
    b+x)`` it is the numerator of eq. 10. Near ``a = 1`` (a removable
    singularity of the closed form) the value is interpolated linearly in ``a``
    from ``1 +- 1e-4``; rows where scipy's ``hyp2f1`` fails or leaves the
    bounds ``0 <= E <= r t / alpha`` are recomputed by quadrature.
    """
    if abs(a - 1.0) < _NEAR_ONE:
        below = _closed_form(t, r, alpha, 1.0 - _NEAR_ONE, b)
        above = _closed_form(t, r, alpha, 1.0 + _NEAR_ONE, b)
        share = (a - (1.0 - _NEAR_ONE)) / (2 * _NEAR_ONE)
        value = (1.0 - share) * below + share * above
    else:
        value = _closed_form(t, r, alpha, a, b)
    ceiling = r * t / alpha
    bad = ~np.isfinite(value) | (value < 0.0) | (value > ceiling * (1.0 + 1e-8) + 1e-300)
    for i in np.flatnonzero(bad):
        value[i] = _by_quadrature(float(t[i]), float(r[i]), float(alpha[i]), a, float(b[i]))
    result: FloatArray = np.clip(value, 0.0, ceiling)
    return result

