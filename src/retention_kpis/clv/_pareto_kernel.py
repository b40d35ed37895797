"""Compiled per-row Pareto/NBD likelihood with per-customer ``alpha_i`` and ``beta_i`` (numba).

Imported only when a fit runs on the numba engine (:mod:`retention_kpis._core.jit`):
``import retention_kpis`` and the numpy engine never import numba.

:func:`pareto_rows` is :class:`~retention_kpis.clv._pareto_covariates.ParetoRows`'s
likelihood in one pass over the customers: for each row, ``log I`` and its gradient
from the positive-term series of :mod:`retention_kpis.clv._pareto_integral` (the
same per-row setup, form choice and term count, summed term by term in a loop
instead of ``terms x rows`` arrays), then the row's log-likelihood and its
log-space gradients, accumulated into the total and four gradient arrays without
per-row temporaries. Two things differ in how the sums are formed, not in what is
summed:

* ``1 - R_k = 1 - exp(-slope - k lam_b)`` comes from the recursion
  ``1 - R_k = (1 - R_(k-1)) + R_(k-1) (1 - q)``, ``R_k = R_(k-1) q``, ``q = e^-lam_b``
  (sums of positive numbers, no cancellation) instead of one ``expm1`` per term;
* the sums over the tail ``sum_k tail_k a_k`` (``tail_k = sum_(j>k) t_j``) are
  formed forwards as ``sum_j t_j sum_(k<j) a_k``.

Rows whose series would need more than ``_MAX_TERMS`` terms are marked, and the
wrapper takes them through the numpy quadrature path, exactly as the numpy engine
does. numba's functions are untyped: the typed wrapper below is the only entry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from retention_kpis._core.jit import compile_kernel
from retention_kpis.clv._base import FloatArray
from retention_kpis.clv._pareto_integral import log_integral

__all__ = ["log_integral_rows", "pareto_rows"]

IndexArray = npt.NDArray[np.intp]
_F = TypeVar("_F", bound=Callable[..., object])


def _njit(func: _F) -> _F:
    """Compile ``func`` with numba (disk cache, serial, no fastmath), keeping its signature."""
    return compile_kernel(func, nogil=True)


_LOG_TOL = math.log(1e-17)
_TINY = 1e-300
_MIN_TERMS = 8
_MAX_TERMS = 1024
_TOL = 1e-17
_Z_COUNTED = 0.9
"""Rows with ``z`` above this take the numpy engine's term count (at most about 700 terms below)."""


@_njit
def _term_width(z: float, slope: float, one_less0: float, lam_b: float) -> int:
    """Return the most terms a row's sums may take (``-1``: the row goes to quadrature).

    ``_MAX_TERMS`` for ``z <= _Z_COUNTED`` (the sums stop on their own bound); above it the
    term count of ``_pareto_integral._term_counts``, so that the same rows as on the numpy
    engine go to quadrature (those needing more than ``_MAX_TERMS`` terms).
    """
    if z <= _Z_COUNTED:
        return _MAX_TERMS
    log_z = math.log(z)
    bound = math.log(min(1.0, slope)) - math.log(one_less0)
    needed = (_LOG_TOL + math.log1p(-z) - bound) / log_z
    needed += math.log1p(max(needed, 0.0) * lam_b / slope) / -log_z
    if not math.isfinite(needed):
        return -1
    count = max(float(math.ceil(needed)), 0.0) + 3.0
    if count > _MAX_TERMS:
        return -1
    return max(int(count), _MIN_TERMS)


@_njit
def _series_form(  # noqa: PLR0917 - the row's exponents, rates and z
    em: float, e_big: float, c: float, lam_m: float, lam_b: float, z: float
) -> tuple[bool, float, int]:
    """Return ``(euler, 1 - R_0, width)``: one row's series, as the numpy code picks it.

    The Euler form where ``e_m >= 1`` or its slope is clearly positive, else the power
    form; ``width`` from :func:`_term_width`, ``-1`` where the row goes to quadrature (or
    the series cannot be used). The value and the Hessian kernels both call this, so
    they always sum the same series.
    """
    base = e_big * lam_b
    slope = base + (em - 1.0) * lam_m
    euler = em >= 1.0 or slope > 0.5 * base
    if not euler:
        slope = c * lam_b
    one_less0 = -math.expm1(-slope)
    if not (slope > 0.0 and one_less0 > 0.0 and z < 1.0):
        return euler, one_less0, -1
    return euler, one_less0, _term_width(z, slope, one_less0, lam_b)


