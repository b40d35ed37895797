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

* Euler form: with ``G(tau) = int_tau^inf`` of the integrand, Euler's
  transformation of ``2F1(e_m, c; c + 1; z)`` gives ::

      G(tau) = (1/c) sum_k (e_M)_k / (c + 1)_k * A_k(tau),
      A_k(tau) = D^k (M + tau)^-(e_M + k) (m + tau)^(1 - e_m),

  so ``I = (1/c) sum_k (e_M)_k / (c + 1)_k * A_k(t_x) * (1 - R_k)`` with
  ``R_k = A_k(T) / A_k(t_x) = exp(-slope - k lam_b)``, ``1 - R_k`` computed by
  ``expm1`` (exactly 0 at ``t_x == T``). For ``e_m >= 1`` every ``A_k`` falls
  with ``tau`` (``R_k < 1``); the form is also used for ``e_m < 1`` where
  ``slope`` is still clearly positive (CDNOW's ``x = 0`` rows).
* Power form (other rows with ``e_m < 1``): expanding ``(1 - z q)^-e_m`` with
  ``q = (M + t_x) / (M + tau)`` gives ::

      I = (M + t_x)^-c sum_k (e_m)_k / k! * z^k * (1 - rho^(c + k)) / (c + k),
      rho = (M + t_x) / (M + T).

Both series converge at least like ``z(t_x)^k``. The number of terms is fixed
per row in advance from that bound (relative truncation error below 1e-17);
rows with similar counts are summed together as one ``terms x rows`` array in
linear space (each term relative to the row's first factor, so nothing
overflows), and ``log I`` and its gradient with respect to
``(r + x, s + 1, alpha, beta)`` come together from analytic derivatives of
every term. :func:`log_integral_value` skips the gradient (predictions).
Rows that would need more than ``_MAX_TERMS`` terms (``z`` within about 4e-2
of 1, i.e. ``min(alpha, beta) + t_x`` a few hundredths of
``max(alpha, beta) + t_x``) are integrated numerically instead
(:mod:`retention_kpis.clv._pareto_quadrature`), in ``w = log(m + tau)``, where
the integrand is smooth and log-concave.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from retention_kpis.clv._base import FloatArray
from retention_kpis.clv._pareto_quadrature import quadrature

__all__ = ["MAX_GROUPS", "log_integral", "log_integral_grouped", "log_integral_value", "pieces"]

IndexArray = npt.NDArray[np.intp]

_LOG_TOL = math.log(1e-17)
_TINY = 1e-300
_MIN_TERMS = 8
_MAX_TERMS = 1024
"""Rows whose series needs more terms than this are integrated numerically."""
_MERGE = 4096
"""Row-terms worth one separate pass over a group of rows (numpy call overhead)."""
_CHUNK = 12288
"""Row-terms per pass (96 KiB arrays of floats)."""
"""Row-terms worth one separate pass over a group of rows (numpy call overhead)."""


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
    log_i, grad = _log_integral(e_alpha, e_beta, alpha, beta, t_x, T, gradient=True)
    return log_i, grad


def log_integral_value(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    e_alpha: FloatArray,
    e_beta: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """Return ``log I`` alone (about three times cheaper than :func:`log_integral`)."""
    return _log_integral(e_alpha, e_beta, alpha, beta, t_x, T, gradient=False)[0]


def _log_integral(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    e_alpha: FloatArray,
    e_beta: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    *,
    gradient: bool,
) -> tuple[FloatArray, FloatArray]:
    inputs = [np.asarray(v, dtype=np.float64) for v in (e_alpha, e_beta, alpha, beta, t_x, T)]
    shape = np.broadcast_shapes(*(v.shape for v in inputs))
    ea, eb, a, b, tx, big_t = (
        v.ravel() if v.shape == shape else np.full(shape, v).ravel() for v in inputs
    )
    n = len(ea)
    swap = a > b
    m, big_m = np.where(swap, b, a), np.where(swap, a, b)
    em, e_big = np.where(swap, eb, ea), np.where(swap, ea, eb)
    log_i = np.full(n, -np.inf)
    grad = np.zeros((4, n))  # d/d e_m, e_M, m, M
    rows = np.flatnonzero(big_t > tx)
    if rows.size == n:
        log_i, grad = _sum_series(em, e_big, m, big_m, tx, big_t, gradient=gradient)
    elif rows.size:
        args = (em[rows], e_big[rows], m[rows], big_m[rows], tx[rows], big_t[rows])
        log_i[rows], grad[:, rows] = _sum_series(*args, gradient=gradient)
    if gradient:
        grad = np.where(swap, grad[[1, 0, 3, 2]], grad)
    return log_i, grad


def _setup(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    em: FloatArray,
    e_big: FloatArray,
    m: FloatArray,
    big_m: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
) -> dict[str, FloatArray]:
    """Per-row constants, and each row's form (``euler``, stored as 1.0 / 0.0).

    ``slope = -log R_0`` (``-eta_0``); the Euler form is used where its terms are
    all clearly positive (always for ``e_m >= 1``), the power form elsewhere.
    """
    gap = big_t - tx
    mx, bx = m + tx, big_m + tx
    cst = {
        "em": em,
        "eb": e_big,
        "c": em + e_big - 1.0,
        "mx": mx,
        "bx": bx,
        "d": big_m - m,
        "log_mx": np.log(mx),
        "log_bx": np.log(bx),
        "lam_m": np.log1p(gap / mx),
        "lam_b": np.log1p(gap / bx),
        "dlam_m": -gap / ((m + big_t) * mx),
        "dlam_b": -gap / ((big_m + big_t) * bx),
    }
    cst["z"] = cst["d"] / bx
    base = e_big * cst["lam_b"]
    slope = base + (em - 1.0) * cst["lam_m"]
    euler = (em >= 1.0) | (slope > 0.5 * base)
    cst["euler"] = euler.astype(np.float64)
    cst["slope"] = np.where(euler, slope, cst["c"] * cst["lam_b"])
    cst["log_p0"] = np.where(
        euler,
        -np.log(cst["c"]) - e_big * cst["log_bx"] + (1.0 - em) * cst["log_mx"],
        -cst["c"] * cst["log_bx"],
    )
    return cst


def _term_counts(cst: dict[str, FloatArray]) -> FloatArray:
    """Terms needed per row for a relative truncation error below 1e-17.

    Relative to the first term, term ``k`` is below ``z^k min(1, slope + k lam_b)
    / (1 - e^-slope)`` (``1 - e^-u <= u``, and the coefficient ratios are at most
    1 in the Euler form), so after ``K`` terms the rest is below that at ``K``
    over ``1 - z``.
    """
    z, slope = cst["z"], cst["slope"]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_z = np.log(np.maximum(z, _TINY))
        bound = np.log(np.minimum(1.0, slope)) - np.log(-np.expm1(-slope))
        needed = (_LOG_TOL + np.log1p(-z) - bound) / log_z
        needed += np.log1p(np.maximum(needed, 0.0) * cst["lam_b"] / slope) / -log_z
    counts = np.maximum(np.ceil(needed), 0.0) + 3.0
    return np.where(np.isfinite(counts), counts, np.inf)


def _groups(counts: FloatArray, euler: FloatArray) -> list[tuple[IndexArray, int, bool]]:
    """Rows summed together: ``(rows, width, euler)``.

    Rows of one form whose counts fall in one octave (``(2^(j-1), 2^j]``) share a
    ``width x rows`` array, ``width`` their largest count; an octave joins the next
    when the extra terms cost less than a separate pass (``_MERGE`` row-terms).
    """
    out: list[tuple[IndexArray, int, bool]] = []
    series = counts <= _MAX_TERMS
    if series.all() and (euler.all() or not euler.any()):
        width = int(max(counts.max(), _MIN_TERMS))
        if counts.sum() >= 0.75 * width * len(counts):  # one pass wastes under a quarter
            return [(np.arange(len(counts)), width, bool(euler[0]))]
    octave = np.ceil(np.log2(np.maximum(np.where(series, counts, 1.0), _MIN_TERMS)))
    for form in (1.0, 0.0):
        chosen = series & (euler == form)
        if not chosen.any():
            continue
        pending: list[tuple[IndexArray, int]] = []
        for level in np.unique(octave[chosen]):
            members = np.flatnonzero(chosen & (octave == level))
            width = int(max(counts[members].max(), _MIN_TERMS))
            if pending and len(pending[-1][0]) * (width - pending[-1][1]) <= _MERGE:
                members = np.sort(np.concatenate([pending.pop()[0], members]))
            pending.append((members, width))
        out.extend((members, width, form == 1.0) for members, width in pending)
    return out


def _sum_series(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    em: FloatArray,
    e_big: FloatArray,
    m: FloatArray,
    big_m: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
    *,
    gradient: bool,
) -> tuple[FloatArray, FloatArray]:
    """``log I`` and its gradient for rows with ``t_x < T``, by series or quadrature."""
    cst = _setup(em, e_big, m, big_m, tx, big_t)
    counts = _term_counts(cst)
    log_i = np.empty(len(em))
    grad = np.zeros((4, len(em)))
    for members, width, euler in _groups(counts, cst["euler"]):
        # Chunks of rows keep every temporary below malloc's mmap threshold (128 KiB):
        # larger ones are mapped and unmapped on every call, and the page faults
        # cost more than the arithmetic.
        size = max(1, _CHUNK // width)
        whole = len(members) == len(em)  # members is then arange(n): slices are views
        for start in range(0, len(members), size):
            idx = slice(start, start + size) if whole else members[start : start + size]
            part = {key: value[idx] for key, value in cst.items()}
            log_i[idx], grad[:, idx] = _block(part, width, euler=euler, gradient=gradient)
    rows = np.flatnonzero(~(counts <= _MAX_TERMS))
    if rows.size:
        log_i[rows], grad[:, rows] = quadrature(
            em[rows], e_big[rows], m[rows], big_m[rows], tx[rows], big_t[rows]
        )
    return log_i, grad


def _block(
    cst: dict[str, FloatArray], width: int, *, euler: bool, gradient: bool
) -> tuple[FloatArray, FloatArray]:
    """``log I`` (and its gradient) of rows summed over ``k < width``, in linear space.

    ``I = P0 * S``; the terms of ``S`` are at most ``z^k`` times the first, so
    nothing overflows. Arrays are ``width x rows``, so running products and sums
    over ``k`` run along contiguous rows. Euler terms are
    ``(e_M)_k / (c + 1)_k z^k (1 - R_k)`` with ``log R_k = -slope - k lam_b``;
    power terms ``(e_m)_k / k! z^k (1 - rho^n) / n`` with ``n = c + k`` and
    ``log rho^n = -n lam_b``.
    """
    k = np.arange(width, dtype=np.float64)[:, None]
    lead = np.empty((width, len(cst["z"])))
    lead[0] = 1.0
    c = cst["c"]
    if euler:
        work = {"inv_ck": 1.0 / (c + 1.0 + k), "ebk": cst["eb"] + k}
        ratio = work["ebk"][:-1] * work["inv_ck"][:-1]
    else:
        work = {"emk": cst["em"] + k, "n": c + k}
        ratio = work["emk"][:-1] / (k[:-1] + 1.0)
    ratio *= cst["z"]
    # running products row by row (numpy's cumprod along axis 0 is several times slower)
    for j in range(1, width):
        np.multiply(lead[j - 1], ratio[j - 1], out=lead[j])
    e = np.expm1(-cst["slope"] - k * cst["lam_b"])  # -(1 - R_k), in (-1, 0)
    terms = lead * e
    np.negative(terms, out=terms)
    if not euler:
        terms /= work["n"]
    total = terms.sum(axis=0)
    log_i = cst["log_p0"] + np.log(total)
    if not gradient:
        return log_i, np.empty((4, len(total)))
    work.update(k=k, lead=lead, e=e, terms=terms, total=total)
    return log_i, _gradient(cst, work, euler=euler)


def _gradient(
    cst: dict[str, FloatArray], work: dict[str, FloatArray], *, euler: bool
) -> FloatArray:
    """Gradient of ``log I`` in ``(e_m, e_M, m, M)`` from the terms of :func:`_block`.

    Each is the terms' weighted mean of the derivative of their logs.
    """
    k, lead, terms, total = work["k"], work["lead"], work["terms"], work["total"]
    eb, em, c = cst["eb"], cst["em"], cst["c"]
    grad = np.empty((4, len(total)))
    # h_k = d log(1 - R_k) / d eta_k = -R_k / (1 - R_k); terms * h = -lead R_k (/ n)
    weighted_h = terms - (lead if euler else lead / work["n"])
    s_h = weighted_h.sum(axis=0) / total
    s_hk = (weighted_h * k).sum(axis=0) / total
    # sum_k w_k sum_{j<k} a_j = sum_j a_j (sum_{k>j} w_k); with a_j = 1 it is sum_k k w_k
    tail = np.empty_like(terms)
    tail[-1] = 0.0
    for j in range(len(k) - 2, -1, -1):
        np.add(tail[j + 1], terms[j + 1], out=tail[j])
    s_k = tail.sum(axis=0) / total
    # d/dD of z^k = (D / (M + t_x))^k: sum_k k w_k / D, its k = 1 term at D = 0
    flat = cst["d"] <= 0.0
    first = (eb / (c + 1.0) if euler else em / work["n"][1]) * -work["e"][1]
    d_part = np.where(flat, first / (total * cst["bx"]), s_k / np.where(flat, 1.0, cst["d"]))
    lam_m, lam_b = cst["lam_m"], cst["lam_b"]
    if euler:  # coefficients (e_M)_k / (c + 1)_k: sums of 1/(e_M + j) and 1/(c + 1 + j)
        s_a = (tail * work["inv_ck"]).sum(axis=0) / total
        s_b = (tail / work["ebk"]).sum(axis=0) / total
        inv_c = 1.0 / c
        grad[0] = -inv_c - cst["log_mx"] - s_a - lam_m * s_h
        grad[1] = -inv_c - cst["log_bx"] + s_b - s_a - lam_b * s_h
        grad[2] = (1.0 - em) / cst["mx"] - (em - 1.0) * cst["dlam_m"] * s_h
        grad[3] = -(eb + s_k) / cst["bx"] - cst["dlam_b"] * (eb * s_h + s_hk)
    else:  # coefficients (e_m)_k / k!, and 1 / n
        s_c = (tail / work["emk"]).sum(axis=0) / total
        s_inv = (terms / work["n"]).sum(axis=0) / total
        grad[0] = -cst["log_bx"] + s_c - s_inv - lam_b * s_h
        grad[1] = -cst["log_bx"] - s_inv - lam_b * s_h
        grad[2] = 0.0
        grad[3] = -(c + s_k) / cst["bx"] - cst["dlam_b"] * (c * s_h + s_hk)
    grad[2] -= d_part
    grad[3] += d_part
    return grad


# -- rows grouped by purchase count (the fit's path) ---------------------------------------

_Z_CAP = 0.35
"""Largest ``z(t_x)`` the grouped path sums (about 40 terms); larger ones go to the series."""
_OMEGA_MAX = 0.9
"""Largest ``G(T) / G(t_x)`` taken as a difference (it costs at most 10 ulps of ``G``)."""
_NEAR_LIMIT = 1.4
"""Rows with ``u max(e_m + e_M, 2) <= 1.4``, ``u = (T - t_x) / (m + t_x)``: Gauss-Legendre."""
_NEAR_NODES = 14
_BLOCK = 4096
"""Rows per piece (every temporary stays in cache)."""
MAX_GROUPS = 4096
"""More distinct purchase counts than this: the per-row series (one piece per count)."""


def pieces(bounds: IndexArray) -> list[tuple[int, int, int]]:
    """``(group, lo, hi)``: the rows of each group in runs of at most ``_BLOCK``."""
    out: list[tuple[int, int, int]] = []
    for group in range(len(bounds) - 1):
        start, stop = int(bounds[group]), int(bounds[group + 1])
        out.extend((group, lo, min(stop, lo + _BLOCK)) for lo in range(start, stop, _BLOCK))
    return out


def log_integral_grouped(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    e_alpha: FloatArray,
    bounds: IndexArray,
    e_beta: float,
    alpha: float,
    beta: float,
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """:func:`log_integral` for rows grouped by ``e_alpha`` (scalar ``e_beta, alpha, beta``).

    Rows ``bounds[g]:bounds[g + 1]`` share ``e_alpha[g]`` (the fit sorts its rows by
    purchase count once). With ``G(tau) = int_tau^inf`` of the integrand (the Euler form
    of the module docstring), ::

        G(tau) = (M + tau)^-e_M (m + tau)^(1 - e_m) F(z(tau)) / c,
        F(z) = sum_k (e_M)_k / (c + 1)_k z^k,

    a power series whose coefficients depend on the group only. ``F`` and its
    derivatives in ``e_M``, ``c`` and ``z`` are one ``4 x K`` coefficient matrix per
    group times the powers of ``z`` (a matrix product). The coefficients of ``F`` are
    at most 1 and fall (ratio ``(e_M + k) / (c + 1 + k) < 1``), so the terms from ``K``
    on are below ``z^K / (1 - z)`` of ``F >= 1``; ``K`` makes that below ``5e-19`` at
    the largest ``z(t_x) <= 0.35`` of the data. Then ``I = G(t_x) (1 - omega)``,
    ``omega = G(T) / G(t_x)``, where ``omega <= 0.9`` (relative error at most ten
    times that of ``G``). Rows with ``t_x`` nearer ``T`` are integrated by 14-point
    Gauss-Legendre where ``u max(e_m + e_M, 2) <= 1.4``, ``u = (T - t_x) / (m + t_x)``:
    the integrand is analytic inside the Bernstein ellipse of ``[t_x, T]`` with
    ``rho + 1/rho = 2 + 4 / 1.4`` (``rho > 4.6``, the ellipse keeps ``m + tau`` above
    ``(m + t_x) (1 - 1/max(e_m + e_M, 2))``), where it is at most ``4 e^1.4`` times its
    smallest value on ``[t_x, T]``, so the rule's relative error is below
    ``(128/15) 4 e^1.4 rho^-28 / (rho^2 - 1) < 1e-18`` (Trefethen, *Approximation
    Theory and Approximation Practice*, theorem 19.3). Rows in neither case (``z``
    near 1) take the per-row series of :func:`log_integral`.
    """
    n = len(t_x)
    if n == 0:
        return np.empty(0), np.empty((4, 0))
    values = np.asarray(e_alpha, dtype=np.float64)
    swap = alpha > beta
    m, big_m = (beta, alpha) if swap else (alpha, beta)
    d = big_m - m
    e_fixed = np.full(len(values), float(e_beta))
    em_g, eb_g = (e_fixed, values) if swap else (values, e_fixed)
    # z(t_x) is largest at the smallest t_x: K from the largest z <= _Z_CAP
    z_top = 0.0
    if d > 0.0:
        z_top = d / (big_m + float(t_x.min()))
        if z_top > _Z_CAP:
            z_all = d / (big_m + t_x)
            z_top = float(z_all[z_all <= _Z_CAP].max(initial=0.0))
    terms = 1
    if z_top > 0.0:
        terms = max(2, math.ceil((math.log(5e-19) + math.log1p(-z_top)) / math.log(z_top)) + 1)
    coef = _coefficients(em_g, eb_g, terms)
    log_i = np.empty(n)
    grad = np.empty((4, n))
    far = np.empty(n, dtype=bool)
    for group, lo, hi in pieces(bounds):
        log_i[lo:hi], grad[:, lo:hi], far[lo:hi] = _piece(
            coef[group],
            float(em_g[group]),
            float(eb_g[group]),
            (m, big_m),
            t_x[lo:hi],
            T[lo:hi],
        )
    rows = np.flatnonzero(~far)
    if rows.size:
        sizes = np.diff(bounds)
        em, eb = np.repeat(em_g, sizes)[rows], np.repeat(eb_g, sizes)[rows]
        log_i[rows], grad[:, rows] = _rest(em, eb, m, big_m, t_x[rows], T[rows])
    if swap:
        grad = grad[[1, 0, 3, 2]]
    return log_i, grad


def _piece(  # noqa: PLR0917 - the integral's arguments, in the paper's order
    coef: FloatArray,
    em: float,
    eb: float,
    scales: tuple[float, float],
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """``log I``, its gradient in ``(e_m, e_M, m, M)`` and where they hold, for rows of one count.

    Rows where ``omega > 0.9`` or ``z(t_x) > 0.35`` are marked False (their values are not used).
    """
    m, big_m = scales
    d, c = big_m - m, em + eb - 1.0
    width = len(t_x)
    gap = T - t_x
    mx, bx = m + t_x, big_m + t_x
    mt, bt = m + T, big_m + T
    powers = np.empty((coef.shape[1], 2 * width))
    powers[0] = 1.0
    if len(powers) > 1:
        np.divide(d, bx, out=powers[1, :width])
        np.divide(d, bt, out=powers[1, width:])
        for j in range(2, len(powers)):
            np.multiply(powers[j - 1], powers[1], out=powers[j])
    poly = coef @ powers
    at_x, at_t = poly[:, :width], poly[:, width:]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lam_m, lam_b = np.log1p(gap / mx), np.log1p(gap / bx)
        log_fx = np.log(at_x[0])
        log_omega = np.log(at_t[0]) - log_fx - (eb * lam_b + (em - 1.0) * lam_m)
        one_less = -np.expm1(log_omega)  # 1 - omega
        log_mx, log_bx = np.log(mx), np.log(bx)
        log_i = log_fx - eb * log_bx + (1.0 - em) * log_mx - math.log(c) + np.log(one_less)
        # d log I = d log G(t_x) + q (d log G(t_x) - d log G(T)), q = omega / (1 - omega)
        q = (1.0 - one_less) / one_less
        ratio_x, ratio_t = at_x[1:] / at_x[0], at_t[1:] / at_t[0]
        f_cx, f_ct = ratio_x[1], ratio_t[1]
        f_ex, f_et = ratio_x[0] + f_cx, ratio_t[0] + f_ct
        dm_x = (1.0 - em) / mx - ratio_x[2] / bx
        dm_t = (1.0 - em) / mt - ratio_t[2] / bt
        db_x = (ratio_x[2] * mx / bx - eb) / bx
        db_t = (ratio_t[2] * mt / bt - eb) / bt
        grad = np.stack(
            [
                f_cx - log_mx + q * (f_cx - f_ct + lam_m),
                f_ex - log_bx + q * (f_ex - f_et + lam_b),
                dm_x + q * (dm_x - dm_t),
                db_x + q * (db_x - db_t),
            ]
        )
    grad[:2] -= 1.0 / c
    far = log_omega <= math.log(_OMEGA_MAX)
    if len(powers) > 1:
        far &= powers[1, :width] <= _Z_CAP
    elif d > 0.0:  # no z(t_x) of these rows is summed
        far[:] = False
    return log_i, grad, far


def _rest(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    em: FloatArray,
    eb: FloatArray,
    m: float,
    big_m: float,
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Rows the grouped sums do not take: Gauss-Legendre near ``T``, else the series."""
    log_i, grad = np.full(len(em), -np.inf), np.zeros((4, len(em)))
    gap = T - t_x
    mx, bx = m + t_x, big_m + t_x
    live = gap > 0
    near = live & (gap / mx * np.maximum(em + eb, 2.0) <= _NEAR_LIMIT)
    rows = np.flatnonzero(near)
    if rows.size:
        log_i[rows], grad[:, rows] = _gauss_legendre(
            em[rows], eb[rows], mx[rows], bx[rows], gap[rows]
        )
    rows = np.flatnonzero(live & ~near)
    if rows.size:
        log_i[rows], grad[:, rows] = _sum_series(
            em[rows],
            eb[rows],
            np.full(rows.size, m),
            np.full(rows.size, big_m),
            t_x[rows],
            T[rows],
            gradient=True,
        )
    return log_i, grad


def _coefficients(em: FloatArray, eb: FloatArray, terms: int) -> FloatArray:
    """Per group, the coefficients of ``F``, ``dF/de_M``, ``dF/dc`` and ``dF/dz``: ``G x 4 x K``.

    ``b_k = (e_M)_k / (c + 1)_k``; ``db_k/de_M = b_k sum_{j<k} 1/(e_M + j)``,
    ``db_k/dc = -b_k sum_{j<k} 1/(c + 1 + j)``; ``dF/dz`` has ``(k + 1) b_(k+1)``.
    """
    k = np.arange(terms + 1, dtype=np.float64)
    c = em + eb - 1.0
    up = 1.0 / (eb[:, None] + k[None, :-1])
    down = 1.0 / (c[:, None] + 1.0 + k[None, :-1])
    b = np.ones((len(em), terms + 1))
    np.cumprod((eb[:, None] + k[None, :-1]) * down, axis=1, out=b[:, 1:])
    sum_up = np.zeros((len(em), terms))
    sum_down = np.zeros((len(em), terms))
    np.cumsum(up[:, :-1], axis=1, out=sum_up[:, 1:])
    np.cumsum(down[:, :-1], axis=1, out=sum_down[:, 1:])
    coef = np.empty((len(em), 4, terms))
    coef[:, 0] = b[:, :-1]
    coef[:, 1] = b[:, :-1] * sum_up
    coef[:, 2] = -b[:, :-1] * sum_down
    coef[:, 3] = k[1:] * b[:, 1:]
    return coef


def _gauss_legendre(
    em: FloatArray, eb: FloatArray, mx: FloatArray, bx: FloatArray, gap: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``log I`` and its gradient in ``(e_m, e_M, m, M)`` by Gauss-Legendre on ``[t_x, T]``.

    The integrand relative to its value at ``t_x`` is ``exp(-e_m q_m - e_M q_M)``,
    ``q = log1p((tau - t_x) / (m + t_x))`` (and with ``M``): no overflow, no cancellation.
    """
    nodes, weights = np.polynomial.legendre.leggauss(_NEAR_NODES)
    step = gap[:, None] * ((1.0 + nodes) / 2.0)[None, :]
    q_m = np.log1p(step / mx[:, None])
    q_b = np.log1p(step / bx[:, None])
    f = np.exp(-em[:, None] * q_m - eb[:, None] * q_b) * (weights / 2.0)[None, :]
    total = f.sum(axis=1)
    log_mx, log_bx = np.log(mx), np.log(bx)
    log_i = -em * log_mx - eb * log_bx + np.log(gap * total)
    grad = np.stack(
        [
            -log_mx - (f * q_m).sum(axis=1) / total,
            -log_bx - (f * q_b).sum(axis=1) / total,
            -em * (f / (mx[:, None] + step)).sum(axis=1) / total,
            -eb * (f / (bx[:, None] + step)).sum(axis=1) / total,
        ]
    )
    return log_i, grad
