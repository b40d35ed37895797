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
import warnings

import numpy as np

from retention_kpis.clv._base import FloatArray

__all__ = [
    "BetaGeoLikelihood",
    "expected_count",
    "log_probability_of_purchases",
    "probability_alive",
]

_CHUNK = 1 << 15
"""Rows per chunk of the per-customer loops: temporaries stay in cache."""
_NEAR_ONE = 1e-4
"""Half-width of the band around ``a = 1`` where the closed form is interpolated."""
_SERIES_TERMS = 64
"""Most terms of the short-horizon series (its terms shrink at least by half each)."""
_CANCELLATION = 1e5
"""Largest ``(a+b-1) / (|a-1| E)`` (digits lost by the closed form) accepted from it."""


def probability_alive(
    x: FloatArray, t_x: FloatArray, T: FloatArray, params: FloatArray, shift: int
) -> FloatArray:
    """``P(alive | x, t_x, T) = 1 / (1 + a/(b+x+s-1) * ((alpha+T)/(alpha+t_x))^(r+x))``.

    The second term is absent (P = 1) when dropout is impossible (``s = 0``,
    ``x = 0``). Computed as ``expit(-log odds)`` in cache-sized chunks.
    """
    from scipy.special import expit  # noqa: PLC0415 - lazy scipy

    r, alpha, a, b = (float(v) for v in params)
    out = np.empty(len(x))
    for start in range(0, len(x), _CHUNK):
        part = slice(start, start + _CHUNK)
        xs = x[part]
        can_drop = (xs > 0) | (shift == 1)
        denominator = np.where(can_drop, b + xs + shift - 1.0, 1.0)
        odds = (r + xs) * np.log1p((T[part] - t_x[part]) / (alpha + t_x[part]))
        odds += math.log(a) - np.log(denominator)
        out[part] = np.where(can_drop, expit(-odds), 1.0)
    return out


def _dot(u: FloatArray, v: FloatArray) -> float:
    """Inner product in numpy's own loop (no BLAS threads for a 4-parameter model)."""
    return float(np.einsum("i,i->", u, v))


class BetaGeoLikelihood:
    """Total weighted log-likelihood and its gradient w.r.t. ``log(r, alpha, a, b)``.

    Built once per fit from the (collapsed) rows; calling it with the natural
    parameters returns ``(log-likelihood, gradient)``. Terms that depend on
    ``x`` only are computed once per distinct ``x``; the per-row terms are
    evaluated in chunks so that temporaries stay small and cache-resident.
    With ``w`` the posterior probability of the "dropped out" term and
    ``d/dz log G(z) = psi(z)``, ``psi(z + 1) - psi(z) = 1/z``::

        d/dr     = psi(r+x) - psi(r) + log(alpha) - (1-w) log(alpha+T) - w log(alpha+t_x)
        d/dalpha = r/alpha - (r+x) ((1-w)/(alpha+T) + w/(alpha+t_x))
        d/da     = psi(a+b) - psi(a+b+x+s) + w/a
        d/db     = psi(a+b) - psi(b) + psi(b+x+s) - psi(a+b+x+s) - w/(b+x+s-1)

    The gradient returned is ``theta * dL/dtheta`` (the gradient in log space).
    """

    def __init__(
        self, x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray, shift: int
    ) -> None:
        self.shift = shift
        self.x_unique, index = np.unique(x, return_inverse=True)
        index = index.ravel()
        counts = np.bincount(index, weights=weights, minlength=len(self.x_unique))
        self.weight_unique: FloatArray = counts.astype(np.float64)
        self.total_weight = float(weights.sum())
        self.can_drop_unique = (self.x_unique > 0) | (shift == 1)
        # rows that cannot drop out (BG/NBD, x = 0) contribute -r log(alpha + T) only
        can_drop = self.can_drop_unique[index]
        stay = ~can_drop
        self.stay_T, self.stay_w = T[stay], weights[stay]
        self.index, self.x, self.t_x, self.T = (
            index[can_drop],
            x[can_drop],
            t_x[can_drop],
            T[can_drop],
        )
        self.w = weights[can_drop]
        self.wx = self.w * self.x

    def __call__(self, params: FloatArray) -> tuple[float, FloatArray]:
        """Return the log-likelihood and its gradient in log-parameter space."""
        from scipy.special import betaln, digamma, gammaln  # noqa: PLC0415 - lazy scipy

        r, alpha, a, b = (float(v) for v in params)
        xu, shift = self.x_unique, self.shift
        b_drop_u = np.where(self.can_drop_unique, b + xu + shift - 1.0, 1.0)
        alive_u = betaln(a, b + xu + shift)
        drop_minus_alive_u = np.where(
            self.can_drop_unique, betaln(a + 1.0, b_drop_u) - alive_u, -np.inf
        )
        base_u = gammaln(r + xu) - gammaln(r) + r * math.log(alpha) - betaln(a, b) + alive_u
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + xu + shift)
        wu = self.weight_unique
        log_lik = _dot(wu, base_u)
        d_r = _dot(wu, (digamma(r + xu) - digamma(r))) + self.total_weight * math.log(alpha)
        d_alpha = self.total_weight * r / alpha
        d_a = _dot(wu, (psi_ab - psi_abx))
        d_b = _dot(wu, (psi_ab - digamma(b) + digamma(b + xu + shift) - psi_abx))
        inverse_b_drop_u = np.where(self.can_drop_unique, 1.0 / b_drop_u, 0.0)

        log_stay = np.log(alpha + self.stay_T)
        log_lik -= r * _dot(self.stay_w, log_stay)
        d_r -= _dot(self.stay_w, log_stay)
        d_alpha -= r * _dot(self.stay_w, (1.0 / (alpha + self.stay_T)))

        drop_weight = 0.0
        drop_weight_b = 0.0
        for start in range(0, len(self.x), _CHUNK):
            part = slice(start, start + _CHUNK)
            w, wx, index = self.w[part], self.wx[part], self.index[part]
            inv_T = 1.0 / (alpha + self.T[part])
            inv_tx = 1.0 / (alpha + self.t_x[part])
            log_T = -np.log(inv_T)
            gap = np.log(inv_tx) - np.log(inv_T)  # log((alpha+T)/(alpha+t_x)) >= 0
            d = drop_minus_alive_u[index] + (r + self.x[part]) * gap
            e = np.exp(-np.abs(d))
            softplus = np.maximum(d, 0.0) + np.log1p(e)  # log(1 + exp(d))
            w_drop = np.where(d > 0.0, 1.0, e) / (1.0 + e)
            ww = w * w_drop
            log_lik += _dot(w, softplus) - r * _dot(w, log_T) - _dot(wx, log_T)
            d_r += _dot(ww, gap) - _dot(w, log_T)
            shrink = inv_T - w_drop * (inv_T - inv_tx)
            d_alpha -= r * _dot(w, shrink) + _dot(wx, shrink)
            drop_weight += float(ww.sum())
            drop_weight_b += _dot(ww, inverse_b_drop_u[index])
        d_a += drop_weight / a
        d_b -= drop_weight_b
        gradient = np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])
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