@_njit
def _log_integral_row(  # noqa: C901, PLR0912, PLR0915, PLR0917 - one row's series
    ea: float, eb_: float, a: float, b: float, tx: float, big_t: float, grad: FloatArray
) -> tuple[float, bool]:
    """``log I`` of one row (``t_x < T``) and its gradient in ``(e_alpha, e_beta, alpha, beta)``.

    Writes the gradient into ``grad`` (length 4); returns ``(log I, True)``, or
    ``(nan, False)`` when the series needs more than ``_MAX_TERMS`` terms.
    """
    swap = a > b
    if swap:
        m, big_m, em, e_big = b, a, eb_, ea
    else:
        m, big_m, em, e_big = a, b, ea, eb_
    gap = big_t - tx
    mx = m + tx
    bx = big_m + tx
    c = em + e_big - 1.0
    d = big_m - m
    log_mx = math.log(mx)
    log_bx = math.log(bx)
    lam_m = math.log1p(gap / mx)
    lam_b = math.log1p(gap / bx)
    dlam_m = -gap / ((m + big_t) * mx)
    dlam_b = -gap / ((big_m + big_t) * bx)
    z = d / bx
    euler, one_less0, width = _series_form(em, e_big, c, lam_m, lam_b, z)
    if width < 0:
        return math.nan, False
    log_p0 = -math.log(c) - e_big * log_bx + (1.0 - em) * log_mx if euler else -c * log_bx
    # Below _Z_COUNTED the sums stop once what is left of them is below 1e-17 of them. The
    # coefficient ratios are at most 1 (e_m < 1 in the power form), 1 - R_j <= 1 - R_k +
    # (j - k)(1 - q) and R_j <= R_k, so the terms j > k sum to less than
    # lead_k z/(1-z) min(1, 1 - R_k + (1-q)/(1-z)) (/ n_k), and weighted by j to less than
    # that times (k + 1/(1-z)); the other gradient sums weigh term j by at most j times
    # what they weigh the terms before it, so the j-weighted sums bound them.
    z_rest = z / (1.0 - z)
    inv_1mz = 1.0 / (1.0 - z)
    q = bx / (big_m + big_t)  # e^-lam_b
    one_q = gap / (big_m + big_t)  # 1 - e^-lam_b
    q_rest = one_q / (1.0 - z)
    big_r = 1.0 - one_less0  # R_k (an absolute error of 1e-16 is all it may have)
    one_r = one_less0  # 1 - R_k
    lead = 1.0
    total = 0.0
    sum_h = 0.0
    sum_hk = 0.0
    sum_k = 0.0
    sum_a = 0.0  # Euler: sum_j t_j sum_{k<j} 1/(c+1+k); power: sum_j t_j sum_{k<j} 1/(e_m+k)
    sum_b = 0.0  # Euler: sum_j t_j sum_{k<j} 1/(e_M+k); power: sum_j t_j / n_j
    pre_a = 0.0
    pre_b = 0.0
    first = 0.0
    if euler:
        inv_ck = 1.0 / (c + 1.0)  # 1 / (c + 1 + k)
        for k in range(width):
            kf = float(k)
            if k > 0:
                lead *= (e_big + kf - 1.0) * inv_ck * z
                one_r += big_r * one_q
                big_r *= q
                inv_ck = 1.0 / (c + 1.0 + kf)
            term = lead * one_r
            weighted_h = term - lead
            if k == 1:
                first = one_r
            total += term
            sum_h += weighted_h
            sum_hk += weighted_h * kf
            sum_k += term * kf
            sum_a += term * pre_a
            sum_b += term * pre_b
            pre_a += inv_ck
            pre_b += 1.0 / (e_big + kf)
            rest = lead * z_rest * (kf + inv_1mz)
            if (
                k >= 1
                and rest * min(1.0, one_r + q_rest) <= _TOL * sum_k
                and rest * big_r <= -_TOL * sum_hk
            ):
                break
    else:
        for k in range(width):
            kf = float(k)
            if k > 0:
                lead *= (em + kf - 1.0) / kf * z
                one_r += big_r * one_q
                big_r *= q
            inv_n = 1.0 / (c + kf)
            term = lead * one_r * inv_n
            weighted_h = term - lead * inv_n
            if k == 1:
                first = one_r
            total += term
            sum_h += weighted_h
            sum_hk += weighted_h * kf
            sum_k += term * kf
            sum_a += term * pre_a
            sum_b += term * inv_n
            pre_a += 1.0 / (em + kf)
            rest = lead * inv_n * z_rest * (kf + inv_1mz)
            if (
                k >= 1
                and rest * min(1.0, one_r + q_rest) <= _TOL * sum_k
                and rest * big_r <= -_TOL * sum_hk
            ):
                break
    log_i = log_p0 + math.log(total)
    s_h = sum_h / total
    s_hk = sum_hk / total
    s_k = sum_k / total
    if d <= 0.0:
        lead1 = e_big / (c + 1.0) if euler else em / (c + 1.0)
        d_part = lead1 * first / (total * bx)
    else:
        d_part = s_k / d
    if euler:
        s_a = sum_a / total
        s_b = sum_b / total
        inv_c = 1.0 / c
        g0 = -inv_c - log_mx - s_a - lam_m * s_h
        g1 = -inv_c - log_bx + s_b - s_a - lam_b * s_h
        g2 = (1.0 - em) / mx - (em - 1.0) * dlam_m * s_h
        g3 = -(e_big + s_k) / bx - dlam_b * (e_big * s_h + s_hk)
    else:
        s_c = sum_a / total
        s_inv = sum_b / total
        g0 = -log_bx + s_c - s_inv - lam_b * s_h
        g1 = -log_bx - s_inv - lam_b * s_h
        g2 = 0.0
        g3 = -(c + s_k) / bx - dlam_b * (c * s_h + s_hk)
    g2 -= d_part
    g3 += d_part
    if swap:
        grad[0], grad[1], grad[2], grad[3] = g1, g0, g3, g2
    else:
        grad[0], grad[1], grad[2], grad[3] = g0, g1, g2, g3
    return log_i, True


