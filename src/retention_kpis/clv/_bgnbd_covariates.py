"""BG/NBD likelihood and predictions with customer-specific ``alpha_i``, ``a_i``, ``b_i``.

With covariates (Fader & Hardie 2007; pymc-marketing's ``BetaGeoModel``)::

    alpha_i = alpha_0 exp(-gamma_1' z1_i),
    a_i = a_0 exp(gamma_a' z2_i),  b_i = b_0 exp(gamma_b' z2_i)

and customer ``i`` has the BG/NBD likelihood (FHL 2005 eq. 6) at ``(r, alpha_i, a_i, b_i)``::

    l_i = log G(r+x) - log G(r) + r log alpha_i + B(a, b+x) - B(a, b) - (r+x) log(alpha_i+T)
          + [x > 0] softplus(d_i),
    d_i = B(a+1, b+x-1) - B(a, b+x) + (r+x) log((alpha_i+T)/(alpha_i+t_x))

(``B`` the log beta function). With ``w_i = sigmoid(d_i)`` (the posterior probability of
the "dropped out after the last purchase" term) the gradient is that of
:class:`~retention_kpis.clv._beta_geo_math.BetaGeoLikelihood`, per row. The beta and
digamma terms depend on ``(x, a_i, b_i)`` only: they are computed once per distinct pair
of ``x`` and dropout-covariate row (a binary covariate gives two values per ``x``).

The per-row Hessian in ``(log r, log alpha_i, log a_i, log b_i)`` is analytic too: with
``v_i = w_i (1 - w_i)`` and ``d'`` the log-space gradient of ``d_i``
(``r g, alpha_i (r+x)(1/(alpha_i+T) - 1/(alpha_i+t_x)), 1, -b_i/(b_i+x-1)``, ``g`` the
log ratio above), it is the Hessian of the terms outside the softplus, plus ``w_i`` times
that of ``d_i`` (nonzero only in ``log alpha`` and ``log b``), plus ``v_i d' d'^T``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from retention_kpis._core.jit import ResolvedEngine
from retention_kpis.clv._base import FloatArray
from retention_kpis.clv._beta_geo_math import expected_count
from retention_kpis.clv._covariates import Coordinates, contract_rows, dense_codes
from retention_kpis.clv._special import trigamma

_CHUNK = 1 << 15
"""Rows per chunk: the per-row temporaries stay in cache."""

__all__ = [
    "BetaGeoRows",
    "conditional_expected",
    "mostly_distinct",
    "new_customer_expected",
    "probability_alive",
]


class BetaGeoRows:
    """Weighted BG/NBD log-likelihood over rows with per-row ``alpha`` and per-group ``a, b``.

    ``group`` maps each row to its dropout-covariate row (all 0 without dropout
    covariates); ``a`` and ``b`` passed to :meth:`__call__` must be equal within a group.
    """

    def __init__(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        weights: FloatArray,
        group: npt.NDArray[np.intp] | None,
        *,
        engine: ResolvedEngine = "numpy",
    ) -> None:
        self.x, self.t_x, self.T, self.w = x, t_x, T, weights
        self.engine = engine
        # numba's kernel computes the beta terms of every row inline when the dropout
        # covariates are continuous (group None); numpy's code takes each row as a group
        self.inline = group is None and engine == "numba"
        if group is None:
            group = np.arange(len(x), dtype=np.intp)
        # whole numbers (checked); beyond int64 (absurd counts) numpy's unique labels them
        small = len(x) == 0 or float(x.max()) < 2.0**62
        whole = x.astype(np.int64) if small else np.zeros(0, dtype=np.int64)
        if small and len(x) and int(whole.max()) < 4 * len(x) + 64:
            # a counting pass: the distinct counts are the nonzero bins, the labels their ranks
            present = np.bincount(whole) > 0
            x_index = (np.cumsum(present) - 1)[whole].astype(np.intp)
            self.x_unique = np.flatnonzero(present).astype(np.float64)
        else:
            x_first, x_index = dense_codes(whole) if small else _unique(x)
            self.x_unique = x[x_first]
        self.x_index = x_index
        if self.inline:
            self.pair = self.pair_row = np.zeros(len(x), dtype=np.intp)
            self.pair_x = np.zeros(0)
        else:
            code = x_index.astype(np.int64) * (int(group.max(initial=0)) + 1) + group
            first, pair = dense_codes(code)
            self.pair = pair
            self.pair_row = first  # a row of each pair, to read its a, b
            self.pair_x = x[first]
        self.can_drop = x > 0
        # Rows without repeat purchases first (the caller sorts them so) take a short path:
        # they contribute r log(alpha / (alpha + T)) and nothing to the a, b gradients.
        buyers = np.flatnonzero(self.can_drop)
        head = int(buyers[0]) if len(buyers) else len(x)
        self.n_stay = head if not self.can_drop[head:].size or self.can_drop[head:].all() else 0
        self._rows: FloatArray | None = None
        # the fit's coordinates and their stacked multipliers (the same list every call)
        self._multipliers: tuple[Coordinates, FloatArray] | None = None

    def __call__(self, theta: list[FloatArray]) -> tuple[float, list[FloatArray]]:
        """Return the weighted log-likelihood and the per-row log-space gradients."""
        total, grads, _ = self.evaluate(theta)
        return total, grads

    def with_hessian(
        self, theta: list[FloatArray], coordinates: Coordinates
    ) -> tuple[float, list[FloatArray], FloatArray]:
        """Also return the Hessian in the fit's coordinates (``sum_i J_i' H_i J_i``).

        ``coordinates`` name, for each coordinate of the fit, the base parameter it moves
        (log scale) and its per-row multiplier (``None`` for 1); the per-row log-space
        Hessians ``H_i`` are contracted chunk by chunk, while they are in cache.
        """
        total, grads, matrix = self.evaluate(theta, coordinates)
        return total, grads, np.zeros((0, 0)) if matrix is None else matrix

    def evaluate(
        self, theta: list[FloatArray], coordinates: Coordinates | None = None
    ) -> tuple[float, list[FloatArray], FloatArray | None]:
        """Log-likelihood, per-row gradients and, with ``coordinates``, the Hessian there."""
        if self.engine == "numba":
            return self._evaluate_compiled(theta, coordinates)
        from scipy.special import digamma, gammaln  # noqa: PLC0415 - lazy scipy

        r = float(theta[0][0])
        alpha, a_rows, b_rows = theta[1], theta[2], theta[3]
        xu = self.x_unique
        # per distinct x, then per (x, dropout group) pair; gathered once per chunk of rows
        per_x_terms = [gammaln(r + xu) - gammaln(r), digamma(r + xu) - digamma(r)]
        hessian = coordinates is not None
        if hessian:
            per_x_terms.append(r * r * (trigamma(r + xu) - trigamma(np.full(1, r))))
        per_x = per_x_terms
        px = self.pair_x
        a = a_rows[self.pair_row] if len(a_rows) > 1 else np.full(len(px), a_rows[0])
        b = b_rows[self.pair_row] if len(b_rows) > 1 else np.full(len(px), b_rows[0])
        # customers without repeat purchases contribute nothing here (their terms are 0):
        # the special functions are evaluated for the pairs with x > 0 only
        buying = np.flatnonzero(px > 0)
        if len(buying) == len(px):
            pair_terms = _pair_terms(a, b, px, hessian=hessian)
        else:
            pair_terms = []
            for values in _pair_terms(a[buying], b[buying], px[buying], hessian=hessian):
                full = np.zeros(len(px))
                full[buying] = values
                pair_terms.append(full)
        per_pair = pair_terms  # a list: stacking would copy every term
        n, n0 = len(self.x), self.n_stay
        grads = [np.empty(n) for _ in range(4)]
        matrix = None if coordinates is None else np.zeros((len(coordinates), len(coordinates)))
        total = 0.0
        for start in range(0, n0, _CHUNK):
            part = slice(start, min(start + _CHUNK, n0))
            entries = self._stay_chunk(part, r, alpha, grads, hessian)
            total += entries.pop((-1, -1))
            if matrix is not None and coordinates is not None:
                contract_rows(entries, coordinates, part, matrix)
        for start in range(n0, n, _CHUNK):
            part = slice(start, start + _CHUNK)
            entries = self._chunk(part, r, alpha, per_x, per_pair, grads, hessian)
            total += entries.pop((-1, -1))
            if matrix is not None and coordinates is not None:
                contract_rows(entries, coordinates, part, matrix)
        if matrix is not None:
            matrix = np.triu(matrix) + np.triu(matrix, 1).T
        return total, grads, matrix

    def _per_x(self, r: float, *, hessian: bool) -> FloatArray:
        """``(3, distinct x)``: the gamma, digamma and (with ``hessian``) trigamma terms in r."""
        from scipy.special import digamma, gammaln  # noqa: PLC0415 - lazy scipy

        xu = self.x_unique
        out = np.zeros((3, len(xu)))
        out[0] = gammaln(r + xu) - gammaln(r)
        out[1] = digamma(r + xu) - digamma(r)
        if hessian:
            out[2] = r * r * (trigamma(r + xu) - trigamma(np.full(1, r)))
        return out

    def _stacked(self, stack: Callable[[list[FloatArray]], FloatArray]) -> FloatArray:
        """``x, t_x, T, w`` as the rows of one array, for the kernel (built on first use)."""
        if self._rows is None:
            self._rows = stack([self.x, self.t_x, self.T, self.w])
        return self._rows

    def _evaluate_compiled(
        self, theta: list[FloatArray], coordinates: Coordinates | None
    ) -> tuple[float, list[FloatArray], FloatArray | None]:
        """:meth:`evaluate` by numba's fused pass (:mod:`~retention_kpis.clv._bgnbd_kernel`)."""
        from retention_kpis.clv import _bgnbd_kernel as kernel  # noqa: PLC0415 - numba

        r = float(theta[0][0])
        alpha, a_rows, b_rows = theta[1], theta[2], theta[3]
        hessian = coordinates is not None
        per_x = self._per_x(r, hessian=hessian)
        dropout: tuple[FloatArray, FloatArray] | None = None
        if self.inline:
            per_pair = np.zeros((8, 1))
            dropout = (a_rows, b_rows)
        else:
            single = len(a_rows) == 1
            a = a_rows if single else a_rows[self.pair_row]
            b = b_rows if single else b_rows[self.pair_row]
            if single:
                a, b = np.full(len(self.pair_x), a[0]), np.full(len(self.pair_x), b[0])
            per_pair = kernel.pair_terms(a, b, self.pair_x, hessian=hessian)
        k = 0 if coordinates is None else len(coordinates)
        contraction = None
        if coordinates is not None:
            if self._multipliers is None or self._multipliers[0] is not coordinates:
                self._multipliers = coordinates, kernel.stack_multipliers(coordinates)
            contraction = self._multipliers
        grads = kernel.staggered(4, len(self.x))
        matrix = np.zeros((k, k))
        total = kernel.row_pass(
            r,
            self._stacked(kernel.stack_rows),
            alpha,
            self.x_index,
            per_x,
            self.pair,
            per_pair,
            dropout,
            contraction,
            grads,
            matrix,
            self.n_stay,
        )
        symmetric = None if coordinates is None else np.triu(matrix) + np.triu(matrix, 1).T
        return total, list(grads), symmetric

    def _stay_chunk(
        self, part: slice, r: float, alpha: FloatArray, grads: list[FloatArray], hessian: bool
    ) -> dict[tuple[int, int], Any]:
        """Rows with ``x = 0``: ``r log(alpha / (alpha + T))``.

        Returns the chunk's log-likelihood under the key ``(-1, -1)`` and, with
        ``hessian``, its nonzero per-row Hessian entries under ``(j, k)``.
        """
        w, T = self.w[part], self.T[part]
        al = alpha[part] if len(alpha) > 1 else alpha[0]
        log_ratio = np.log(al) - np.log(al + T)
        g_r = w * r * log_ratio
        g_alpha = w * (r * T / (al + T))
        grads[0][part] = g_r
        grads[1][part] = g_alpha
        grads[2][part] = 0.0
        grads[3][part] = 0.0
        out: dict[tuple[int, int], Any] = {(-1, -1): r * float(np.einsum("i,i->", w, log_ratio))}
        if hessian:
            out[0, 0] = g_r
            out[0, 1] = g_alpha
            out[1, 1] = -g_alpha * al / (al + T)
        return out

    def _chunk(  # noqa: PLR0917 - one chunk of rows and the shared per-x / per-pair terms
        self,
        part: slice,
        r: float,
        alpha: FloatArray,
        per_x: list[FloatArray],
        per_pair: list[FloatArray],
        grads: list[FloatArray],
        hessian: bool,
    ) -> dict[tuple[int, int], Any]:
        x, w, T, t_x = self.x[part], self.w[part], self.T[part], self.t_x[part]
        al = alpha[part] if len(alpha) > 1 else alpha[0]
        x_index, pair = self.x_index[part], self.pair[part]
        lg, dg = (values.take(x_index) for values in per_x[:2])
        base, shift, da, db, b_over = (values.take(pair) for values in per_pair[:5])
        can_drop = self.can_drop[part]
        log_at = np.log(al + T)
        gap = log_at - np.log(al + t_x)
        rx = r + x
        d = shift + rx * gap
        e = np.exp(-np.abs(d))
        softplus = np.where(can_drop, np.maximum(d, 0.0) + np.log1p(e), 0.0)
        w_drop = np.where(can_drop, np.where(d > 0.0, 1.0, e) / (1.0 + e), 0.0)
        log_alpha = np.log(al)
        rows = lg + r * log_alpha + base - rx * log_at + softplus
        total = float(np.einsum("i,i->", w, rows))  # numpy's loop: no BLAS threads
        g_r = r * (dg + log_alpha - log_at + w_drop * gap)
        shrink = (1.0 - w_drop) / (al + T) + w_drop / (al + t_x)
        g_alpha = r - al * rx * shrink
        g_a, g_b = da + w_drop, db - w_drop * b_over
        grads[0][part] = w * g_r
        grads[1][part] = w * g_alpha
        grads[2][part] = w * g_a
        grads[3][part] = w * g_b
        out: dict[tuple[int, int], Any] = {(-1, -1): total}
        if hessian:
            trigamma_r = per_x[2].take(x_index)
            h_aa, h_ab, h_bb = (values.take(pair) for values in per_pair[5:])
            v = w * w_drop * (1.0 - w_drop)  # weighted: the softplus' curvature
            inv_t, inv_tx = 1.0 / (al + T), 1.0 / (al + t_x)
            d_r = r * gap  # the log-space gradient of d
            d_alpha = al * rx * (inv_t - inv_tx)
            v_r, v_alpha = v * d_r, v * d_alpha
            vb = v * b_over
            out[0, 0] = w * (g_r + trigamma_r) + v_r * d_r
            out[0, 1] = w * r * (T * inv_t + w_drop * d_alpha / rx) + v_r * d_alpha
            out[0, 2] = v_r
            out[0, 3] = -vb * d_r
            curvature = (1.0 - w_drop) * inv_t * inv_t + w_drop * inv_tx * inv_tx
            out[1, 1] = w * (al * rx * (al * curvature - shrink)) + v_alpha * d_alpha
            out[1, 2] = v_alpha
            out[1, 3] = -vb * d_alpha
            out[2, 2] = w * (da + h_aa) + v
            out[2, 3] = w * h_ab - vb
            out[3, 3] = w * (db + h_bb - w_drop * b_over * (1.0 - b_over)) + vb * b_over
        return out


