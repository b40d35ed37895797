"""Pareto/NBD likelihood and predictions with customer-specific ``alpha_i`` and ``beta_i``.

With covariates (Fader & Hardie 2007)::

    alpha_i = alpha_0 exp(-gamma_1' z1_i),   beta_i = beta_0 exp(-gamma_2' z2_i)

and customer ``i`` has the Pareto/NBD likelihood at ``(r, alpha_i, s, beta_i)``::

    l_i = log G(r+x) - log G(r) + r log alpha_i + s log beta_i
          + log[ (alpha_i+T)^-(r+x) (beta_i+T)^-s + s I_i ],
    I_i = int_{t_x}^{T} (alpha_i+tau)^-(r+x) (beta_i+tau)^-(s+1) dtau.

``I_i`` and its derivatives come from the same positive-term series as the model
without covariates (:mod:`retention_kpis.clv._pareto_integral`), which takes one
``alpha`` and ``beta`` per row.
"""

from __future__ import annotations

import numpy as np

from retention_kpis._core.jit import ResolvedEngine
from retention_kpis.clv._base import FloatArray
from retention_kpis.clv._covariates import Coordinates, contract_rows
from retention_kpis.clv._pareto_integral import log_integral, log_integral_value

__all__ = [
    "ParetoHessianRows",
    "ParetoRows",
    "conditional_expected",
    "new_customer_expected",
    "probability_alive",
]


class ParetoRows:
    """Weighted Pareto/NBD log-likelihood over rows with per-row ``alpha`` and ``beta``."""

    def __init__(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        weights: FloatArray,
        *,
        engine: ResolvedEngine = "numpy",
    ) -> None:
        self.x, self.t_x, self.T, self.w = x, t_x, T, weights
        self.engine = engine
        if engine == "numba":  # the kernel takes contiguous float64 arrays
            self.x, self.t_x, self.T, self.w = (
                np.ascontiguousarray(v, dtype=np.float64) for v in (x, t_x, T, weights)
            )
        self.x_unique, x_index = np.unique(x, return_inverse=True)
        self.x_index = x_index.ravel()
        self._last: tuple[list[FloatArray], tuple[float, list[FloatArray]]] | None = None

    def __call__(self, theta: list[FloatArray]) -> tuple[float, list[FloatArray]]:
        """Return the weighted log-likelihood and the per-row log-space gradients.

        The fit asks again for the point it last evaluated (the Newton steps start where
        the BHHH steps ended): that answer is kept and returned, not recomputed. The fit
        builds new parameter arrays for every point and does not modify them or the
        returned arrays afterwards, so references are kept, not copies.
        """
        last = self._last
        if last is not None and all(
            np.array_equal(new, old) for new, old in zip(theta, last[0], strict=True)
        ):
            return last[1][0], list(last[1][1])
        result = self._evaluate(theta)
        self._last = (list(theta), result)  # the fit builds new arrays for every point
        return result[0], list(result[1])

    def _evaluate(self, theta: list[FloatArray]) -> tuple[float, list[FloatArray]]:
        """Compute the likelihood and gradients at ``theta`` (see :meth:`__call__`)."""
        from scipy.special import digamma, expit, gammaln  # noqa: PLC0415 - lazy scipy

        r, s = float(theta[0][0]), float(theta[2][0])
        alpha, beta = theta[1], theta[3]
        x, T, w = self.x, self.T, self.w
        xu = self.x_unique
        lg_u, dg_u = gammaln(r + xu) - gammaln(r), digamma(r + xu) - digamma(r)
        if self.engine == "numba":
            from retention_kpis.clv._pareto_kernel import pareto_rows  # noqa: PLC0415 - numba

            return pareto_rows(r, s, x, self.t_x, T, alpha, beta, w, lg_u, dg_u, self.x_index)
        lg, dg = lg_u[self.x_index], dg_u[self.x_index]
        log_at, log_bt = np.log(alpha + T), np.log(beta + T)
        alive = -(r + x) * log_at - s * log_bt
        log_i, grad_i = log_integral(r + x, np.full(1, s + 1.0), alpha, beta, self.t_x, T)
        died = np.log(s) + log_i
        mix = np.logaddexp(alive, died)
        log_alpha, log_beta = np.log(alpha), np.log(beta)
        rows = lg + r * log_alpha + s * log_beta + mix
        # the two terms' shares from their difference: exp(alive - mix) would carry the
        # rounding of alive and mix (~1e-16 of |alive|, ~3e5 for x in the tens of thousands)
        gap = died - alive  # -inf where t_x == T
        w_alive, w_died = expit(-gap), expit(gap)
        g_r = w * r * (dg + log_alpha - w_alive * log_at + w_died * grad_i[0])
        g_alpha = w * (r - alpha * (w_alive * (r + x) / (alpha + T) - w_died * grad_i[2]))
        g_s = w * s * (log_beta - w_alive * log_bt + w_died * (1.0 / s + grad_i[1]))
        g_beta = w * (s - beta * (w_alive * s / (beta + T) - w_died * grad_i[3]))
        total = float(np.einsum("i,i->", w, rows))  # numpy's loop: no BLAS threads
        return total, [g_r, g_alpha, g_s, g_beta]


