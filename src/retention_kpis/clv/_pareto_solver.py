"""A small quasi-Newton solver that brings the Pareto/NBD fit near its optimum cheaply.

The shared L-BFGS-B fit (``ProbabilityModel._fit_log_params``) costs about 30
likelihood evaluations from a rough start, and scipy's L-BFGS-B pays a BLAS
call overhead on every iteration (large when OpenBLAS threads compete on a
loaded machine). The Pareto/NBD likelihood has only four parameters and a
smooth, well-scaled surface in log space, so a Newton start works better:

1. Hessian at the start by forward differences of the analytic gradient
   (4 evaluations);
2. quasi-Newton steps ``-H^-1 g`` with ``H`` kept positive definite
   (eigenvalues floored), step length capped and backtracked until the
   objective falls (Armijo), ``H`` refreshed by BFGS updates;
3. stop when the largest gradient component per customer is below
   ``tol`` (far below L-BFGS-B's ``gtol``), so L-BFGS-B, started there,
   accepts the point after one evaluation.

Any trouble (a non-finite value, no descent) returns the best point so far;
L-BFGS-B then finishes the job as it would from any start.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from retention_kpis.clv._base import FloatArray

__all__ = [
    "equal_scale_objective",
    "equal_scale_start",
    "newton",
    "newton_direction",
    "quasi_newton",
]

Scaled = Callable[[FloatArray], tuple[float, FloatArray]]

_MAX_STEP = 2.0
"""Largest step (max norm, in log parameters) tried at once."""
_FD_STEP = 1e-5
_EIG_FLOOR = 1e-6


def _usable(value: float, grad: FloatArray) -> bool:
    return math.isfinite(value) and bool(np.all(np.isfinite(grad)))


def _hessian(objective: Scaled, x: FloatArray, grad: FloatArray) -> FloatArray | None:
    """Forward-difference Hessian of the analytic gradient, symmetrised (None on failure)."""
    k = len(x)
    out = np.empty((k, k))
    for j in range(k):
        shifted = x.copy()
        shifted[j] += _FD_STEP
        value, grad_j = objective(shifted)
        if not _usable(value, grad_j):
            return None
        out[:, j] = (grad_j - grad) / _FD_STEP
    symmetric: FloatArray = (out + out.T) / 2
    return symmetric


def newton_direction(hessian: FloatArray, grad: FloatArray) -> FloatArray:
    """Newton direction with ``H``'s eigenvalues floored (always a descent direction)."""
    values, vectors = np.linalg.eigh(hessian)
    floor = _EIG_FLOOR * max(1.0, float(np.max(np.abs(values))))
    values = np.maximum(np.abs(values), floor)
    step: FloatArray = -(vectors @ ((vectors.T @ grad) / values))
    largest = float(np.max(np.abs(step)))
    if largest > _MAX_STEP:
        step *= _MAX_STEP / largest
    return step


Derivatives = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]


def newton(
    derivatives: Derivatives, x0: FloatArray, *, tol: float, max_evals: int = 60
) -> FloatArray:
    """Minimise with an analytic Hessian: Newton steps, floored and backtracked as above.

    ``derivatives`` returns (value, gradient, Hessian), scaled per customer so that ``tol``
    bounds the largest gradient component. Returns the best point found.
    """
    x: FloatArray = np.array(x0, dtype=np.float64)
    value, grad, hessian = derivatives(x)
    if not _usable(value, grad) or not np.all(np.isfinite(hessian)):
        return x
    evals = 1
    while evals < max_evals and float(np.max(np.abs(grad))) > tol:
        step = newton_direction(hessian, grad)
        slope = float(grad @ step)
        length = 1.0
        while True:
            trial: FloatArray = x + length * step
            new_value, new_grad, new_hessian = derivatives(trial)
            evals += 1
            if (
                _usable(new_value, new_grad)
                and np.all(np.isfinite(new_hessian))
                and (
                    new_value <= value + 1e-4 * length * slope
                    or (
                        abs(new_value - value) <= 1e-13 * abs(value)
                        and np.max(np.abs(new_grad)) < np.max(np.abs(grad))
                    )
                )
            ):
                break
            length *= 0.25
            if length < 1e-9 or evals >= max_evals:
                return x
        x, value, grad, hessian = trial, new_value, new_grad, new_hessian
    return x


def sample_hessian(objective: Scaled, x: FloatArray) -> FloatArray | None:
    """Forward-difference Hessian of ``objective`` at ``x`` (None on failure).

    With ``objective`` the per-customer likelihood of a sample, it estimates the full
    data's per-customer Hessian at ``x`` (a mean over customers) for a fraction of the cost.
    """
    value, grad = objective(x)
    return _hessian(objective, x, grad) if _usable(value, grad) else None


