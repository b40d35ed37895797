"""numba kernel of the covariate BG/NBD likelihood: one fused pass over the rows.

Imported only when a fit runs with ``engine="numba"`` (numba's import alone costs a few
tenths of a second); :class:`~retention_kpis.clv._bgnbd_covariates.BetaGeoRows` is the
numpy reference, whose docstring gives the formulas. Per row the kernel computes the
log-likelihood, the weighted log-space gradients in ``(r, alpha_i, a_i, b_i)`` and, when
asked, the weighted per-row Hessian contracted into the fit's coordinates
(``sum_i J_i' H_i J_i``) without storing per-row temporaries.

The beta-function terms of ``(x, a_i, b_i)`` are computed here too (numba has no
``scipy.special``). ``x`` is a whole number, so for ``x <= _RECURRENCE`` they are finite
sums of ``Gamma(z + 1) = z Gamma(z)``::

    B(a, b+x) - B(a, b) = sum_j log((b+j) / (a+b+j)),
    a (psi(a+b) - psi(a+b+x)) = -a sum_j 1 / (a+b+j),
    b (psi(a+b) - psi(b) + psi(b+x) - psi(a+b+x)) = b sum_j a / ((b+j)(a+b+j)),
    psi'(a+b) - psi'(a+b+x) = sum_j 1 / (a+b+j)^2,  psi'(b+x) - psi'(b) = -sum_j 1 / (b+j)^2

(``j = 0 .. x-1``): exact up to rounding and free of the cancellation of the differences
of special functions; above, ``lgamma`` and asymptotic series of ``psi`` and ``psi'``.
They are evaluated per (x, dropout row) pair, or inline per row when the dropout
covariates are continuous (every row its own pair: gathering would cost more).

Plain IEEE arithmetic (no ``fastmath``), serial, compiled once and cached on disk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
import numpy.typing as npt

from retention_kpis.clv._base import FloatArray

__all__ = ["pair_terms", "row_pass"]

_RECURRENCE = 64
"""Largest ``x`` whose beta-function terms are summed term by term."""

_BLOCK = 4096
"""Rows summed into a block total before it is added to the running total."""

_TINY = 1e-280

_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)

_F = TypeVar("_F", bound=Callable[..., Any])


def _jit(func: _F) -> _F:
    """Compile ``func`` with numba: no Python objects, cached on disk, no fastmath."""
    dispatcher: Any = numba.njit(cache=True)(func)
    return cast("_F", dispatcher)


@_jit
def _digamma(x: float) -> float:  # pragma: no cover - compiled
    """``psi(x)`` for ``x > 0``: shift to ``z >= 10``, then A&S 6.3.18 to ``z^-14``."""
    shift = 0.0
    z = x
    while z < 10.0:
        shift -= 1.0 / z
        z += 1.0
    inv = 1.0 / z
    sq = inv * inv
    series = sq * (
        1.0 / 12.0
        - sq
        * (
            1.0 / 120.0
            - sq
            * (
                1.0 / 252.0
                - sq * (1.0 / 240.0 - sq * (1.0 / 132.0 - sq * (691.0 / 32760.0 - sq / 12.0)))
            )
        )
    )
    return shift + math.log(z) - 0.5 * inv - series


@_jit
def _trigamma(x: float) -> float:  # pragma: no cover - compiled
    """``psi'(x)`` for ``x > 0`` as :func:`retention_kpis.clv._special.trigamma`."""
    shift = 0.0
    z = x
    while z < 10.0:
        shift += 1.0 / (z * z)
        z += 1.0
    inv = 1.0 / z
    sq = inv * inv
    series = 7.0 / 6.0
    series = -691.0 / 2730.0 + sq * series
    series = 5.0 / 66.0 + sq * series
    series = -1.0 / 30.0 + sq * series
    series = 1.0 / 42.0 + sq * series
    series = -1.0 / 30.0 + sq * series
    series = 1.0 / 6.0 + sq * series
    return shift + inv + sq / 2.0 + inv * sq * series