def _closed_form(
    t: FloatArray, r: FloatArray, alpha: FloatArray, a: float, b: FloatArray
) -> FloatArray:
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


def _log_integrand(
    s: FloatArray, t: float, r: float, alpha: float, *, a: float, b: float
) -> FloatArray:
    """Log integrand of ``E[(1 - (1 + p t/alpha)^-r) / p]``, ``p ~ Beta(a, b)``.

    The variable is ``s = log(-log p)``, so ``p = exp(-exp(s))``.
    """
    from scipy.special import betaln  # noqa: PLC0415 - lazy scipy

    y = -np.exp(s)  # log p
    log_one_minus_p = np.where(s < -30.0, s, np.log(-np.expm1(y)))
    u = y + math.log(t / alpha)  # log(p t / alpha), kept even where p underflows
    tiny = u < -40.0 - math.log(max(r, 1.0))  # there 1 - (1 + p t/alpha)^-r = r p t / alpha
    exact = np.log(-np.expm1(-r * np.log1p(np.exp(np.where(tiny, 0.0, u)))))
    log_bought = np.where(tiny, math.log(r) + u, exact)
    return (a - 1.0) * y + (b - 1.0) * log_one_minus_p + log_bought + s - betaln(a, b)


def _by_quadrature(t: float, r: float, alpha: float, a: float, b: float) -> float:
    """Return the expected count by adaptive quadrature over ``s = log(-log p)`` (fallback)."""
    from scipy.integrate import IntegrationWarning, quad  # noqa: PLC0415 - lazy scipy

    if t == 0.0:
        return 0.0
    # s = log(-log p): s -> -inf is p -> 1, s = 14 is p = exp(-1.2e6). Locate the mass on a
    # fine grid (in log space, so nothing underflows), then integrate where it is.
    grid = np.linspace(-60.0, 14.0, 14_801)
    if b < 1.0:  # the mass can sit extremely close to p = 1
        grid = np.concatenate([np.linspace(-60.0 - 60.0 / b, -60.0, 2_001)[:-1], grid])
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        log_values = _log_integrand(grid, t, r, alpha, a=a, b=b)
    peak = int(np.argmax(log_values))
    top = float(log_values[peak])
    inside = np.flatnonzero(log_values > top - 60.0)
    low = float(grid[max(inside[0] - 1, 0)])
    high = float(grid[min(inside[-1] + 1, len(grid) - 1)])

    def integrand(s: float) -> float:
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            value = _log_integrand(np.array([s]), t, r, alpha, a=a, b=b)[0]
        return math.exp(value - top)

    with warnings.catch_warnings():  # the tolerance is deliberately tighter than reachable
        warnings.simplefilter("ignore", IntegrationWarning)
        candidates = (float(grid[peak]), -60.0, -30.0, -10.0, 0.0, 3.0)
        breaks = sorted({point for point in candidates if low < point < high})
        area, _ = quad(integrand, low, high, points=breaks, limit=1000, epsabs=0.0, epsrel=1e-10)
    return math.exp(top) * area


