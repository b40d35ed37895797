"""Gamma-Gamma likelihood with a customer-specific scale ``v_i = v_0 exp(gamma' z_i)``.

A repeat buyer's mean spend ``zbar`` over ``x`` repeat purchases has the density
(Fader & Hardie 2013) at ``(p, q, v_i)``::

    l_i = log G(px+q) - log G(px) - log G(q) + q log v_i + (px-1) log zbar + px log x
          - (px+q) log(v_i + x zbar)

so the expected spend per purchase of a new customer, ``p v_i / (q - 1)``, is
multiplied by ``exp(gamma' z_i)``: ``gamma`` is the log of the spend ratio per unit of
the covariate.
"""

from __future__ import annotations

import numpy as np

from retention_kpis.clv._base import FloatArray

__all__ = ["GammaGammaRows"]


class GammaGammaRows:
    """Weighted Gamma-Gamma log-likelihood over repeat buyers with per-row ``v``."""

    def __init__(self, x: FloatArray, zbar: FloatArray, weights: FloatArray) -> None:
        self.x, self.w = x, weights
        self.log_x, self.log_z = np.log(x), np.log(zbar)
        self.xz = x * zbar

    def __call__(self, theta: list[FloatArray]) -> tuple[float, list[FloatArray]]:
        """Return the weighted log-likelihood and the per-row log-space gradients."""
        from scipy.special import digamma, gammaln  # noqa: PLC0415 - lazy scipy

        p, q, v = float(theta[0][0]), float(theta[1][0]), theta[2]
        x, w = self.x, self.w
        px = p * x
        log_vxz = np.log(v + self.xz)
        log_v = np.log(v)
        psi_pxq = digamma(px + q)
        rows = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * log_v
            + (px - 1.0) * self.log_z
            + px * self.log_x
            - (px + q) * log_vxz
        )
        g_p = w * px * (psi_pxq - digamma(px) + self.log_z + self.log_x - log_vxz)
        g_q = w * q * (psi_pxq - digamma(q) + log_v - log_vxz)
        g_v = w * (q - v * (px + q) / (v + self.xz))
        total = float(np.einsum("i,i->", w, rows))  # numpy's loop: no BLAS threads
        return total, [g_p, g_q, g_v]