@_njit
def _row(  # noqa: PLR0917 - one customer's terms
    r: float,
    s: float,
    log_s: float,
    x: float,
    a: float,
    b: float,
    big_t: float,
    weight: float,
    lg: float,
    dg: float,
    log_i: float,
    gi: FloatArray,
    out: FloatArray,
    i: int,
) -> float:
    """Write customer ``i``'s weighted log-space gradients into ``out``; return ``w l_i``.

    ``log_i = -inf`` (``t_x == T``) gives the "alive" term alone, as ``np.logaddexp``.
    """
    # log(alpha + T) itself, not log(alpha + t_x) + lam: with x in the thousands, an ulp
    # more in it moves the shares of the two terms by (r + x) ulps
    log_at = math.log(a + big_t)
    log_bt = math.log(b + big_t)
    alive = -(r + x) * log_at - s * log_bt
    died = log_s + log_i
    # mix = log(e^alive + e^died) and the two shares, from one exponential
    if died == -math.inf:
        mix, w_alive, w_died = alive, 1.0, 0.0
    elif alive >= died:
        e = math.exp(died - alive)
        mix, w_alive = alive + math.log1p(e), 1.0 / (1.0 + e)
        w_died = e * w_alive
    else:
        e = math.exp(alive - died)
        mix, w_died = died + math.log1p(e), 1.0 / (1.0 + e)
        w_alive = e * w_died
    log_alpha = math.log(a)
    log_beta = math.log(b)
    row = lg + r * log_alpha + s * log_beta + mix
    out[0, i] = weight * r * (dg + log_alpha - w_alive * log_at + w_died * gi[0])
    out[1, i] = weight * (r - a * (w_alive * (r + x) / (a + big_t) - w_died * gi[2]))
    out[2, i] = weight * s * (log_beta - w_alive * log_bt + w_died * (1.0 / s + gi[1]))
    out[3, i] = weight * (s - b * (w_alive * s / (b + big_t) - w_died * gi[3]))
    return weight * row


@_njit
def _add(total: float, carry: float, value: float) -> tuple[float, float]:
    """Neumaier's compensated sum: the total's rounding error stays near one ulp of it.

    A plain running sum over a million rows drifts by ~1e-13 of the total, which is
    above the 1e-15 the Newton steps' line search takes as "no worse".
    """
    new = total + value
    if abs(total) >= abs(value):
        carry += (total - new) + value
    else:
        carry += (value - new) + total
    return new, carry


@_njit
def _rows(  # noqa: PLR0917 - the likelihood's data and parameters
    r: float,
    s: float,
    x: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    weights: FloatArray,
    lg_u: FloatArray,
    dg_u: FloatArray,
    x_index: IndexArray,
    out: FloatArray,
    pending: IndexArray,
) -> tuple[float, int]:
    """Total of the rows the series takes; the others' indices go to ``pending``."""
    n = len(x)
    scalar_a = len(alpha) == 1
    scalar_b = len(beta) == 1
    gi = np.zeros(4)
    log_s = math.log(s)
    total = 0.0
    carry = 0.0
    left = 0
    for i in range(n):
        a = alpha[0] if scalar_a else alpha[i]
        b = beta[0] if scalar_b else beta[i]
        xi = x[i]
        if big_t[i] > t_x[i]:
            log_i, ok = _log_integral_row(r + xi, s + 1.0, a, b, t_x[i], big_t[i], gi)
            if not ok:
                pending[left] = i
                left += 1
                continue
        else:
            log_i = -math.inf
            gi[:] = 0.0
        j = x_index[i]
        value = _row(
            r, s, log_s, xi, a, b, big_t[i], weights[i], lg_u[j], dg_u[j], log_i, gi, out, i
        )
        total, carry = _add(total, carry, value)
    return total + carry, left