@_jit
def _pair(a: float, b: float, x: float, hessian: bool) -> tuple[float, ...]:  # pragma: no cover
    """Return the beta-function terms of one ``(x, a, b)`` (see the module docstring).

    ``(base, shift, da, db, b_over, h_aa, h_ab, h_bb)``, all 0 when ``x = 0``.
    """
    if x <= 0.0:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    ab = a + b
    b_drop = b + x - 1.0
    if x <= _RECURRENCE:
        log_part = 0.0
        product = 1.0
        s_ab = 0.0
        s_b = 0.0
        t_ab = 0.0
        t_b = 0.0
        for j in range(int(x)):
            bj = b + j
            abj = ab + j
            product *= bj / abj
            if product < _TINY:
                log_part += math.log(product)
                product = 1.0
            inv_ab = 1.0 / abj
            s_ab += inv_ab
            s_b += 1.0 / (bj * abj)
            if hessian:
                t_ab += inv_ab * inv_ab
                t_b += 1.0 / (bj * bj)
        base = log_part + math.log(product)
        da = -a * s_ab
        db = b * a * s_b
        tri_ab = t_ab
        tri_b = t_ab - t_b
    else:
        base = math.lgamma(b + x) - math.lgamma(b) - math.lgamma(ab + x) + math.lgamma(ab)
        psi_ab = _digamma(ab)
        psi_abx = _digamma(ab + x)
        da = a * (psi_ab - psi_abx)
        db = b * (psi_ab - _digamma(b) + _digamma(b + x) - psi_abx)
        tri_ab = 0.0
        tri_b = 0.0
        if hessian:
            tri_ab = _trigamma(ab) - _trigamma(ab + x)
            tri_b = _trigamma(b + x) - _trigamma(b) + tri_ab
    shift = math.log(a) - math.log(b_drop)
    b_over = b / b_drop
    return base, shift, da, db, b_over, a * a * tri_ab, a * b * tri_ab, b * b * tri_b


@_jit
def _pairs(  # pragma: no cover - compiled
    a: FloatArray, b: FloatArray, x: FloatArray, hessian: bool, out: FloatArray
) -> None:
    for i in range(len(x)):
        values = _pair(a[i], b[i], x[i], hessian)
        for k in range(8):
            out[k, i] = values[k]


@_jit
def _rows(  # noqa: C901, PLR0912, PLR0915, PLR0917 - one fused pass
    r: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    w: FloatArray,
    alpha: FloatArray,
    x_index: npt.NDArray[np.intp],
    per_x: FloatArray,
    pair: npt.NDArray[np.intp],
    per_pair: FloatArray,
    a_rows: FloatArray,
    b_rows: FloatArray,
    inline: bool,
    hessian: bool,
    targets: npt.NDArray[np.intp],
    columns: npt.NDArray[np.intp],
    multipliers: FloatArray,
    grads: FloatArray,
    matrix: FloatArray,
) -> float:  # pragma: no cover - compiled
    n = len(x)
    k = len(targets)
    per_row_alpha = len(alpha) > 1
    per_row_ab = len(a_rows) > 1
    h = np.zeros((4, 4))
    m = np.ones(k)
    block = np.zeros((k, k))
    total = 0.0
    block_total = 0.0
    for i in range(n):
        wi = w[i]
        al = alpha[i] if per_row_alpha else alpha[0]
        xi = x[i]
        log_alpha = math.log(al)
        log_at = math.log(al + T[i])
        if xi <= 0.0:  # no repeat purchase: r log(alpha / (alpha + T))
            log_ratio = log_alpha - log_at
            block_total += wi * (r * log_ratio)
            g_r = wi * r * log_ratio
            g_alpha = wi * (r * T[i] / (al + T[i]))
            grads[0, i] = g_r
            grads[1, i] = g_alpha
            grads[2, i] = 0.0
            grads[3, i] = 0.0
            if hessian:
                for j in range(4):
                    for q in range(4):
                        h[j, q] = 0.0
                h[0, 0] = g_r
                h[0, 1] = g_alpha
                h[1, 1] = -g_alpha * al / (al + T[i])
        else:
            xk = x_index[i]
            lg = per_x[0, xk]
            dg = per_x[1, xk]
            if inline:
                ai = a_rows[i] if per_row_ab else a_rows[0]
                bi = b_rows[i] if per_row_ab else b_rows[0]
                base, shift, da, db, b_over, h_aa, h_ab, h_bb = _pair(ai, bi, xi, hessian)
            else:
                pk = pair[i]
                base = per_pair[0, pk]
                shift = per_pair[1, pk]
                da = per_pair[2, pk]
                db = per_pair[3, pk]
                b_over = per_pair[4, pk]
                h_aa = per_pair[5, pk]
                h_ab = per_pair[6, pk]
                h_bb = per_pair[7, pk]
            at = al + T[i]
            atx = al + t_x[i]
            gap = log_at - math.log(atx)
            rx = r + xi
            d = shift + rx * gap
            e = math.exp(-abs(d))
            softplus = max(d, 0.0) + math.log1p(e)
            w_drop = (1.0 if d > 0.0 else e) / (1.0 + e)
            block_total += wi * (lg + r * log_alpha + base - rx * log_at + softplus)
            g_r = r * (dg + log_alpha - log_at + w_drop * gap)
            shrink = (1.0 - w_drop) / at + w_drop / atx
            g_alpha = r - al * rx * shrink
            grads[0, i] = wi * g_r
            grads[1, i] = wi * g_alpha
            grads[2, i] = wi * (da + w_drop)
            grads[3, i] = wi * (db - w_drop * b_over)
            if hessian:
                v = wi * w_drop * (1.0 - w_drop)
                inv_t = 1.0 / at
                inv_tx = 1.0 / atx
                d_r = r * gap
                d_alpha = al * rx * (inv_t - inv_tx)
                v_r = v * d_r
                v_alpha = v * d_alpha
                vb = v * b_over
                h[0, 0] = wi * (g_r + per_x[2, xk]) + v_r * d_r
                h[0, 1] = wi * r * (T[i] * inv_t + w_drop * d_alpha / rx) + v_r * d_alpha
                h[0, 2] = v_r
                h[0, 3] = -vb * d_r
                curvature = (1.0 - w_drop) * inv_t * inv_t + w_drop * inv_tx * inv_tx
                h[1, 1] = wi * (al * rx * (al * curvature - shrink)) + v_alpha * d_alpha
                h[1, 2] = v_alpha
                h[1, 3] = -vb * d_alpha
                h[2, 2] = wi * (da + h_aa) + v
                h[2, 3] = wi * h_ab - vb
                h[3, 3] = wi * (db + h_bb - w_drop * b_over * (1.0 - b_over)) + vb * b_over
        if hessian:
            for p in range(k):
                c = columns[p]
                m[p] = 1.0 if c < 0 else multipliers[c, i]
            for p in range(k):
                tp = targets[p]
                mp = m[p]
                for q in range(p, k):
                    tq = targets[q]
                    entry = h[tp, tq] if tp <= tq else h[tq, tp]
                    block[p, q] += entry * mp * m[q]
        if (i + 1) % _BLOCK == 0 or i == n - 1:
            total += block_total
            block_total = 0.0
            if hessian:
                for p in range(k):
                    for q in range(p, k):
                        matrix[p, q] += block[p, q]
                        block[p, q] = 0.0
    return total


