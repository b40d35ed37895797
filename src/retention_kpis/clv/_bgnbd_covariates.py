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
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from retention_kpis.clv._base import FloatArray
from retention_kpis.clv._beta_geo_math import expected_count

_CHUNK = 1 << 15
"""Rows per chunk: the per-row temporaries stay in cache."""

__all__ = ["BetaGeoRows", "conditional_expected", "new_customer_expected", "probability_alive"]


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
        group: npt.NDArray[np.intp],
    ) -> None:
        self.x, self.t_x, self.T, self.w = x, t_x, T, weights
        self.x_unique, x_index = np.unique(x, return_inverse=True)
        x_index = x_index.ravel()
        code = x_index.astype(np.int64) * (int(group.max(initial=0)) + 1) + group
        _, first, pair = np.unique(code, return_index=True, return_inverse=True)
        self.pair = pair.ravel()
        self.pair_row = first  # a row of each pair, to read its a, b
        self.pair_x = x[first]
        self.x_index = x_index
        self.can_drop = x > 0
        # Rows without repeat purchases first (the caller sorts them so) take a short path:
        # they contribute r log(alpha / (alpha + T)) and nothing to the a, b gradients.
        buyers = np.flatnonzero(self.can_drop)
        first = int(buyers[0]) if len(buyers) else len(x)
        self.n_stay = first if not self.can_drop[first:].size or self.can_drop[first:].all() else 0

    def __call__(self, theta: list[FloatArray]) -> tuple[float, list[FloatArray]]:
        """Return the weighted log-likelihood and the per-row log-space gradients."""
        from scipy.special import betaln, digamma, gammaln  # noqa: PLC0415 - lazy scipy

        r = float(theta[0][0])
        alpha, a_rows, b_rows = theta[1], theta[2], theta[3]
        xu = self.x_unique
        # per distinct x, then per (x, dropout group) pair; gathered once per chunk of rows
        per_x = np.stack([gammaln(r + xu) - gammaln(r), digamma(r + xu) - digamma(r)])
        px = self.pair_x
        a = a_rows[self.pair_row] if len(a_rows) > 1 else np.full(len(px), a_rows[0])
        b = b_rows[self.pair_row] if len(b_rows) > 1 else np.full(len(px), b_rows[0])
        drop_ok = px > 0
        b_drop = np.where(drop_ok, b + px - 1.0, 1.0)
        alive_p = betaln(a, b + px)
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + px)
        per_pair = np.stack(
            [
                alive_p - betaln(a, b),
                np.where(drop_ok, betaln(a + 1.0, b_drop) - alive_p, 0.0),
                a * (psi_ab - psi_abx),
                b * (psi_ab - digamma(b) + digamma(b + px) - psi_abx),
                np.where(drop_ok, b / b_drop, 0.0),
            ]
        )
        n, n0 = len(self.x), self.n_stay
        grads = [np.empty(n) for _ in range(4)]
        total = 0.0
        for start in range(0, n0, _CHUNK):
            part = slice(start, min(start + _CHUNK, n0))
            total += self._stay_chunk(part, r, alpha, grads)
        for start in range(n0, n, _CHUNK):
            part = slice(start, start + _CHUNK)
            total += self._chunk(part, r, alpha, per_x, per_pair, grads)
        return total, grads

    def _stay_chunk(
        self, part: slice, r: float, alpha: FloatArray, grads: list[FloatArray]
    ) -> float:
        """Rows with ``x = 0``: ``r log(alpha / (alpha + T))``."""
        w, T = self.w[part], self.T[part]
        al = alpha[part] if len(alpha) > 1 else alpha[0]
        log_ratio = np.log(al) - np.log(al + T)
        grads[0][part] = w * r * log_ratio
        grads[1][part] = w * (r * T / (al + T))
        grads[2][part] = 0.0
        grads[3][part] = 0.0
        return r * float(np.einsum("i,i->", w, log_ratio))

    def _chunk(  # noqa: PLR0917 - one chunk of rows and the shared per-x / per-pair terms
        self,
        part: slice,
        r: float,
        alpha: FloatArray,
        per_x: FloatArray,
        per_pair: FloatArray,
        grads: list[FloatArray],
    ) -> float:
        x, w, T, t_x = self.x[part], self.w[part], self.T[part], self.t_x[part]
        al = alpha[part] if len(alpha) > 1 else alpha[0]
        x_index, pair = self.x_index[part], self.pair[part]
        lg, dg = (values.take(x_index) for values in per_x)
        base, shift, da, db, b_over = (values.take(pair) for values in per_pair)
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
        grads[0][part] = w * r * (dg + log_alpha - log_at + w_drop * gap)
        shrink = (1.0 - w_drop) / (al + T) + w_drop / (al + t_x)
        grads[1][part] = w * (r - al * rx * shrink)
        grads[2][part] = w * (da + w_drop)
        grads[3][part] = w * (db - w_drop * b_over)
        return total


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
