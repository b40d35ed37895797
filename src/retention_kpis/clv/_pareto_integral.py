"""The one hard piece of the Pareto/NBD likelihood, as a sum of positive terms.

The Pareto/NBD likelihood (Fader & Hardie 2005, "A note on deriving the
Pareto/NBD model and related expressions", eq. 11) is ::

    L = Gamma(r + x) alpha^r beta^s / Gamma(r)
        * [ (alpha + T)^-(r+x) (beta + T)^-s  +  s * I ]

    I = integral over (t_x, T] of (alpha + tau)^-(r+x) (beta + tau)^-(s+1) dtau

``s * I`` is the probability of dying at ``tau`` in ``(t_x, T]`` with no purchase
between ``t_x`` and ``tau``; the note writes it as ``s / (r + s + x) * A0``, a
*difference* of two Gauss hypergeometric terms that cancels when ``t_x`` is
near ``T`` (lifetimes returns nan at ``t_x == T``). Here ``I`` is a sum of
positive terms. Write ``m, e_m`` for the smaller of ``alpha, beta`` and its
exponent, ``M, e_M`` for the larger, ``D = M - m``, ``c = r + s + x`` and
``z(tau) = D / (M + tau)`` in ``[0, 1)``.

* ``e_m >= 1`` (Euler form): with ``G(tau) = int_tau^inf`` of the integrand,
  Euler's transformation of ``2F1(e_m, c; c + 1; z)`` gives ::

      G(tau) = (1/c) sum_k (e_M)_k / (c + 1)_k * A_k(tau),
      A_k(tau) = D^k (M + tau)^-(e_M + k) (m + tau)^(1 - e_m),

  and every ``A_k`` is decreasing in ``tau``, so
  ``I = (1/c) sum_k (e_M)_k / (c + 1)_k * A_k(t_x) * (1 - A_k(T) / A_k(t_x))``
  with ``1 - A_k(T) / A_k(t_x)`` computed by ``expm1`` (exactly 0 at ``t_x == T``).
* ``e_m < 1`` (power form): expanding ``(1 - z q)^-e_m`` with
  ``q = (M + t_x) / (M + tau)`` gives ::

      I = (M + t_x)^-c sum_k (e_m)_k / k! * z^k * (1 - rho^(c + k)) / (c + k),
      rho = (M + t_x) / (M + T).

Both series converge at least like ``z(t_x)^k`` and are summed in log space with
analytic derivatives of every term, so ``log I`` and its gradient with respect
to ``(r + x, s + 1, alpha, beta)`` come together. The number of terms is fixed
per row in advance from that bound (relative truncation error below 1e-17).
Rows that would need more than ``_MAX_TERMS`` terms (``z`` within about 1e-2 of
1, i.e. ``min(alpha, beta) + t_x`` a hundredth of ``max(alpha, beta) + t_x``)
are integrated numerically instead, with adaptive Gauss-Kronrod quadrature
(``scipy.integrate.quad_vec``) in ``v = log(m + tau)``, where the integrand is
smooth and log-concave.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from retention_kpis.clv._base import FloatArray

Terms = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
"""One series term without ``k log z``: log value, its derivatives in (e_m, e_M, m, M)
at fixed ``D``, ``log(M + t_x)`` and the log of its ``(1 - ...)`` factor."""

__all__ = ["log_integral"]

_LOG_TOL = math.log(1e-17)
_MAX_TERMS = 4000
_TINY = 1e-300


def log_integral(
    e_alpha: FloatArray,
    e_beta: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Return ``log I`` and its gradient with respect to ``(e_alpha, e_beta, alpha, beta)``.

    ``I = int_{t_x}^{T} (alpha + tau)^-e_alpha (beta + tau)^-e_beta dtau`` with
    ``e_alpha = r + x`` and ``e_beta = s + 1``. Inputs broadcast to one length;
    ``log I = -inf`` (gradient 0) where ``t_x == T``.
    """
    arrays = np.broadcast_arrays(e_alpha, e_beta, alpha, beta, t_x, T)
    ea, eb, a, b, tx, big_t = (np.array(x, dtype=np.float64, ndmin=1).ravel() for x in arrays)
    n = len(ea)
    swap = a > b
    m, big_m = np.where(swap, b, a), np.where(swap, a, b)
    em, e_big = np.where(swap, eb, ea), np.where(swap, ea, eb)
    log_i = np.full(n, -np.inf)
    grad = np.zeros((4, n))  # d/d e_m, e_M, m, M
    positive = big_t > tx
    z = (big_m - m) / (big_m + tx)
    log_z = np.log(np.maximum(z, _TINY))
    euler = positive & (em >= 1.0)
    power = positive & (em < 1.0)
    for rows, series in ((euler, _euler_terms), (power, _power_terms)):
        idx = np.flatnonzero(rows)
        if idx.size:
            args = (em[idx], e_big[idx], m[idx], big_m[idx], tx[idx], big_t[idx], z[idx])
            log_i[idx], grad[:, idx] = _sum_series(series, *args, log_z[idx])
    out = np.empty((4, n))
    out[0] = np.where(swap, grad[1], grad[0])
    out[1] = np.where(swap, grad[0], grad[1])
    out[2] = np.where(swap, grad[3], grad[2])
    out[3] = np.where(swap, grad[2], grad[3])
    return log_i, out