def quasi_newton(
    objective: Scaled,
    x0: FloatArray,
    *,
    tol: float = 1e-11,
    max_evals: int = 80,
    hessian: FloatArray | None = None,
) -> FloatArray:
    """Minimise a smooth ``objective`` (value, gradient) from ``x0``; return the best point.

    ``objective`` should be scaled per customer so that ``tol`` is an absolute
    gradient size. Stops after about ``max_evals`` evaluations at the latest.
    A ``hessian`` at ``x0`` given replaces the forward-difference one.
    """
    x: FloatArray = np.array(x0, dtype=np.float64)
    value, grad = objective(x)
    if not _usable(value, grad):
        return x
    evals = 1
    if hessian is None:
        hessian = _hessian(objective, x, grad)
        if hessian is None:
            return x
        evals += len(x)
    while evals < max_evals and float(np.max(np.abs(grad))) > tol:
        step = newton_direction(hessian, grad)
        slope = float(grad @ step)
        length = 1.0
        while evals < max_evals:
            trial: FloatArray = x + length * step
            new_value, new_grad = objective(trial)
            evals += 1
            if _usable(new_value, new_grad) and (
                new_value <= value + 1e-4 * length * slope
                # within rounding of the optimum the value cannot tell; the gradient can
                or (
                    abs(new_value - value) <= 1e-13 * abs(value)
                    and np.max(np.abs(new_grad)) < np.max(np.abs(grad))
                )
            ):
                break
            length *= 0.25
            if length < 1e-9:
                return x
        else:
            return x
        s_vec, y_vec = trial - x, new_grad - grad
        curvature = float(y_vec @ s_vec)
        x, value, grad = trial, new_value, new_grad
        if curvature > 1e-16 * float(s_vec @ s_vec):
            h_s = hessian @ s_vec
            hessian = (
                hessian
                + np.outer(y_vec, y_vec) / curvature
                - np.outer(h_s, h_s) / float(s_vec @ h_s)
            )
    return x


def equal_scale_objective(
    log_params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood under ``alpha == beta == a`` and its gradient.

    ``log_params`` is ``log(r, s, a)``. With one scale the integral is elementary,
    ``s I = s / c [(a + t_x)^-c - (a + T)^-c]`` with ``c = r + s + x``, so ::

        L = Gamma(r + x) a^(r + s) / (Gamma(r) c) (a + T)^-c [r + x + s (1 + g)^c],
        g = (T - t_x) / (a + t_x),

    computed in log space (``log1p``, ``logaddexp``).
    """
    from scipy.special import digamma, gammaln  # noqa: PLC0415 - scipy is imported lazily

    r, s, a = np.exp(log_params)
    c = r + s + x
    lam = np.log1p((T - t_x) / (a + t_x))
    mix = np.logaddexp(np.log(r + x), math.log(s) + c * lam)
    p_dead = np.exp(math.log(s) + c * lam - mix)
    log_at = np.log(a + T)
    rows = gammaln(r + x) - gammaln(r) + (r + s) * math.log(a) - c * log_at + mix - np.log(c)
    common = math.log(a) - log_at - 1.0 / c
    grad = np.stack(
        [
            digamma(r + x) - digamma(r) + common + (1.0 - p_dead) / (r + x) + p_dead * lam,
            common + p_dead * (1.0 / s + lam),
            (r + s) / a - c / (a + T) + p_dead * c * (1.0 / (a + T) - 1.0 / (a + t_x)),
        ]
    )
    total = float(weights.sum())
    gradient: FloatArray = -(grad @ weights) * np.exp(log_params) / total
    return -float(weights @ rows) / total, gradient


def equal_scale_start(
    x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray, start: FloatArray
) -> FloatArray:
    """Log ``(r, alpha, s, beta)`` maximising the likelihood under ``alpha == beta``.

    The three-parameter fit (:func:`equal_scale_objective`) costs a fraction
    of one full evaluation, and its optimum is a good start for the full fit
    (CDNOW: alpha 10.6, beta 11.7). ``start`` is the full log-parameter start,
    used for ``r, s`` and the scale (the mean of its two scales).
    """

    def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
        return equal_scale_objective(log_params, x, t_x, T, weights)

    scale = 0.5 * (start[1] + start[3])
    r_s_a = quasi_newton(objective, np.array([start[0], start[2], scale]), tol=1e-8)
    out: FloatArray = np.clip(r_s_a[[0, 2, 1, 2]], -20.0, 20.0)
    return out
