"""Numerical integration of the Pareto/NBD integral where its series converge slowly.

``I = int_{t_x}^{T} (m + tau)^-e_m (M + tau)^-e_M dtau``; with
``w = log((m + tau) / (m + t_x))`` in ``[0, w1]``, ``w1 = log1p((T - t_x) / (m + t_x))``
(exact even when ``T - t_x`` is tiny), the integrand times ``dtau/dw`` is
``exp(g(w))`` with ``g`` concave. Its maximum ``w_top`` is at a bound or at the
root of ``g'``; by concavity ``g`` falls monotonically on both sides, so the
integral is taken over ``[w_lo, w_hi]``, where ``g >= g(w_top) - 60`` (the rest
is below 1e-26 of it), split at ``w_top``. Each side is summed with
Gauss-Legendre rules on 4 and on 8 equal panels, all rows at once; rows whose two
results differ by more than 1e-12 (relative) are redone with adaptive
Gauss-Kronrod quadrature (``scipy.integrate.quad_vec``). The gradient integrands
``d log f / d(e_m, e_M, m, M)`` are integrated on the same nodes.
"""

from __future__ import annotations

import math

import numpy as np

from retention_kpis.clv._base import FloatArray

__all__ = ["quadrature"]

_DROP = 60.0
_NODES = 20


def _log_f(w: FloatArray, cst: dict[str, FloatArray]) -> FloatArray:
    """Log of the integrand times ``dtau/dw``."""
    out: FloatArray = (1.0 - cst["em"]) * (cst["log_start"] + w) - cst["eb"] * np.log(
        cst["d"] + cst["start"] * np.exp(w)
    )
    return out


def _bisect(
    cst: dict[str, FloatArray], lo: FloatArray, hi: FloatArray, level: FloatArray, *, rising: bool
) -> FloatArray:
    """Point in ``[lo, hi]`` where the monotone ``g`` crosses ``level``."""
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        above = _log_f(mid, cst) >= level
        if rising:
            lo, hi = np.where(above, lo, mid), np.where(above, mid, hi)
        else:
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def _rule(
    cst: dict[str, FloatArray], a: FloatArray, b: FloatArray, top: FloatArray, panels: int
) -> FloatArray:
    """Integrals over ``[a, b]`` of ``exp(g - top)`` times (1, gradient integrands)."""
    nodes, weights = np.polynomial.legendre.leggauss(_NODES)
    edges = np.linspace(0.0, 1.0, panels + 1)
    unit = ((edges[:-1, None] + edges[1:, None]) / 2 + (nodes[None, :] / 2) / panels).ravel()
    unit_w = np.tile(weights / 2 / panels, panels)
    w = a[:, None] + (b - a)[:, None] * unit[None, :]
    weight = np.exp(_log_f(w, {k: v[:, None] for k, v in cst.items()}) - top[:, None])
    weight *= (b - a)[:, None] * unit_w[None, :]
    m_tau = cst["start"][:, None] * np.exp(w)
    parts = [
        np.ones_like(w),
        -(cst["log_start"][:, None] + w),
        -np.log(cst["d"][:, None] + m_tau),
        -cst["em"][:, None] / m_tau,
        -cst["eb"][:, None] / (cst["d"][:, None] + m_tau),
    ]
    return np.stack([(weight * part).sum(axis=1) for part in parts])


def quadrature(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    em: FloatArray,
    e_big: FloatArray,
    m: FloatArray,
    big_m: FloatArray,
    tx: FloatArray,
    big_t: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """``log I`` and its gradient in ``(e_m, e_M, m, M)`` for every row."""
    start = m + tx
    cst = {"em": em, "eb": e_big, "d": big_m - m, "start": start, "log_start": np.log(start)}
    w1 = np.log1p((big_t - tx) / start)
    share = (1.0 - em) / e_big
    interior = (share > 0) & (share < 1) & (cst["d"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        stationary = np.log(cst["d"] * share / (1.0 - share) / start)
    stationary = np.clip(np.where(interior, stationary, 0.0), 0.0, w1)
    candidates = np.stack([np.zeros_like(w1), w1, stationary])
    values = np.stack([_log_f(c, cst) for c in candidates])
    w_top = np.take_along_axis(candidates, values.argmax(axis=0)[None, :], axis=0)[0]
    top = values.max(axis=0)
    level = top - _DROP
    zero = np.zeros_like(w1)
    w_lo = np.where(_log_f(zero, cst) >= level, zero, _bisect(cst, zero, w_top, level, rising=True))
    w_hi = np.where(_log_f(w1, cst) >= level, w1, _bisect(cst, w_top, w1, level, rising=False))
    coarse = _rule(cst, w_lo, w_top, top, 4) + _rule(cst, w_top, w_hi, top, 4)
    fine = _rule(cst, w_lo, w_top, top, 8) + _rule(cst, w_top, w_hi, top, 8)
    log_i = top + np.log(fine[0])
    grad = fine[1:] / fine[0]
    scale = np.abs(grad).max(axis=0) + 1.0
    error = np.maximum(
        np.abs(coarse[0] / fine[0] - 1.0),
        (np.abs(coarse[1:] / coarse[0] - grad).max(axis=0)) / scale,
    )
    for i in np.flatnonzero(~(error <= 1e-12)):
        refined = _adaptive(em[i], e_big[i], m[i], big_m[i], tx[i], big_t[i])
        if refined is not None:  # else keep the fixed rules' value
            log_i[i], grad[:, i] = refined
    return log_i, grad


def _adaptive(  # noqa: PLR0917 - the integral's six arguments, in the paper's order
    em: float, e_big: float, m: float, big_m: float, tx: float, big_t: float
) -> tuple[float, FloatArray] | None:
    """``log I`` and its gradient by adaptive quadrature in ``log(m + tau)``.

    Returns None when the integral underflows (absurd parameters an optimiser
    may probe, such as ``e_m = 1e13``).
    """
    from scipy.integrate import quad_vec  # noqa: PLC0415 - scipy is imported lazily

    # w = log((m + tau) / (m + t_x)) runs over [0, w1]; w1 is exact even when T - t_x is tiny.
    d, start = big_m - m, m + tx
    log_start, w1 = math.log(start), math.log1p((big_t - tx) / start)

    def log_f(w: float) -> float:  # log of integrand * dtau/dw
        return (1.0 - em) * (log_start + w) - e_big * math.log(d + start * math.exp(w))

    # log f is concave in w; its maximum is at a bound or where its slope is 0.
    candidates = [0.0, w1]
    share = (1.0 - em) / e_big
    if 0.0 < share < 1.0 and d > 0:
        candidates.append(min(max(math.log(d * share / (1.0 - share) / start), 0.0), w1))
    w_top = max(candidates, key=log_f)
    top = log_f(w_top)

    def integrand(w: float) -> FloatArray:
        weight = math.exp(log_f(w) - top)
        m_tau = start * math.exp(w)
        return weight * np.array(
            [1.0, -(log_start + w), -math.log(d + m_tau), -em / m_tau, -e_big / (d + m_tau)],
            dtype=np.float64,
        )

    points = [w_top] if 0.0 < w_top < w1 else None
    value, _ = quad_vec(integrand, 0.0, w1, epsrel=1e-12, epsabs=0.0, points=points, limit=2000)
    values = np.asarray(value, dtype=np.float64)
    if not (values[0] > 0 and math.isfinite(values[0])):
        return None
    return top + math.log(values[0]), values[1:] / values[0]