def _euler_terms(
    k: int,
    state: dict[str, FloatArray],
    em: FloatArray,
    e_big: FloatArray,
    m: FloatArray,
    big_m: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
) -> Terms:
    """Term ``k`` of the Euler form (without ``k log z``) and its derivatives."""
    c = em + e_big - 1.0
    if k == 0:
        state["log_c"] = np.zeros_like(em)
        state["d_em"] = np.zeros_like(em)
        state["d_eb"] = np.zeros_like(em)
        lam_m0 = np.log1p((big_t - tx) / (m + tx))
        lam_big0 = np.log1p((big_t - tx) / (big_m + tx))
        state["slope"] = e_big * lam_big0 + (em - 1.0) * lam_m0  # -log R_0
        state["grow"] = e_big
    else:
        state["log_c"] = state["log_c"] + np.log((e_big + k - 1) / (c + k))
        state["d_em"] = state["d_em"] - 1.0 / (c + k)
        state["d_eb"] = state["d_eb"] + 1.0 / (e_big + k - 1) - 1.0 / (c + k)
    log_mx, log_bx = np.log(m + tx), np.log(big_m + tx)
    lam_m, lam_big = np.log1p((big_t - tx) / (m + tx)), np.log1p((big_t - tx) / (big_m + tx))
    eta = -(e_big + k) * lam_big - (em - 1.0) * lam_m  # log(A_k(T) / A_k(t_x)) < 0
    h = -1.0 / np.expm1(-eta)  # d log(1 - e^eta) / d eta
    base = -np.log(c) + state["log_c"] - e_big * log_bx + (1.0 - em) * log_mx
    gap = np.log(-np.expm1(eta))
    base = base + gap
    d_em = -1.0 / c + state["d_em"] - log_mx - h * lam_m
    d_eb = -1.0 / c + state["d_eb"] - log_bx - h * lam_big
    dlam_m = -(big_t - tx) / ((m + big_t) * (m + tx))
    dlam_big = -(big_t - tx) / ((big_m + big_t) * (big_m + tx))
    d_m = (1.0 - em) / (m + tx) - h * (em - 1.0) * dlam_m
    d_big = -(e_big + k) / (big_m + tx) - h * (e_big + k) * dlam_big
    return base, d_em, d_eb, d_m, d_big, log_bx, gap


def _power_terms(
    k: int,
    state: dict[str, FloatArray],
    em: FloatArray,
    e_big: FloatArray,
    m: FloatArray,  # noqa: ARG001 - same signature as _euler_terms
    big_m: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
) -> Terms:
    """Term ``k`` of the power form (without ``k log z``) and its derivatives."""
    c = em + e_big - 1.0
    if k == 0:
        state["log_p"] = np.zeros_like(em)
        state["d_em"] = np.zeros_like(em)
        state["slope"] = c * np.log1p((big_t - tx) / (big_m + tx))  # -log rho^c
        state["grow"] = c
    else:
        state["log_p"] = state["log_p"] + np.log((em + k - 1) / k)
        state["d_em"] = state["d_em"] + 1.0 / (em + k - 1)
    log_bx = np.log(big_m + tx)
    lam = np.log1p((big_t - tx) / (big_m + tx))
    n_k = c + k
    g = lam / np.expm1(n_k * lam)  # d log(1 - rho^n) / dn
    gap = np.log(-np.expm1(-n_k * lam))
    base = -c * log_bx + state["log_p"] - np.log(n_k) + gap
    d_em = -log_bx + state["d_em"] - 1.0 / n_k + g
    d_eb = -log_bx - 1.0 / n_k + g
    dlam = -(big_t - tx) / ((big_m + big_t) * (big_m + tx))
    d_m = np.zeros_like(em)
    d_big = -(c + k) / (big_m + tx) + n_k * g / lam * dlam
    return base, d_em, d_eb, d_m, d_big, log_bx, gap