def mostly_distinct(matrix: FloatArray, sample: int = 4096) -> bool:
    """Whether the rows of ``matrix`` hardly repeat (continuous covariates), from a sample.

    Then grouping the rows by their values costs more than it saves: numba's kernel
    computes the beta terms of every row instead. Either way the numbers are the same.
    """
    step = max(1, len(matrix) // sample)
    rows = matrix[::step]
    return len(rows) > 256 and len(np.unique(rows, axis=0)) > len(rows) // 2


def _pair_terms(a: FloatArray, b: FloatArray, px: FloatArray, *, hessian: bool) -> list[FloatArray]:
    """Return the beta-function terms of each (x, dropout group) pair and their derivatives.

    Log-space gradients in ``a`` and ``b``, ``b / (b + x - 1)`` and, with ``hessian``,
    the second derivatives.
    """
    from scipy.special import betaln, digamma  # noqa: PLC0415 - lazy scipy

    drop_ok = px > 0
    b_drop = np.where(drop_ok, b + px - 1.0, 1.0)
    alive_p = betaln(a, b + px)
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + px)
    terms: list[FloatArray] = [
        alive_p - betaln(a, b),
        np.where(drop_ok, np.log(a) - np.log(b_drop), 0.0),  # log B(a+1,b+x-1)/B(a,b+x)
        a * (psi_ab - psi_abx),
        b * (psi_ab - digamma(b) + digamma(b + px) - psi_abx),
        np.where(drop_ok, b / b_drop, 0.0),
    ]
    if hessian:
        tri_ab = trigamma(a + b) - trigamma(a + b + px)
        tri_b = trigamma(b + px) - trigamma(b) + tri_ab
        terms += [a * a * tri_ab, a * b * tri_ab, b * b * tri_b]
    return terms