def _series(u: FloatArray, r: FloatArray, a: float, b: FloatArray) -> FloatArray:
    """``sum_k (-1)^(k+1) (r)_k / k! u^k (a)_(k-1) / (a+b)_(k-1)`` for ``max(r, 1) u <= 1/2``.

    The Taylor series in ``u = t / alpha`` of ``E[(1 - (1 + p u)^-r) / p]``
    (``E[p^(k-1)] = (a)_(k-1) / (a+b)_(k-1)``). Successive terms shrink by at
    least ``max(r, 1) u <= 1/2`` and alternate in sign, so the sum keeps all but a
    digit of precision; it stops when the next term is below 1e-17 of the sum.
    """
    term: FloatArray = r * u
    total: FloatArray = term.copy()
    for k in range(1, _SERIES_TERMS):
        term = -term * (r + k) / (k + 1.0) * u * (a + k - 1.0) / (a + b + k - 1.0)
        total += term
        if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
            break
    return total


def _near_one(
    t: FloatArray, r: FloatArray, alpha: FloatArray, a: float, b: FloatArray
) -> FloatArray:
    """Evaluate the closed form near ``a = 1`` (a removable singularity) by interpolation.

    Quadratic in ``a`` through ``1 - h, 1 + h, 1 + 2h`` (``h = _NEAR_ONE``); the interpolation
    error is of order ``h^3`` relative.
    """
    h = _NEAR_ONE
    nodes = (1.0 - h, 1.0 + h, 1.0 + 2.0 * h)
    value = np.zeros_like(t)
    for i, node in enumerate(nodes):
        weight = 1.0
        for j, other in enumerate(nodes):
            if j != i:
                weight *= (a - other) / (node - other)
        value += weight * _closed_form(t, r, alpha, node, b)
    return value


def expected_count(
    t: FloatArray, r: FloatArray, alpha: FloatArray, a: float, b: FloatArray
) -> FloatArray:
    """``E[(1 - exp(-lambda p t)) / p]`` for ``lambda ~ Gamma(r, alpha)``, ``p ~ Beta(a, b)``.

    This is the BG/NBD expected number of purchases in ``(0, t]`` of a customer
    alive at 0 (FHL 2005 eq. 9); with posterior parameters ``(r+x, alpha+T, a,
    b+x)`` it is the numerator of eq. 10. Three evaluations, chosen per row:

    * ``max(r, 1) t / alpha <= 1/2``: the Taylor series in ``t / alpha``
      (:func:`_series`), which has no cancellation and no trouble at ``a = 1``;
    * otherwise the closed form (:func:`_closed_form`), interpolated
      quadratically in ``a`` within 1e-4 of the removable singularity ``a = 1``;
    * rows where the closed form's ``1 - (...)`` cancels by more than five
      digits (``(a+b-1) / |a-1| > 1e5 E``, for example frequency 1e5 with a
      horizon of ``alpha`` / 1e4), where scipy's ``hyp2f1`` fails, or where the
      result leaves ``0 <= E <= r t / alpha``, by adaptive quadrature over ``p``.

    Checked against 50-digit mpmath evaluations of eq. 9 and 10 to 1e-8 relative
    (``tests/clv/numerics``).
    """
    if abs(a - 1.0) < _NEAR_ONE:
        value = _near_one(t, r, alpha, a, b)
        distance = _NEAR_ONE
    else:
        value = _closed_form(t, r, alpha, a, b)
        distance = abs(a - 1.0)
    u = t / alpha
    ceiling = r * u
    short = np.maximum(r, 1.0) * u <= 0.5
    if short.any():
        value[short] = _series(u[short], r[short], a, b[short])
    with np.errstate(divide="ignore", invalid="ignore"):
        cancels = ~short & ((a + b - 1.0) / distance > _CANCELLATION * np.abs(value))
    bad = cancels | ~np.isfinite(value) | (value < 0.0) | (value > ceiling * (1.0 + 1e-8) + 1e-300)
    for i in np.flatnonzero(bad):
        value[i] = _by_quadrature(float(t[i]), float(r[i]), float(alpha[i]), a, float(b[i]))
    result: FloatArray = np.clip(value, 0.0, ceiling)
    return result