@_njit
def _given(  # noqa: PLR0917 - the likelihood's data and parameters
    r: float,
    s: float,
    rows: IndexArray,
    x: FloatArray,
    big_t: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    weights: FloatArray,
    lg_u: FloatArray,
    dg_u: FloatArray,
    x_index: IndexArray,
    log_i: FloatArray,
    grad_i: FloatArray,
    out: FloatArray,
) -> float:
    """:func:`_row` for ``rows`` with ``log I`` and its gradient computed elsewhere."""
    scalar_a = len(alpha) == 1
    scalar_b = len(beta) == 1
    gi = np.zeros(4)
    log_s = math.log(s)
    total = 0.0
    carry = 0.0
    for p in range(len(rows)):
        i = rows[p]
        for j in range(4):
            gi[j] = grad_i[j, p]
        a = alpha[0] if scalar_a else alpha[i]
        b = beta[0] if scalar_b else beta[i]
        u = x_index[i]
        value = _row(
            r, s, log_s, x[i], a, b, big_t[i], weights[i], lg_u[u], dg_u[u], log_i[p], gi, out, i
        )
        total, carry = _add(total, carry, value)
    return total + carry


@_njit
def _integral_rows(  # noqa: PLR0917 - the integral's six arguments and the outputs
    ea: FloatArray,
    eb: FloatArray,
    a: FloatArray,
    b: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    log_i: FloatArray,
    grad: FloatArray,
    pending: IndexArray,
) -> int:
    gi = np.zeros(4)
    left = 0
    for i in range(len(ea)):
        if big_t[i] > t_x[i]:
            value, ok = _log_integral_row(ea[i], eb[i], a[i], b[i], t_x[i], big_t[i], gi)
            if not ok:
                pending[left] = i
                left += 1
                continue
            log_i[i] = value
            grad[:, i] = gi
        else:
            log_i[i] = -math.inf
            grad[:, i] = 0.0
    return left


def log_integral_rows(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    e_alpha: FloatArray,
    e_beta: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """:func:`~retention_kpis.clv._pareto_integral.log_integral` by the kernel's per-row series.

    Rows the series does not take go through the numpy function (quadrature).
    """
    args = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (e_alpha, e_beta, alpha, beta, t_x, T))
    )
    ea, eb, a, b, tx, big_t = (np.ascontiguousarray(v.ravel()) for v in args)
    n = len(ea)
    log_i, grad = np.empty(n), np.empty((4, n))
    pending = np.empty(n, dtype=np.intp)
    left = int(_integral_rows(ea, eb, a, b, tx, big_t, log_i, grad, pending))
    if left:
        rows = pending[:left]
        log_i[rows], grad[:, rows] = log_integral(
            ea[rows], eb[rows], a[rows], b[rows], tx[rows], big_t[rows]
        )
    return log_i, grad


def pareto_rows(  # noqa: PLR0917 - the likelihood's data and parameters
    r: float,
    s: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    weights: FloatArray,
    lg_u: FloatArray,
    dg_u: FloatArray,
    x_index: npt.NDArray[np.intp],
) -> tuple[float, list[FloatArray]]:
    """Return the weighted log-likelihood and per-row log-space gradients ``(r, alpha, s, beta)``.

    ``lg_u``, ``dg_u``: ``log G(r + x) - log G(r)`` and ``psi(r + x) - psi(r)`` per
    distinct ``x`` (``x_index`` maps rows to them). ``alpha`` and ``beta`` have one
    value per row or one in all.
    """
    n = len(x)
    out = np.empty((4, n))
    pending = np.empty(n, dtype=np.intp)
    alpha_c = np.ascontiguousarray(alpha, dtype=np.float64)
    beta_c = np.ascontiguousarray(beta, dtype=np.float64)
    total, left = _rows(
        r, s, x, t_x, T, alpha_c, beta_c, weights, lg_u, dg_u, x_index, out, pending
    )
    if left:
        rows = pending[:left]
        a = alpha_c if len(alpha_c) == 1 else alpha_c[rows]
        b = beta_c if len(beta_c) == 1 else beta_c[rows]
        e_beta = np.full(1, s + 1.0)
        log_i, grad_i = log_integral(r + x[rows], e_beta, a, b, t_x[rows], T[rows])
        total += _given(
            r,
            s,
            rows,
            x,
            T,
            alpha_c,
            beta_c,
            weights,
            lg_u,
            dg_u,
            x_index,
            log_i,
            np.ascontiguousarray(grad_i),
            out,
        )
    return float(total), [out[0], out[1], out[2], out[3]]


# -- second derivatives (the Newton steps and the standard errors) -------------------------