def _unique(values: FloatArray) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """``(first, inverse)`` of float values, as :func:`numpy.unique` gives them."""
    _, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    return first.astype(np.intp), inverse.ravel().astype(np.intp)


def probability_alive(
    x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
) -> FloatArray:
    """``1 / (1 + a_i/(b_i+x-1) ((alpha_i+T)/(alpha_i+t_x))^(r+x))``; 1 when ``x = 0``."""
    from scipy.special import expit  # noqa: PLC0415 - lazy scipy

    r, alpha, a, b = float(theta[0][0]), theta[1], theta[2], theta[3]
    can_drop = x > 0
    denominator = np.where(can_drop, b + x - 1.0, 1.0)
    odds = (r + x) * np.log1p((T - t_x) / (alpha + t_x)) + np.log(a) - np.log(denominator)
    out: FloatArray = np.where(can_drop, expit(-odds), 1.0)
    return out


def _by_dropout_value(
    t: FloatArray, r: FloatArray, alpha: FloatArray, a: FloatArray, b: FloatArray
) -> FloatArray:
    """:func:`expected_count` row by row in groups of equal ``a`` (it takes one ``a``)."""
    out = np.empty(len(t))
    values, inverse = np.unique(a, return_inverse=True)
    inverse = inverse.ravel()
    for k, value in enumerate(values):
        rows = np.flatnonzero(inverse == k)
        out[rows] = expected_count(t[rows], r[rows], alpha[rows], float(value), b[rows])
    return out


def conditional_expected(
    t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
) -> FloatArray:
    """FHL 2005 eq. 10 at each customer's own ``(alpha_i, a_i, b_i)``."""
    r = float(theta[0][0])
    alpha, a, b = theta[1], theta[2], theta[3]
    alive = probability_alive(x, t_x, T, theta)
    count = _by_dropout_value(t, r + x, alpha + T, a, b + x)
    out: FloatArray = alive * count
    return out


def new_customer_expected(t: FloatArray, theta: list[FloatArray]) -> FloatArray:
    """FHL 2005 eq. 9 at each customer's own ``(alpha_i, a_i, b_i)``."""
    r = float(theta[0][0])
    ones = np.ones(len(t))
    return _by_dropout_value(t, r * ones, theta[1] * ones, theta[2] * ones, theta[3] * ones)
