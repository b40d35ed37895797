"""Special-function helpers shared by the CLV models."""

from __future__ import annotations

import numpy as np

from retention_kpis.clv._base import FloatArray

__all__ = ["log_gamma_ratio"]

_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188)


def log_gamma_ratio(y: FloatArray, eps: float) -> FloatArray:
    """Return ``log Gamma(y + eps) - log Gamma(y)`` (``y > 0``, ``eps > -1``) accurately.

    ``gammaln(y + eps) - gammaln(y)`` cancels catastrophically for small
    ``eps`` or large ``y``. Instead: shift ``y`` up to at least 10 with
    ``log1p`` terms, then difference Stirling's series term by term using
    ``log1p``/``expm1`` so every piece is proportional to ``eps``.
    """
    y = np.asarray(y, dtype=np.float64)
    shift = np.maximum(np.ceil(10.0 - y), 0.0)
    out = np.zeros_like(y)
    for j in range(int(np.max(shift, initial=0.0))):
        active = shift > j
        out -= np.where(active, np.log1p(eps / (y + j)), 0.0)
    z = y + shift
    log_step = np.log1p(eps / z)
    out += eps * np.log(z) + (z + eps - 0.5) * log_step - eps
    for k, c in enumerate(_STIRLING, start=1):
        power = 1 - 2 * k
        out += c * z**power * np.expm1(power * log_step)
    return out