@_njit
def _log_integral_row_hessian(  # noqa: C901, PLR0912, PLR0915, PLR0917 - one row's series
    ea: float,
    eb_: float,
    a: float,
    b: float,
    tx: float,
    big_t: float,
    grad: FloatArray,
    hess: FloatArray,
) -> tuple[float, bool]:
    """Hessian of ``log I`` in ``(e_alpha, e_beta, alpha, beta)`` for one row with ``t_x < T``.

    ``log I = log P0 + log S``, ``S = sum_k t_k``, ``L_k = log t_k``: the Hessian of
    ``log S`` is ``E_w[grad^2 L_k] + Cov_w[grad L_k]`` with weights ``t_k / S``. The
    ``k log(M - m)`` part of ``L_k`` is kept apart (``t_k k / D`` and ``t_k k (k-1) / D^2``
    stay finite as ``D = M - m`` goes to 0, and are 0 or the first terms' limit at
    ``D = 0``). Writes the gradient into ``grad`` and the Hessian into ``hess`` (4 x 4) and
    returns ``(log I, True)``; ``(nan, False)`` where the series is not used (quadrature
    rows).
    """
    swap = a > b
    if swap:
        m, big_m, em, e_big = b, a, eb_, ea
    else:
        m, big_m, em, e_big = a, b, ea, eb_
    gap = big_t - tx
    mx = m + tx
    bx = big_m + tx
    c = em + e_big - 1.0
    d = big_m - m
    lam_m = math.log1p(gap / mx)
    lam_b = math.log1p(gap / bx)
    dlam_m = -gap / ((m + big_t) * mx)
    dlam_b = -gap / ((big_m + big_t) * bx)
    d2lam_m = gap * (2.0 * m + big_t + tx) / ((m + big_t) ** 2 * mx * mx)
    d2lam_b = gap * (2.0 * big_m + big_t + tx) / ((big_m + big_t) ** 2 * bx * bx)
    z = d / bx
    zp = 1.0 / bx
    euler, one_less0, width = _series_form(em, e_big, c, lam_m, lam_b, z)
    if width < 0:
        return math.nan, False
    z_rest = z / (1.0 - z)
    inv_1mz = 1.0 / (1.0 - z)
    q = bx / (big_m + big_t)
    one_q = gap / (big_m + big_t)
    big_r = 1.0 - one_less0
    one_r = one_less0
    # scalars in the loop (registers): g_k = grad L_k without the k log D part, order
    # (e_m, e_M, m, M); sg = sum t_k g_k, skg = sum (t_k k / D) g_k, hIJ = sum t_k (H_k + g g')
    sg0 = sg1 = sg2 = sg3 = 0.0
    skg0 = skg1 = skg2 = skg3 = 0.0
    h00 = h01 = h02 = h03 = h11 = h12 = h13 = h22 = h23 = h33 = 0.0
    total = 0.0
    sum_kd = 0.0  # sum t_k k / D
    sum_kkd = 0.0  # sum t_k k (k - 1) / D^2
    sum_kk = 0.0  # sum t_k k^2 (the stopping rule)
    pre_1 = 0.0  # Euler: sum_{j<k} 1/(c+1+j); power: sum_{j<k} 1/(e_m+j)
    pre_2 = 0.0  # Euler: sum_{j<k} 1/(e_M+j); power: unused
    pre_11 = 0.0  # squares of the same
    pre_22 = 0.0
    coef = 1.0  # the coefficient of z^k in the term
    lead2 = 0.0
    for k in range(width):
        kf = float(k)
        if k > 0:
            if euler:
                coef *= (e_big + kf - 1.0) / (c + kf)
            else:
                coef *= (em + kf - 1.0) / kf
            one_r += big_r * one_q
            big_r *= q
        # t_k = coef z^k E_k (/ n_k); t_k / D and t_k / D^2 without dividing by D:
        # lead2 = coef zp^k D^(k-2) from k = 2 on, by running products
        if k == 0:
            t0 = 1.0
            t1 = 0.0
            t2 = 0.0
        elif k == 1:
            t1 = coef * zp
            t0 = t1 * d
            t2 = 0.0
        else:
            if k == 2:
                lead2 = coef * zp * zp
            elif euler:
                lead2 *= (e_big + kf - 1.0) / (c + kf) * z
            else:
                lead2 *= (em + kf - 1.0) / kf * z
            t2 = lead2
            t1 = t2 * d
            t0 = t1 * d
        lead = t0
        e_k = one_r
        if euler:
            n_inv = 1.0
            eta_em, eta_eb = lam_m, lam_b
            eta_m, eta_bm = (em - 1.0) * dlam_m, (e_big + kf) * dlam_b
        else:
            n_inv = 1.0 / (c + kf)
            eta_em, eta_eb = lam_b, lam_b
            eta_m, eta_bm = 0.0, (c + kf) * dlam_b
        scale = e_k * n_inv
        t0 *= scale
        t1 *= scale
        t2 *= scale
        rho = big_r / one_r  # R_k / (1 - R_k)
        curv = rho * (1.0 + rho)
        if euler:
            g0 = -pre_1 + rho * eta_em
            g1 = pre_2 - pre_1 + rho * eta_eb
        else:
            g0 = pre_1 - n_inv + rho * eta_em
            g1 = -n_inv + rho * eta_eb
        g2 = rho * eta_m
        g3 = -kf * zp + rho * eta_bm
        # H_k without the k log D part: coefficients, -k log bx, log E_k
        tc = t0 * curv
        h00 += t0 * g0 * g0 - tc * eta_em * eta_em
        h01 += t0 * g0 * g1 - tc * eta_em * eta_eb
        h02 += t0 * g0 * g2 - tc * eta_em * eta_m
        h03 += t0 * g0 * g3 - tc * eta_em * eta_bm
        h11 += t0 * g1 * g1 - tc * eta_eb * eta_eb
        h12 += t0 * g1 * g2 - tc * eta_eb * eta_m
        h13 += t0 * g1 * g3 - tc * eta_eb * eta_bm
        h22 += t0 * g2 * g2 - tc * eta_m * eta_m
        h23 += t0 * g2 * g3 - tc * eta_m * eta_bm
        h33 += t0 * g3 * g3 - tc * eta_bm * eta_bm
        if euler:
            h00 += t0 * pre_11
            h01 += t0 * pre_11
            h11 += t0 * (pre_11 - pre_22)
            h02 += t0 * rho * dlam_m
            h13 += t0 * rho * dlam_b
            h22 += t0 * rho * (em - 1.0) * d2lam_m
            h33 += t0 * rho * (e_big + kf) * d2lam_b
        else:
            nn = n_inv * n_inv
            h00 += t0 * (nn - pre_11)
            h01 += t0 * nn
            h11 += t0 * nn
            h03 += t0 * rho * dlam_b
            h13 += t0 * rho * dlam_b
            h33 += t0 * rho * (c + kf) * d2lam_b
        h33 += t0 * kf * zp * zp
        tk1 = kf * t1
        sg0 += t0 * g0
        sg1 += t0 * g1
        sg2 += t0 * g2
        sg3 += t0 * g3
        skg0 += tk1 * g0
        skg1 += tk1 * g1
        skg2 += tk1 * g2
        skg3 += tk1 * g3
        total += t0
        sum_kd += kf * t1
        sum_kkd += kf * (kf - 1.0) * t2
        sum_kk += kf * kf * t0
        if euler:
            inv = 1.0 / (c + 1.0 + kf)
            pre_1 += inv
            pre_11 += inv * inv
            inv2 = 1.0 / (e_big + kf)
            pre_2 += inv2
            pre_22 += inv2 * inv2
        else:
            inv = 1.0 / (em + kf)
            pre_1 += inv
            pre_11 += inv * inv
        # what is left, weighted by up to k^2 (as in _log_integral_row, one power of k more)
        rest = lead * n_inv * z_rest * (kf + inv_1mz) ** 2
        if (
            k >= 2
            and rest <= _TOL * sum_kk
            and rest <= _TOL * sum_kkd * d * d
            and rest * min(1.0, one_r + one_q * inv_1mz) <= _TOL * total
        ):
            break
    # log S: E[H + g g'] - mean mean', with the D parts (e_D = (0, 0, -1, 1)); no arrays
    # are allocated per row
    inv_total = 1.0 / total
    mean_d = sum_kd * inv_total
    m0 = sg0 * inv_total
    m1 = sg1 * inv_total
    m2 = sg2 * inv_total - mean_d
    m3 = sg3 * inv_total + mean_d
    kkd = sum_kkd * inv_total
    v00 = h00 * inv_total - m0 * m0
    v01 = h01 * inv_total - m0 * m1
    v02 = h02 * inv_total - skg0 * inv_total - m0 * m2
    v03 = h03 * inv_total + skg0 * inv_total - m0 * m3
    v11 = h11 * inv_total - m1 * m1
    v12 = h12 * inv_total - skg1 * inv_total - m1 * m2
    v13 = h13 * inv_total + skg1 * inv_total - m1 * m3
    v22 = h22 * inv_total + kkd - skg2 * inv_total - skg2 * inv_total - m2 * m2
    v23 = h23 * inv_total - kkd + skg2 * inv_total - skg3 * inv_total - m2 * m3
    v33 = h33 * inv_total + kkd + skg3 * inv_total + skg3 * inv_total - m3 * m3
    # log P0
    log_mx = math.log(mx)
    log_bx = math.log(bx)
    if euler:
        log_p0 = -math.log(c) - e_big * log_bx + (1.0 - em) * log_mx
        g0 = m0 - 1.0 / c - log_mx
        g1 = m1 - 1.0 / c - log_bx
        g2 = m2 + (1.0 - em) / mx
        g3 = m3 - e_big / bx
        inv_c2 = 1.0 / (c * c)
        v00 += inv_c2
        v01 += inv_c2
        v11 += inv_c2
        v02 -= 1.0 / mx
        v13 -= 1.0 / bx
        v22 += (em - 1.0) / (mx * mx)
        v33 += e_big / (bx * bx)
    else:
        log_p0 = -c * log_bx
        g0 = m0 - log_bx
        g1 = m1 - log_bx
        g2 = m2
        g3 = m3 - c / bx
        v03 -= 1.0 / bx
        v13 -= 1.0 / bx
        v33 += c / (bx * bx)
    # (e_m, e_M, m, M) is (e_alpha, e_beta, alpha, beta), or (e_beta, e_alpha, beta, alpha)
    p = (1, 0, 3, 2) if swap else (0, 1, 2, 3)
    grad[p[0]] = g0
    grad[p[1]] = g1
    grad[p[2]] = g2
    grad[p[3]] = g3
    hess[p[0], p[0]] = v00
    hess[p[0], p[1]] = v01
    hess[p[1], p[0]] = v01
    hess[p[0], p[2]] = v02
    hess[p[2], p[0]] = v02
    hess[p[0], p[3]] = v03
    hess[p[3], p[0]] = v03
    hess[p[1], p[1]] = v11
    hess[p[1], p[2]] = v12
    hess[p[2], p[1]] = v12
    hess[p[1], p[3]] = v13
    hess[p[3], p[1]] = v13
    hess[p[2], p[2]] = v22
    hess[p[2], p[3]] = v23
    hess[p[3], p[2]] = v23
    hess[p[3], p[3]] = v33
    return log_p0 + math.log(total), True