class ParetoHessianRows(ParetoRows):
    """:class:`ParetoRows` with an analytic Hessian (numba engine only).

    The fit takes BHHH steps as with :class:`ParetoRows` (``newton_first = False``: a
    Newton step here costs an evaluation and a Hessian pass, and BHHH's steps need none),
    then Newton steps with this Hessian, in one pass over the customers instead of 8
    evaluations for central differences. The per-row Hessian in log ``(r, alpha, s, beta)``
    comes from the kernel (:func:`retention_kpis.clv._pareto_kernel.pareto_row_hessians`).
    """

    newton_first = False

    def with_hessian(
        self, theta: list[FloatArray], coordinates: Coordinates
    ) -> tuple[float, list[FloatArray], FloatArray]:
        """Value, per-row gradients and the Hessian in the fit's coordinates."""
        from scipy.special import digamma  # noqa: PLC0415 - lazy scipy

        from retention_kpis.clv._pareto_kernel import pareto_row_hessians  # noqa: PLC0415
        from retention_kpis.clv._special import trigamma  # noqa: PLC0415

        value, grads = self(theta)
        r, s = float(theta[0][0]), float(theta[2][0])
        xu = self.x_unique
        dg_u = digamma(r + xu) - digamma(r)
        tg_u = trigamma(r + xu) - float(trigamma(np.array([r]))[0])
        entries = pareto_row_hessians(
            r, s, self.x, self.t_x, self.T, theta[1], theta[3], self.w, dg_u, tg_u, self.x_index
        )
        matrix = np.zeros((len(coordinates), len(coordinates)))
        contract_rows(entries, coordinates, slice(0, len(self.x)), matrix)
        symmetric: FloatArray = np.triu(matrix) + np.triu(matrix, 1).T
        return value, grads, symmetric


def _log_terms(
    x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
) -> tuple[FloatArray, FloatArray]:
    r, alpha, s, beta = float(theta[0][0]), theta[1], float(theta[2][0]), theta[3]
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    e_beta = np.full(1, s + 1.0)
    died = np.log(s) + log_integral_value(r + x, e_beta, alpha, beta, t_x, T)
    return alive, died


def probability_alive(
    x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
) -> FloatArray:
    """``P(alive)``: the "alive at T" term over the whole bracket, per customer."""
    alive, died = _log_terms(x, t_x, T, theta)
    out: FloatArray = np.exp(alive - np.logaddexp(alive, died))
    return out


def _growth(exponent: float, u: FloatArray) -> FloatArray:
    """``(1 - exp(-exponent * u)) / exponent``, equal to ``u`` at ``exponent == 0``."""
    if exponent == 0.0:
        return u
    out: FloatArray = -np.expm1(-exponent * u) / exponent
    return out


def conditional_expected(
    t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
) -> FloatArray:
    """``P(alive) (r+x)(beta_i+T) / ((alpha_i+T)(s-1)) [1 - ((beta_i+T)/(beta_i+T+t))^(s-1)]``."""
    r, alpha, s, beta = float(theta[0][0]), theta[1], float(theta[2][0]), theta[3]
    alive = probability_alive(x, t_x, T, theta)
    growth = _growth(s - 1.0, np.log1p(t / (beta + T)))
    out: FloatArray = alive * (r + x) * (beta + T) / (alpha + T) * growth
    return out


def new_customer_expected(t: FloatArray, theta: list[FloatArray]) -> FloatArray:
    """``r beta_i / (alpha_i (s-1)) [1 - (beta_i/(beta_i+t))^(s-1)]``."""
    r, alpha, s, beta = float(theta[0][0]), theta[1], float(theta[2][0]), theta[3]
    out: FloatArray = r * beta / alpha * _growth(s - 1.0, np.log1p(t / beta))
    return out
