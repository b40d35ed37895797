"""``P(X(t) = n)`` for a new Pareto/NBD customer, as sums of positive terms.

A customer makes ``n`` purchases in ``(0, t]`` either alive at ``t`` (an NBD
probability times ``P(mu-lifetime > t)``) or dead at some ``tau <= t`` after
``n`` purchases in ``(0, tau]``::

    P(X(t) = n) = Gamma(r + n) / (Gamma(r) n!) (alpha / (alpha + t))^r
                  (t / (alpha + t))^n (beta / (beta + t))^s
                + s Gamma(r + n) alpha^r beta^s / (Gamma(r) n!) * J,
    J = int_0^t tau^n (alpha + tau)^-(r+n) (beta + tau)^-(s+1) dtau.

With ``y = tau / (min(alpha, beta) + tau)`` the integrand becomes
``y^n (1 - y)^(r+s-1) (1 - w y)^-e`` (``w = |beta - alpha| / max(alpha, beta)``,
``e = s + 1`` if ``alpha <= beta`` else ``r + n``); expanding the last factor,
whose coefficients are all positive, gives ::

    J ∝ sum_k (e)_k / k! w^k B(n + k + 1, r + s) I_Y(n + k + 1, r + s)

with ``I_Y`` the regularised incomplete beta function (``scipy.special.betainc``)
and ``Y = t / (min(alpha, beta) + t)``. The terms fall at least like
``(w Y)^k``. This replaces the difference of ``2F1`` terms in Fader, Hardie &
Lee's note "Deriving an expression for P(X(t) = x) under the Pareto/NBD model"
(2006), which cancels.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from retention_kpis.clv._base import FloatArray

__all__ = ["log_probability_of_purchases"]

_LOG_TOL = math.log(1e-17)
_BLOCK = 64
_MAX_TERMS = 1_000_000
_SERIES_LIMIT = 20_000
"""Rows whose series would need more terms than this are integrated numerically."""


def log_probability_of_purchases(params: FloatArray, n: FloatArray, t: FloatArray) -> FloatArray:
    """``log P(X(t) = n)`` for validated, equally long ``n`` (whole) and ``t`` (``>= 0``)."""
    from scipy.special import gammaln, xlogy  # noqa: PLC0415 - scipy is imported lazily

    r, alpha, s, beta = (float(v) for v in params)
    common = gammaln(r + n) - gammaln(r) - gammaln(n + 1.0)
    alive = (
        common
        + r * np.log(alpha / (alpha + t))
        + xlogy(n, t / (alpha + t))
        + s * np.log(beta / (beta + t))
    )
    if alpha <= beta:
        lead = np.full_like(n, math.log(alpha) - math.log(beta))
        exponent = np.full_like(n, s + 1.0)
        w, y = (beta - alpha) / beta, t / (alpha + t)
    else:
        lead = n * (math.log(beta) - math.log(alpha))
        exponent = r + n
        w, y = (alpha - beta) / alpha, t / (beta + t)
    with np.errstate(divide="ignore"):
        terms_needed = _LOG_TOL / np.log(w * y)  # the series' terms fall like (w y)^k
    slow = terms_needed > _SERIES_LIMIT
    died = np.empty_like(alive)
    fast = ~slow
    if fast.any():
        died[fast] = (
            math.log(s)
            + common[fast]
            + lead[fast]
            + _log_series(exponent[fast], w, n[fast], r + s, y[fast])
        )
    scale = math.log(s) + r * math.log(alpha) + s * math.log(beta)
    for i in np.flatnonzero(slow):
        log_j = _log_integral_by_quadrature(float(n[i]), float(t[i]), (r, alpha, s, beta))
        died[i] = scale + common[i] + log_j
    out: FloatArray = np.minimum(np.logaddexp(alive, died), 0.0)
    return out


def _log_integral_by_quadrature(
    n: float, t: float, params: tuple[float, float, float, float]
) -> float:
    """``log J = log int_0^t tau^n (alpha+tau)^-(r+n) (beta+tau)^-(s+1) dtau`` by quadrature.

    Used where the series converges too slowly (``w y`` within about 1e-4 of 1,
    for example ``alpha = 1e-4``, ``beta = 1e4``). In ``v = log tau`` the log
    integrand ``g(v) = (n+1) v - (r+n) log(alpha+e^v) - (s+1) log(beta+e^v)`` is
    concave, so its peak is found by bisection on ``g'`` and the integral is
    taken from where ``g`` is 60 below the peak up to ``log t``, split at the peak.
    """
    from scipy.integrate import IntegrationWarning, quad  # noqa: PLC0415 - lazy scipy

    r, alpha, s, beta = params
    if t == 0.0:
        return 0.0 if n == 0 else -math.inf  # J = 0 for t = 0 (then unused: the alive term is 1)
    log_alpha, log_beta = math.log(alpha), math.log(beta)

    def g(v: float) -> float:
        return (
            (n + 1.0) * v
            - (r + n) * float(np.logaddexp(log_alpha, v))
            - (s + 1.0) * float(np.logaddexp(log_beta, v))
        )

    def slope(v: float) -> float:
        return (
            n
            + 1.0
            - (r + n) / (1.0 + math.exp(log_alpha - v))
            - (s + 1.0) / (1.0 + math.exp(log_beta - v))
        )

    lo, hi = -745.0, 745.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if slope(mid) > 0 else (lo, mid)
    end = math.log(t)
    top_v = min(0.5 * (lo + hi), end)
    top = g(top_v)
    lo, hi = -745.0 - 60.0, top_v
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if g(mid) < top - 60.0 else (lo, mid)
    start = lo

    def integrand(v: float) -> float:
        return math.exp(g(v) - top)

    with warnings.catch_warnings():  # the tolerance is deliberately tighter than reachable
        warnings.simplefilter("ignore", IntegrationWarning)
        area = 0.0
        for a, b in ((start, top_v), (top_v, end)):
            if b > a:
                area += quad(integrand, a, b, epsabs=0.0, epsrel=1e-13, limit=500)[0]
    return top + math.log(area)


def _log_series(
    exponent: FloatArray, w: float, n: FloatArray, b: float, y: FloatArray
) -> FloatArray:
    """``log sum_k (e)_k / k! w^k B(n + k + 1, b) I_y(n + k + 1, b)``, in blocks of k."""
    from scipy.special import betainc, betaln, gammaln  # noqa: PLC0415 - lazy scipy

    log_w = math.log(w) if w > 0 else -math.inf
    log_sum = np.full(len(n), -np.inf)
    k0 = 0
    while k0 < _MAX_TERMS:
        k = np.arange(k0, k0 + (1 if w == 0 else _BLOCK), dtype=np.float64)[None, :]
        a = n[:, None] + k + 1.0
        with np.errstate(divide="ignore"):
            log_terms = (
                gammaln(exponent[:, None] + k)
                - gammaln(exponent[:, None])
                - gammaln(k + 1.0)
                + (k * log_w if w > 0 else 0.0)
                + betaln(a, b)
                + np.log(betainc(a, b, y[:, None]))
            )
        log_sum = np.logaddexp(log_sum, np.logaddexp.reduce(log_terms, axis=1))
        falling = log_terms[:, -1] <= log_terms[:, 0]
        small = log_terms.max(axis=1) <= log_sum + _LOG_TOL
        if w == 0 or bool(np.all((falling & small) | np.isneginf(log_sum))):
            break
        k0 += _BLOCK
    return log_sum
