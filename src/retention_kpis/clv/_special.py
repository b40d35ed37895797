"""Special-function helpers shared by the CLV models."""

from __future__ import annotations

import numpy as np

from retention_kpis.clv._base import FloatArray

__all__ = ["log_gamma_ratio", "trigamma"]

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


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
"""``B_2, B_4, ..., B_14``: the asymptotic series of the trigamma function."""


def trigamma(x: FloatArray) -> FloatArray:
    """Return ``psi'(x)`` (``x > 0``), about three times faster than scipy's ``polygamma(1, x)``.

    Values below 10 are shifted up by ``psi'(x) = 1/x^2 + psi'(x + 1)``; at ``z >= 10``,
    ``psi'(z) = 1/z + 1/(2 z^2) + sum_k B_2k / z^(2k+1)`` (Abramowitz & Stegun 6.4.12) to
    ``B_14``, whose next term is below ``1e-16`` of the sum. Relative error about ``1e-15``.

    Examples
    --------
    >>> round(float(trigamma(np.array([1.0]))[0]), 13)  # pi^2 / 6 = 1.6449340668482264
    1.6449340668482
    """
    z = np.array(x, dtype=np.float64)
    shift = np.zeros_like(z)
    low = np.flatnonzero(z < 10.0)
    if len(low):
        part = z[low]
        added = np.zeros_like(part)
        for _ in range(int(np.ceil(10.0 - float(part.min())))):
            small = part < 10.0
            added += np.where(small, 1.0 / (part * part), 0.0)
            part = np.where(small, part + 1.0, part)
        shift[low] = added
        z[low] = part
    inverse = 1.0 / z
    square = inverse * inverse
    series = np.full_like(z, _BERNOULLI[-1])
    for coefficient in _BERNOULLI[-2::-1]:
        series = coefficient + square * series
    out: FloatArray = shift + inverse + square / 2.0 + inverse * square * series
    return out