@_njit
def _integral_hessians(  # noqa: PLR0917 - the integral's six arguments and the outputs
    ea: FloatArray,
    eb: FloatArray,
    a: FloatArray,
    b: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    hess: FloatArray,
    done: FloatArray,
) -> None:
    h = np.zeros((4, 4))
    g = np.zeros(4)
    for i in range(len(ea)):
        done[i] = 0.0
        hess[:, :, i] = 0.0
        if (
            big_t[i] > t_x[i]
            and _log_integral_row_hessian(ea[i], eb[i], a[i], b[i], t_x[i], big_t[i], g, h)[1]
        ):
            hess[:, :, i] = h
            done[i] = 1.0
        elif big_t[i] <= t_x[i]:
            done[i] = 1.0


def log_integral_hessian_rows(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    e_alpha: FloatArray,
    e_beta: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Hessians (``4 x 4 x n``) of ``log I`` by the series, and where they were computed (1.0)."""
    args = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (e_alpha, e_beta, alpha, beta, t_x, T))
    )
    ea, eb, a, b, tx, big_t = (np.ascontiguousarray(v.ravel()) for v in args)
    n = len(ea)
    hess, done = np.empty((4, 4, n)), np.empty(n)
    _integral_hessians(ea, eb, a, b, tx, big_t, hess, done)
    return hess, done


_PAIRS = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))
"""The per-row Hessian entries written, in log ``(r, alpha, s, beta)``."""


@_njit
def _row_hessian(  # noqa: PLR0917 - one customer's terms
    r: float,
    s: float,
    x: float,
    a: float,
    b: float,
    big_t: float,
    weight: float,
    dg: float,
    tg: float,
    log_i: float,
    gi: FloatArray,
    hi: FloatArray,
    hout: FloatArray,
    i: int,
) -> None:
    """Write customer ``i``'s weighted Hessian in log ``(r, alpha, s, beta)`` to ``hout``.

    ``l = lgG(r+x) - lgG(r) + r log a + s log b + log(e^A + e^D)``; the mixture's Hessian is
    ``w_A H_A + w_D H_D + w_A w_D (dA - dD)(dA - dD)'``.
    """
    log_at = math.log(a + big_t)
    log_bt = math.log(b + big_t)
    alive = -(r + x) * log_at - s * log_bt
    died = math.log(s) + log_i
    if died == -math.inf:
        w_alive, w_died = 1.0, 0.0
    elif alive >= died:
        e = math.exp(died - alive)
        w_alive = 1.0 / (1.0 + e)
        w_died = e * w_alive
    else:
        e = math.exp(alive - died)
        w_died = 1.0 / (1.0 + e)
        w_alive = e * w_died
    fa = a / (a + big_t)
    fb = b / (b + big_t)
    grad_a = (-r * log_at, -(r + x) * fa, -s * log_bt, -s * fb)
    # the "alive" term's Hessian: six entries, the others are 0 (no arrays per row)
    hess_a = (
        -r * log_at,
        -r * fa,
        0.0,
        0.0,
        -(r + x) * fa * (1.0 - fa),
        0.0,
        0.0,
        -s * log_bt,
        -s * fb,
        -s * fb * (1.0 - fb),
    )
    jac = (r, a, s, b)
    slot = (0, 2, 1, 3)  # u_p moves e_alpha, alpha, e_beta, beta
    if w_died > 0.0:
        grad_d = (jac[0] * gi[0], jac[1] * gi[2], jac[2] * gi[1] + 1.0, jac[3] * gi[3])
    else:
        grad_d = (0.0, 0.0, 0.0, 0.0)
    for k in range(10):
        p, q = _PAIRS[k]
        value = w_alive * hess_a[k]
        if w_died > 0.0:
            h_d = jac[p] * jac[q] * hi[slot[p], slot[q]]
            if p == q:
                h_d += jac[p] * gi[slot[p]]
            value += w_died * h_d
            value += w_alive * w_died * (grad_a[p] - grad_d[p]) * (grad_a[q] - grad_d[q])
        hout[k, i] = weight * value
    hout[0, i] += weight * r * (dg + r * tg + math.log(a))
    hout[1, i] += weight * r
    hout[7, i] += weight * s * math.log(b)
    hout[8, i] += weight * s


@_njit
def _rows_hessian(  # noqa: PLR0917 - the likelihood's data and parameters
    r: float,
    s: float,
    x: FloatArray,
    t_x: FloatArray,
    big_t: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    weights: FloatArray,
    dg_u: FloatArray,
    tg_u: FloatArray,
    x_index: IndexArray,
    hout: FloatArray,
    pending: IndexArray,
) -> int:
    """Row Hessians of the rows the series takes; the others' indices go to ``pending``."""
    scalar_a = len(alpha) == 1
    scalar_b = len(beta) == 1
    gi = np.zeros(4)
    hi = np.zeros((4, 4))
    left = 0
    for i in range(len(x)):
        a = alpha[0] if scalar_a else alpha[i]
        b = beta[0] if scalar_b else beta[i]
        xi = x[i]
        if big_t[i] > t_x[i]:
            log_i, ok = _log_integral_row_hessian(r + xi, s + 1.0, a, b, t_x[i], big_t[i], gi, hi)
            if not ok:
                pending[left] = i
                left += 1
                continue
        else:
            log_i = -math.inf
            gi[:] = 0.0
            hi[:, :] = 0.0
        j = x_index[i]
        _row_hessian(r, s, xi, a, b, big_t[i], weights[i], dg_u[j], tg_u[j], log_i, gi, hi, hout, i)
    return left


@_njit
def _given_hessian(  # noqa: PLR0917 - the likelihood's data and parameters
    r: float,
    s: float,
    rows: IndexArray,
    x: FloatArray,
    big_t: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    weights: FloatArray,
    dg_u: FloatArray,
    tg_u: FloatArray,
    x_index: IndexArray,
    log_i: FloatArray,
    grad_i: FloatArray,
    hess_i: FloatArray,
    hout: FloatArray,
) -> None:
    """:func:`_row_hessian` for ``rows`` with ``log I`` and its derivatives computed elsewhere."""
    scalar_a = len(alpha) == 1
    scalar_b = len(beta) == 1
    gi = np.zeros(4)
    hi = np.zeros((4, 4))
    for p in range(len(rows)):
        i = rows[p]
        gi[:] = grad_i[:, p]
        hi[:, :] = hess_i[:, :, p]
        a = alpha[0] if scalar_a else alpha[i]
        b = beta[0] if scalar_b else beta[i]
        u = x_index[i]
        _row_hessian(
            r, s, x[i], a, b, big_t[i], weights[i], dg_u[u], tg_u[u], log_i[p], gi, hi, hout, i
        )


def _difference_hessians(args: list[FloatArray], step: float = 1e-5) -> FloatArray:
    """Hessians of ``log I`` (``4 x 4 x n``) by central differences of its analytic gradient.

    For the few rows integrated numerically (``z`` near 1), relative steps, symmetrised.
    """
    out = np.empty((4, 4, len(args[0])))
    for j in range(4):
        up, down = list(args), list(args)
        h = step * args[j]
        up[j], down[j] = args[j] + h, args[j] - h
        grad_up = log_integral(*up)[1]
        grad_down = log_integral(*down)[1]
        out[:, j, :] = (grad_up - grad_down) / (2.0 * h)
    symmetric: FloatArray = (out + out.transpose(1, 0, 2)) / 2.0
    return symmetric


def pareto_row_hessians(  # noqa: PLR0917 - the likelihood's data and parameters
    r: float,
    s: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    weights: FloatArray,
    dg_u: FloatArray,
    tg_u: FloatArray,
    x_index: IndexArray,
) -> dict[tuple[int, int], FloatArray]:
    """Weighted per-row Hessians in log ``(r, alpha, s, beta)``: ``{(j, k): rows}``, ``j <= k``.

    ``tg_u``: ``psi'(r + x) - psi'(r)`` per distinct ``x``. Analytic (the series' second
    derivatives) except rows integrated numerically, where ``log I``'s Hessian comes from
    central differences of its analytic gradient.
    """
    n = len(x)
    hout = np.empty((10, n))
    pending = np.empty(n, dtype=np.intp)
    alpha_c = np.ascontiguousarray(alpha, dtype=np.float64)
    beta_c = np.ascontiguousarray(beta, dtype=np.float64)
    left = int(
        _rows_hessian(r, s, x, t_x, T, alpha_c, beta_c, weights, dg_u, tg_u, x_index, hout, pending)
    )
    if left:
        rows = pending[:left]
        a = np.broadcast_to(alpha_c, (n,))[rows]
        b = np.broadcast_to(beta_c, (n,))[rows]
        args = [r + x[rows], np.full(left, s + 1.0), a, b, t_x[rows], T[rows]]
        log_i, grad_i = log_integral(*args)
        hess_i = np.ascontiguousarray(_difference_hessians(args))
        _given_hessian(
            r,
            s,
            rows,
            x,
            T,
            alpha_c,
            beta_c,
            weights,
            dg_u,
            tg_u,
            x_index,
            log_i,
            np.ascontiguousarray(grad_i),
            hess_i,
            hout,
        )
    return {pair: hout[k] for k, pair in enumerate(_PAIRS)}