def _sum_series(
    series: Callable[..., Terms],
    em: FloatArray,
    e_big: FloatArray,
    m: FloatArray,
    big_m: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
    z: FloatArray,
    log_z: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Sum ``exp(base_k + k log z)`` in log space, with the gradient of the log.

    Term ``k`` is below ``exp(base_0 - gap_0 + g_k) z^k``, where ``gap_k`` is the
    log of the term's ``1 - R_k`` factor and ``g_k = log min(1, -log R_k)``
    grows at most like ``log(1 + k / grow)``; so after ``K`` terms the rest is
    below ``exp(base_0 - gap_0 + g_K) z^K / (1 - z)``. ``K`` is chosen per row so
    that this is under 1e-17 of the first term (at least 3 terms, so the
    ``d/dD`` part of the gradient is exact at ``D = 0``).
    Rows are sorted by ``K`` so each step works on a leading slice.
    """
    state: dict[str, FloatArray] = {}
    first = series(0, state, em, e_big, m, big_m, tx, big_t)
    # (1 - R_k) / (1 - R_0) <= min(1, (1 + k / grow) * slope) / (1 - R_0), as 1 - e^-u <= u.
    bound = np.log(np.minimum(1.0, state["slope"])) - first[6]
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = (_LOG_TOL + np.log1p(-z) - bound) / log_z
        needed += np.log1p(np.maximum(needed, 0.0) / state["grow"]) / -log_z
    # Two spare terms keep the d/dD part (k z^(k-1), one power of z behind) as precise.
    terms = np.maximum(np.ceil(needed), 0.0) + 3.0
    slow = ~(np.isfinite(terms) & (terms <= _MAX_TERMS))
    counts = np.where(slow, 0.0, terms)
    order = np.argsort(-counts, kind="stable")
    em_s, eb_s, m_s, bm_s, tx_s, bt_s, lz_s, counts = (
        x[order] for x in (em, e_big, m, big_m, tx, big_t, log_z, counts)
    )
    state = {key: value[order] for key, value in state.items()}
    ref = first[0][order]
    total = np.ones(len(order))
    acc = np.stack([part[order] for part in first[1:5]] + [np.zeros(len(order))])
    k = 1
    active = int(np.count_nonzero(counts > k))
    while active > 0:
        sl = slice(0, active)
        state = {key: value[sl] for key, value in state.items()}
        base, d_em, d_eb, d_m, d_big, log_bx, _ = series(
            k, state, em_s[sl], eb_s[sl], m_s[sl], bm_s[sl], tx_s[sl], bt_s[sl]
        )
        weight = np.exp(base + k * lz_s[sl] - ref[sl])
        total[sl] += weight
        acc[0, sl] += weight * d_em
        acc[1, sl] += weight * d_eb
        acc[2, sl] += weight * d_m
        acc[3, sl] += weight * d_big
        # d/dD of k log D, written k D^(k-1) so that it stays finite at D = 0
        acc[4, sl] += k * np.exp(base + (k - 1) * lz_s[sl] - log_bx - ref[sl])
        k += 1
        active = int(np.count_nonzero(counts > k))
    grad = acc[:4] / total
    grad[2] -= acc[4] / total
    grad[3] += acc[4] / total
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    log_i, grad = (ref + np.log(total))[inv], grad[:, inv]
    for i in np.flatnonzero(slow):
        log_i[i], grad[:, i] = _quadrature(em[i], e_big[i], m[i], big_m[i], tx[i], big_t[i])
    return log_i, grad


def _quadrature(
    em: float, e_big: float, m: float, big_m: float, tx: float, big_t: float
) -> tuple[float, FloatArray]:
    """``log I`` and its gradient by adaptive quadrature in ``log(m + tau)``."""
    from scipy.integrate import quad_vec  # noqa: PLC0415 - scipy is imported lazily

    # w = log((m + tau) / (m + t_x)) runs over [0, w1]; w1 is exact even when T - t_x is tiny.
    d, start = big_m - m, m + tx
    log_start, w1 = math.log(start), math.log1p((big_t - tx) / start)

    def log_f(w: float) -> float:  # log of integrand * dtau/dw
        return (1.0 - em) * (log_start + w) - e_big * math.log(d + start * math.exp(w))

    # log f is concave in w; its maximum is at a bound or where its slope is 0.
    candidates = [0.0, w1]
    share = (1.0 - em) / e_big
    if 0.0 < share < 1.0 and d > 0:
        candidates.append(min(max(math.log(d * share / (1.0 - share) / start), 0.0), w1))
    w_top = max(candidates, key=log_f)
    top = log_f(w_top)

    def integrand(w: float) -> FloatArray:
        weight = math.exp(log_f(w) - top)
        m_tau = start * math.exp(w)
        return weight * np.array(
            [1.0, -(log_start + w), -math.log(d + m_tau), -em / m_tau, -e_big / (d + m_tau)],
            dtype=np.float64,
        )

    points = [w_top] if 0.0 < w_top < w1 else None
    value, _ = quad_vec(integrand, 0.0, w1, epsrel=1e-12, epsabs=0.0, points=points, limit=2000)
    values = np.asarray(value, dtype=np.float64)
    return top + math.log(values[0]), values[1:] / values[0]
