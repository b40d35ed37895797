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
are integrated numerically instead (:mod:`retention_kpis.clv._pareto_quadrature`),
in ``w = log(m + tau)``, where the integrand is smooth and log-concave.
"""

from __future__ import annotations

import math

import numpy as np

from retention_kpis.clv._base import FloatArray
from retention_kpis.clv._pareto_quadrature import quadrature

__all__ = ["log_integral"]

_LOG_TOL = math.log(1e-17)
_TINY = 1e-300
_QUAD_COST = 2000.0
"""Cost of one row by quadrature, in series-term units (480 nodes against one term)."""
_BLOCK_COST = 40.0
"""Fixed cost of one series step of the whole block (numpy call overhead), in term units."""
_MAX_TERMS = 20000

Columns = dict[str, FloatArray]
Terms = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]
"""One block of series terms without ``k log z``: log value, its derivatives in
``(e_m, e_M, m, M)`` at fixed ``D``, and the log of the term's ``1 - R_k`` factor."""


def log_integral(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
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
    for rows, euler in ((positive & (em >= 1.0), True), (positive & (em < 1.0), False)):
        idx = np.flatnonzero(rows)
        if idx.size:
            args = (em[idx], e_big[idx], m[idx], big_m[idx], tx[idx], big_t[idx])
            log_i[idx], grad[:, idx] = _sum_series(*args, euler=euler)
    out = np.empty((4, n))
    out[0] = np.where(swap, grad[1], grad[0])
    out[1] = np.where(swap, grad[0], grad[1])
    out[2] = np.where(swap, grad[3], grad[2])
    out[3] = np.where(swap, grad[2], grad[3])
    return log_i, out


def _setup(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    em: FloatArray,
    e_big: FloatArray,
    m: FloatArray,
    big_m: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
    *,
    euler: bool,
) -> Columns:
    """Per-row constants of a series (``slope`` = -log R_0, ``grow`` its growth scale)."""
    gap = big_t - tx
    cst = {
        "em": em,
        "eb": e_big,
        "c": em + e_big - 1.0,
        "mx": m + tx,
        "bx": big_m + tx,
        "log_mx": np.log(m + tx),
        "log_bx": np.log(big_m + tx),
        "lam_m": np.log1p(gap / (m + tx)),
        "lam_b": np.log1p(gap / (big_m + tx)),
        "dlam_m": -gap / ((m + big_t) * (m + tx)),
        "dlam_b": -gap / ((big_m + big_t) * (big_m + tx)),
    }
    z = (big_m - m) / (big_m + tx)
    cst["z"], cst["log_z"] = z, np.log(np.maximum(z, _TINY))
    if euler:
        cst["base0"] = -np.log(cst["c"]) - e_big * cst["log_bx"] + (1.0 - em) * cst["log_mx"]
        cst["slope"] = e_big * cst["lam_b"] + (em - 1.0) * cst["lam_m"]
        cst["grow"] = e_big
    else:
        cst["base0"] = -cst["c"] * cst["log_bx"]
        cst["slope"] = cst["c"] * cst["lam_b"]
        cst["grow"] = cst["c"]
    return cst


def _increments(j: FloatArray, cst: Columns, *, euler: bool) -> Columns:
    """Return the steps ``k -> k + 1`` of the coefficient's log and derivatives, at ``k = j``."""
    em, eb, c = cst["em"], cst["eb"], cst["c"]
    if euler:  # log of (e_M)_k / (c + 1)_k
        return {
            "log": np.log((eb + j) / (c + 1.0 + j)),
            "d_em": -1.0 / (c + 1.0 + j),
            "d_eb": 1.0 / (eb + j) - 1.0 / (c + 1.0 + j),
        }
    # log of (e_m)_k / k!
    return {"log": np.log((em + j) / (j + 1.0)), "d_em": 1.0 / (em + j), "d_eb": 0.0 * j}


def _terms(k: FloatArray, cst: Columns, cum: Columns, *, euler: bool) -> Terms:
    """Terms ``k`` (a row of integers) of the series for every row of ``cst``."""
    em, eb, c = cst["em"], cst["eb"], cst["c"]
    if euler:
        eta = -(eb + k) * cst["lam_b"] - (em - 1.0) * cst["lam_m"]  # log R_k < 0
        em1 = np.expm1(eta)
        gap = np.log(-em1)
        h = (1.0 + em1) / em1  # d gap / d eta = e^eta / (e^eta - 1)
        base = cst["base0"] + cum["log"] + gap
        d_em = -1.0 / c + cum["d_em"] - cst["log_mx"] - h * cst["lam_m"]
        d_eb = -1.0 / c + cum["d_eb"] - cst["log_bx"] - h * cst["lam_b"]
        d_m = (1.0 - em) / cst["mx"] - h * (em - 1.0) * cst["dlam_m"]
        d_big = -(eb + k) / cst["bx"] - h * (eb + k) * cst["dlam_b"]
        return base, d_em, d_eb, d_m, d_big, gap
    n = c + k
    em1 = np.expm1(-n * cst["lam_b"])
    decay = (1.0 + em1) / -em1  # rho^n / (1 - rho^n)
    gap = np.log(-em1)
    base = cst["base0"] + cum["log"] - np.log(n) + gap
    d_em = -cst["log_bx"] + cum["d_em"] - 1.0 / n + cst["lam_b"] * decay
    d_eb = -cst["log_bx"] - 1.0 / n + cst["lam_b"] * decay
    d_big = -n / cst["bx"] + n * decay * cst["dlam_b"]
    return base, d_em, d_eb, 0.0 * d_big, d_big, gap


def _term_counts(cst: Columns, gap0: FloatArray) -> FloatArray:
    """Terms needed per row for a relative truncation error below 1e-17.

    Term ``k`` is below ``exp(base_0 - gap_0) z^k min(1, (1 + k / grow) slope)``
    (``gap_0`` the log of the first term's ``1 - R_0`` factor, ``1 - e^-u <= u``),
    so after ``K`` terms the rest is below that at ``K`` over ``1 - z``. At
    least 3 terms are summed, so the ``d/dD`` part of the gradient (``k z^(k-1)``)
    is exact even at ``D = 0``.
    """
    z, log_z = cst["z"], cst["log_z"]
    bound = np.log(np.minimum(1.0, cst["slope"])) - gap0
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = (_LOG_TOL + np.log1p(-z) - bound) / log_z
        needed += np.log1p(np.maximum(needed, 0.0) / cst["grow"]) / -log_z
    counts = np.maximum(np.ceil(needed), 0.0) + 3.0
    return np.where(np.isfinite(counts), counts, np.inf)


def _rows_for_quadrature(counts: FloatArray) -> int:
    """How many of the rows (sorted by falling term count) to integrate numerically.

    Quadrature for the first ``j`` rows costs ``j * _QUAD_COST``; the series then
    sums ``counts[j:]`` terms in ``counts[j]`` steps. Rows above ``_MAX_TERMS``
    always go to quadrature.
    """
    ranked = np.minimum(counts, _MAX_TERMS * 10.0)
    tail = np.concatenate([np.cumsum(ranked[::-1])[::-1], [0.0]])
    steps = np.concatenate([ranked, [0.0]])
    cost = np.arange(len(ranked) + 1) * _QUAD_COST + tail + _BLOCK_COST * steps
    cost[np.concatenate([counts > _MAX_TERMS, [False]])] = np.inf
    return int(np.argmin(cost))


def _running(steps: Columns, carry: Columns, sl: slice, block: int) -> Columns:
    """Values at each ``k`` of the block from their steps; advances ``carry`` in place."""
    cum = {}
    for key, inc in steps.items():
        inc2 = np.broadcast_to(inc, (sl.stop - sl.start, block))
        running = np.cumsum(inc2, axis=1)
        cum[key] = carry[key][sl, None] + running - inc2
        carry[key][sl] += running[:, -1]
    return cum


def _sum_series(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    em: FloatArray,
    e_big: FloatArray,
    m: FloatArray,
    big_m: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
    *,
    euler: bool,
) -> tuple[FloatArray, FloatArray]:
    """Sum the terms in log space, blocks of ``k`` at a time, with the gradient of the log.

    Rows are sorted by their term count so each block works on a leading slice.
    The rows needing the most terms go to quadrature when that is cheaper.
    """
    cst = _setup(em, e_big, m, big_m, tx, big_t, euler=euler)
    zero = {"log": np.zeros_like(em), "d_em": np.zeros_like(em), "d_eb": np.zeros_like(em)}
    first = _terms(
        np.zeros(1),
        {k: v[:, None] for k, v in cst.items()},
        {k: v[:, None] for k, v in zero.items()},
        euler=euler,
    )
    counts = _term_counts(cst, first[5][:, 0])
    order = np.argsort(-counts, kind="stable")
    counts = counts[order]
    n_quad = _rows_for_quadrature(counts)
    cst = {key: value[order][:, None] for key, value in cst.items()}
    ref = first[0][:, 0][order]
    total = np.zeros(len(order))
    acc = np.zeros((5, len(order)))  # d e_m, d e_M, d m, d M, and the d/dD part
    carry = {key: value.copy() for key, value in zero.items()}
    k0 = 0
    while True:
        active = int(np.count_nonzero(counts[n_quad:] > k0))
        if active == 0:
            break
        # Size the block so that about half of the active rows finish in it.
        block = int(min(max(counts[n_quad + active // 2] - k0, 8), 256))
        sl = slice(n_quad, n_quad + active)
        part = {key: value[sl] for key, value in cst.items()}
        kk = np.arange(k0, k0 + block, dtype=np.float64)
        cum = _running(_increments(kk[None, :], part, euler=euler), carry, sl, block)
        base, d_em, d_eb, d_m, d_big, _ = _terms(kk[None, :], part, cum, euler=euler)
        lz = part["log_z"]
        weight = np.exp(base + kk * lz - ref[sl, None])
        total[sl] += weight.sum(axis=1)
        acc[0, sl] += (weight * d_em).sum(axis=1)
        acc[1, sl] += (weight * d_eb).sum(axis=1)
        acc[2, sl] += (weight * d_m).sum(axis=1)
        acc[3, sl] += (weight * d_big).sum(axis=1)
        # d/dD of k log D: k * weight / D, or k D^(k-1) written out where D == 0
        acc[4, sl] += weight @ kk
        flat = np.flatnonzero(part["z"][:, 0] == 0.0)
        if flat.size:
            shifted = base[flat] + np.maximum(kk - 1.0, 0.0) * lz[flat] - part["log_bx"][flat]
            acc[4, sl][flat] += (kk * np.exp(shifted - ref[sl][flat, None])).sum(axis=1)
        k0 += block
    with np.errstate(divide="ignore"):
        log_i = ref + np.log(total)
        grad = acc[:4] / np.where(total > 0, total, 1.0)
    d_part = acc[4] / np.where(total > 0, total, 1.0)
    spread = (cst["z"] * cst["bx"])[:, 0]  # D
    d_part = np.where(spread > 0, d_part / np.where(spread > 0, spread, 1.0), d_part)
    grad[2] -= d_part
    grad[3] += d_part
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    if n_quad:
        rows = order[:n_quad]
        log_i[:n_quad], grad[:, :n_quad] = quadrature(
            em[rows], e_big[rows], m[rows], big_m[rows], tx[rows], big_t[rows]
        )
    return log_i[inv], grad[:, inv]