def pair_terms(a: FloatArray, b: FloatArray, x: FloatArray, *, hessian: bool) -> FloatArray:
    """Return the beta-function terms of each ``(x, a, b)``: an ``(8, len(x))`` array.

    Rows: ``B(a, b+x) - B(a, b)``, ``log(a / (b+x-1))``, the log-space gradients in
    ``a`` and ``b``, ``b / (b+x-1)`` and (with ``hessian``, else 0) ``a^2 T_ab``,
    ``a b T_ab``, ``b^2 T_b`` (see :func:`~retention_kpis.clv._bgnbd_covariates._pair_terms`).
    """
    out = np.empty((8, len(x)))
    _pairs(
        np.ascontiguousarray(a, dtype=np.float64),
        np.ascontiguousarray(b, dtype=np.float64),
        np.ascontiguousarray(x, dtype=np.float64),
        hessian,
        out,
    )
    return out


def row_pass(  # noqa: PLR0917 - the rows, the shared terms and the outputs
    r: float,
    rows: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    alpha: FloatArray,
    x_index: npt.NDArray[np.intp],
    per_x: FloatArray,
    pair: npt.NDArray[np.intp],
    per_pair: FloatArray,
    dropout: tuple[FloatArray, FloatArray] | None,
    contraction: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray] | None,
    grads: FloatArray,
    matrix: FloatArray,
) -> float:
    """Run the fused pass; fill ``grads`` ``(4, n)`` and the upper triangle of ``matrix``.

    ``rows`` are ``(x, t_x, T, weights)``; ``per_x`` ``(3, distinct x)`` holds
    ``log G(r+x) - log G(r)``, ``psi(r+x) - psi(r)`` and ``r^2 (psi'(r+x) - psi'(r))``;
    ``per_pair`` the :func:`pair_terms` of each row's ``pair``, unless ``dropout`` gives
    ``(a_i, b_i)`` per row (then they are computed inline). ``contraction`` is
    ``(targets, columns, multipliers)``: coordinate ``p`` moves base parameter
    ``targets[p]`` by ``multipliers[columns[p], i]`` per row (by 1 when
    ``columns[p] < 0``); ``None``: no Hessian. Returns the weighted log-likelihood.
    """
    x, t_x, T, w = rows
    empty = np.zeros(1)
    a_rows, b_rows = (empty, empty) if dropout is None else dropout
    if contraction is None:
        targets = columns = np.zeros(0, dtype=np.intp)
        multipliers = np.zeros((0, 0))
    else:
        targets, columns, multipliers = contraction
    total = _rows(
        r,
        x,
        t_x,
        T,
        w,
        alpha,
        x_index,
        per_x,
        pair,
        per_pair,
        a_rows,
        b_rows,
        dropout is not None,
        contraction is not None,
        targets,
        columns,
        multipliers,
        grads,
        matrix,
    )
    return float(total)
