"""Shared machinery of the covariate models: reading covariates, fitting, standard errors.

Fader & Hardie (2007) make a population parameter customer-specific through
time-invariant covariates ``z_i``: ``theta_i = theta_0 * exp(sign * gamma' z_i)``.
Every covariate model here is that, for one or more of its parameters (a
"block": the parameter, the sign and the covariate columns).

The fit works in coordinates where the problem is well conditioned: the logs of
the base parameters and the coefficients of *standardised* covariates
(``(z - mean) / sd``). The map back to the reported coefficients (``gamma =
c / sd``, ``log theta_0 = u - sign * gamma' mean``) is linear, so the covariance
is carried over exactly (``J C J'``), and the log-likelihood does not change.
The base parameters are reported on their natural scale (delta method), the
coefficients as they are.

The likelihood of a model is a callable taking one value per base parameter, a
float or an array with one value per row, and returning the total weighted
log-likelihood and, per parameter, the per-row log-space gradient
``w_i * theta_ij * d l_i / d theta_ij`` (an array) -- the chain rule through
``exp(sign * c' z_i)`` is done here, once for every model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from retention_kpis._core.text import count_rows
from retention_kpis.clv._base import FloatArray, check_identified, row_hash
from retention_kpis.clv.value import _raw_columns
from retention_kpis.exceptions import ConvergenceError, InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Block",
    "Coordinates",
    "CovariateFit",
    "HessianLikelihood",
    "RowHessian",
    "RowLikelihood",
    "check_names",
    "contract_rows",
    "dense_codes",
    "few_duplicates",
    "fit_blocks",
    "read_covariates",
    "read_summary",
    "row_groups",
    "summary_table",
]

RowLikelihood = Callable[[list[FloatArray]], tuple[float, list[FloatArray]]]
"""Per-row parameters in, (total log-likelihood, per-row weighted log-space gradients) out."""

IndexArray = npt.NDArray[np.intp]

Coordinates = list[tuple[int, "FloatArray | None"]]
"""Per coordinate of a fit: the base parameter it moves (log scale), its per-row multiplier."""

RowHessian = list[list[FloatArray | None]]
"""Weighted per-row log-space Hessian entries ``[j][k]`` (``j <= k``; ``None`` = zero)."""

_Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Block:
    """Covariates scaling one base parameter: ``theta_i = theta_0 exp(sign * gamma' z_i)``."""

    target: int
    """Index of the base parameter scaled."""
    sign: float
    """+1 or -1 (Fader & Hardie write ``exp(-gamma' z)`` for the rate parameters)."""
    label: str
    """Prefix of the coefficient names (``purchase``, ``dropout``, ...)."""
    columns: tuple[str, ...]
    matrix: FloatArray
    """Covariate values, one row per customer, one column per covariate."""


@dataclass(frozen=True)
class CovariateFit:
    """Result of :func:`fit_blocks`: estimates, covariance, log-likelihood."""

    names: tuple[str, ...]
    estimates: FloatArray
    """Base parameters on their natural scale, then the coefficients."""
    covariance: FloatArray
    log_likelihood: float
    n_customers: float


def check_names(names: object, parameter: str, func: str) -> tuple[str, ...]:
    """Return covariate column names as a tuple of distinct strings (``None`` = none)."""
    if names is None:
        return ()
    if isinstance(names, str):
        return (names,)
    if isinstance(names, Sequence) and all(isinstance(name, str) for name in names):
        chosen = tuple(str(name) for name in names)
        if len(set(chosen)) == len(chosen):
            return chosen
    msg = (
        f"The {parameter!r} parameter of {func} must be a sequence of distinct column names. "
        f"Got {names!r} instead."
    )
    raise InvalidInputError(msg)


def read_summary(
    summary: object, columns: Sequence[str], func: str
) -> tuple[dict[str, FloatArray], int]:
    """Read named summary columns (any frame narwhals reads, or a mapping) as float arrays."""
    hint = "retention_kpis.clv.rfm_summary(...)"
    raw = _raw_columns(summary, list(dict.fromkeys(columns)), func, hint)
    out: dict[str, FloatArray] = {}
    for name, values in raw.items():
        try:
            array = np.atleast_1d(np.asarray(values, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            msg = f"The column {name!r} of the data of {func} must be numeric ({exc})."
            raise InvalidInputError(msg) from exc
        out[name] = array
    lengths = {len(array) for array in out.values()}
    return out, lengths.pop() if lengths else 0


def read_covariates(
    columns: dict[str, FloatArray],
    names: Sequence[str],
    parameter: str,
    func: str,
    *,
    checked: bool = False,
) -> FloatArray:
    """Stack covariate columns into a matrix; refuse missing/non-finite and constant columns.

    Missing values (nan, None in a nullable column) and infinities are refused with the
    column and the number of rows: the likelihood has no value for such a customer, and
    dropping or filling rows is the user's decision, not a silent one. ``checked``: the
    caller checked these values already (the fit reads them again after reordering rows).
    """
    n = len(next(iter(columns.values()))) if columns else 0
    matrix = np.empty((n, len(names)))
    for j, name in enumerate(names):
        values = columns[name]
        if checked:  # the same values, read and checked before (in another row order)
            matrix[:, j] = values
            continue
        bad = ~np.isfinite(values)
        if bad.any():
            msg = (
                f"The {parameter!r} parameter of {func} names column {name!r}, which must hold a "
                f"finite number for every customer. Got missing, nan or inf values in "
                f"{count_rows(int(bad.sum()))} instead; drop or fill those rows first."
            )
            raise InvalidInputError(msg)
        if n and float(values.max()) == float(values.min()):
            msg = (
                f"The {parameter!r} parameter of {func} names column {name!r}, which must vary "
                f"across customers (a constant covariate is the base parameter itself). "
                f"Got the single value {float(values[0])!r} instead."
            )
            raise InvalidInputError(msg)
        matrix[:, j] = values
    return matrix


def _linear_map(
    blocks: Sequence[Block], k0: int, centers: list[FloatArray], scales: list[FloatArray]
) -> FloatArray:
    """``J`` with ``(log theta_0, gamma) = J (u, c)``: standardised to reported coordinates."""
    sizes = [len(block.columns) for block in blocks]
    total = k0 + sum(sizes)
    jac = np.eye(total)
    start = k0
    for block, size, center, scale in zip(blocks, sizes, centers, scales, strict=True):
        span = slice(start, start + size)
        jac[span, span] = np.diag(1.0 / scale)
        # log theta_0 = u + sign * c' (-center / scale)
        jac[block.target, span] = -block.sign * center / scale
        start += size
    return jac


def _outer_product(
    rows: list[FloatArray],
    blocks: Sequence[Block],
    standard: list[list[FloatArray]],
    k0: int,
    weights: FloatArray,
) -> FloatArray:
    """BHHH matrix ``sum_i w_i s_i s_i'`` from the weighted per-row gradients ``w_i s_i``."""
    scores = list(rows[:k0])
    for b, block in enumerate(blocks):
        scores.extend(block.sign * rows[block.target] * column for column in standard[b])
    inverse_w = 1.0 / weights
    k = len(scores)
    matrix = np.empty((k, k))
    for i in range(k):
        weighted = scores[i] * inverse_w
        for j in range(i, k):
            matrix[i, j] = matrix[j, i] = np.einsum("i,i->", weighted, scores[j])
    return matrix


_LOG_MAX = math.log(np.finfo(np.float64).max)


def row_parameters(
    u: FloatArray, blocks: Sequence[Block], standard: list[list[FloatArray]], k0: int
) -> list[FloatArray] | None:
    """Return each customer's base parameters at ``u`` (length 1 without covariates).

    ``None`` where one would overflow or is nan (the objective is then infinite).
    """
    with np.errstate(over="ignore"):
        theta: list[FloatArray] = [np.exp(np.full(1, u[j])) for j in range(k0)]
    start = k0
    for b, block in enumerate(blocks):
        predictor = standard[b][0] * (block.sign * u[start])
        for j in range(1, len(block.columns)):
            predictor += block.sign * u[start + j] * standard[b][j]
        predictor += u[block.target]
        start += len(block.columns)
        if not float(np.max(predictor)) < _LOG_MAX:  # nan is refused too
            return None
        theta[block.target] = np.exp(predictor, out=predictor)
    if not all(math.isfinite(float(values[0])) for values in theta[:k0] if len(values) == 1):
        return None
    return theta


def _objective(
    likelihood: RowLikelihood,
    blocks: Sequence[Block],
    standard: list[list[FloatArray]],
    k0: int,
    outer: list[FloatArray] | None = None,
) -> Callable[[FloatArray], tuple[float, FloatArray]]:
    """Total negative log-likelihood and gradient in ``(log theta_0, c)`` coordinates.

    With ``outer`` (a list), each call also stores there the BHHH matrix
    ``sum_i w_i s_i s_i'`` of the per-customer scores ``s_i`` (an estimate of the
    Hessian near the optimum that costs no extra likelihood evaluation); ``weights``
    must then be the likelihood's row weights, passed as ``outer[0]``.
    """
    sizes = [len(block.columns) for block in blocks]
    offsets = np.cumsum([k0, *sizes])

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        theta = row_parameters(u, blocks, standard, k0)
        if theta is None:
            return math.inf, np.zeros_like(u)
        value, rows = likelihood(theta)
        grad = np.empty_like(u)
        for j in range(k0):
            grad[j] = float(np.einsum("i->", rows[j]))
        for b, block in enumerate(blocks):
            for j in range(sizes[b]):
                dot = np.einsum("i,i->", rows[block.target], standard[b][j])
                grad[offsets[b] + j] = block.sign * float(dot)
        if outer is not None:
            outer[1:] = [_outer_product(rows, blocks, standard, k0, outer[0])]
        return -value, -grad

    return objective


def fit_blocks(
    name: str,
    base_names: Sequence[str],
    likelihood: RowLikelihood,
    blocks: Sequence[Block],
    *,
    start: FloatArray,
    total_weight: float,
    weights: FloatArray | None = None,
    start_coefficients: FloatArray | None = None,
) -> CovariateFit:
    """Maximise ``likelihood`` over the base parameters and the covariate coefficients.

    ``start`` holds the logs of the base parameters to start from (the fit without
    covariates, or the fit with covariates on a sample of the customers); the
    coefficients start at ``start_coefficients`` (reported scale), or at 0.

    A likelihood with an analytic per-row Hessian (a ``with_hessian`` method, as
    :class:`~retention_kpis.clv._bgnbd_covariates.BetaGeoRows`) is maximised by Newton
    steps with step halving, one evaluation each, until the gradient per customer is
    below 1e-10; the covariance is the inverse of the Hessian at that point. Otherwise,
    or when a Newton step meets a Hessian that is not negative definite: with the
    likelihood's row ``weights``, BHHH steps (the outer product of the scores as the
    Hessian, free with every evaluation) come first and usually end near the optimum
    in a few evaluations; then, or instead, L-BFGS-B on the per-customer objective,
    then Newton steps with the Hessian (analytic, or central differences of the
    analytic per-row gradients: 8 evaluations for 4 base parameters, whatever the
    number of covariates) until the gradient per customer is below 1e-10.
    """
    from scipy.optimize import minimize  # noqa: PLC0415 - scipy is imported lazily

    k0 = len(base_names)
    centers = [block.matrix.mean(axis=0) for block in blocks]
    scales = [block.matrix.std(axis=0) for block in blocks]
    # one contiguous array per standardised column: the products below are numpy loops
    # (einsum), not BLAS calls, whose threads cost more than they save on a busy machine
    standard = [
        [
            np.ascontiguousarray((block.matrix[:, j] - center[j]) / scale[j])
            for j in range(len(center))
        ]
        for block, center, scale in zip(blocks, centers, scales, strict=True)
    ]
    sizes = [len(block.columns) for block in blocks]
    objective = _objective(likelihood, blocks, standard, k0)

    def scaled(u: FloatArray) -> tuple[float, FloatArray]:
        value, grad = objective(u)
        if not math.isfinite(value):
            return 1e300, np.zeros_like(u)
        return value / total_weight, grad / total_weight

    u0 = np.concatenate([np.asarray(start, dtype=np.float64), np.zeros(sum(sizes))])
    if start_coefficients is not None:
        u0 = _standardised_start(u0, blocks, k0, centers, scales, start_coefficients)
    hessian_at = _hessian_function(likelihood, blocks, standard, k0)
    result: object = "BHHH steps"
    converged = False
    hessian: FloatArray | None = None
    newton: tuple[FloatArray, float, FloatArray, FloatArray | None, bool] | None = None
    if isinstance(likelihood, HessianLikelihood) and getattr(likelihood, "newton_first", True):
        newton = _newton(hessian_at, u0, total_weight, objective)
        u0, converged, result = newton[0], newton[4], "Newton steps"
    if newton is not None and converged and np.all(np.abs(u0[:k0]) < 30.0):
        u, value, gradient, hessian = newton[0], newton[1], newton[2], newton[3]
    elif weights is not None:
        outer: list[FloatArray] = [weights]
        with_outer = _objective(likelihood, blocks, standard, k0, outer)
        u0, converged = _bhhh(with_outer, outer, u0, total_weight)
    if newton is None or not converged or hessian is None:
        if converged and np.all(np.abs(u0[:k0]) < 30.0):
            u = u0  # the Newton steps below finish from here
        else:
            bounds = [(-30.0, 30.0)] * k0 + [(None, None)] * sum(sizes)
            lbfgs = minimize(
                scaled,
                u0,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-9},
            )
            result, u = lbfgs, np.asarray(lbfgs.x, dtype=np.float64)
        u, value, gradient, hessian = _newton_polish(hessian_at, objective, u, total_weight)
    _check_converged(name, result, value, gradient / total_weight, u[:k0])
    check_identified(name, hessian, total_weight)
    jac = _linear_map(blocks, k0, centers, scales)
    reported = jac @ u
    cov_reported = jac @ np.linalg.inv(hessian) @ jac.T
    natural = reported.copy()
    natural[:k0] = np.exp(reported[:k0])
    delta = np.ones_like(natural)
    delta[:k0] = natural[:k0]
    covariance = cov_reported * np.outer(delta, delta)
    names = [*base_names]
    for block in blocks:
        names.extend(f"{block.label}:{column}" for column in block.columns)
    return CovariateFit(
        names=tuple(names),
        estimates=natural,
        covariance=np.asarray(covariance, dtype=np.float64),
        log_likelihood=-float(value),
        n_customers=total_weight,
    )


def _bhhh(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    outer: list[FloatArray],
    u: FloatArray,
    total_weight: float,
) -> tuple[FloatArray, bool]:
    """BHHH steps with step halving from ``u``: the last point that lowered the value.

    Stops when the gradient per customer is below 1e-7 (then ``True``: Newton steps with
    the Hessian finish from there), after 30 steps, or when a step cannot lower the value.
    """
    value, grad = objective(u)
    for _ in range(30):
        if not math.isfinite(value):
            return u, False
        if float(np.max(np.abs(grad))) < 1e-7 * total_weight:
            return u, True
        try:
            step = np.linalg.solve(outer[1], grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        for _half in range(20):
            trial = u - step
            trial_value, trial_grad = objective(trial)
            if math.isfinite(trial_value) and trial_value < value:
                break
            step = step / 2.0
        else:
            break
        u, value, grad = trial, trial_value, trial_grad
    return u, False


def _check_converged(
    name: str, result: object, value: float, gradient: FloatArray, log_base: FloatArray
) -> None:
    """Raise :class:`ConvergenceError` unless the optimum is finite, flat and inside the bounds."""
    gradient_norm = float(np.max(np.abs(gradient)))
    if not math.isfinite(value) or gradient_norm > 1e-5:
        msg = (
            f"{name}.fit did not converge: {getattr(result, 'message', result)} (max |gradient| "
            f"per customer {gradient_norm:.2e} after {getattr(result, 'nit', '?')} iterations)."
        )
        raise ConvergenceError(msg)
    if np.any(np.abs(log_base) >= 29.999):
        msg = (
            f"{name}.fit ran to a parameter bound (log-parameters {log_base.tolist()}): the data "
            "do not identify the model."
        )
        raise ConvergenceError(msg)


def _newton_polish(
    hessian_at: Callable[[FloatArray], tuple[float, FloatArray, FloatArray]],
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    u: FloatArray,
    total_weight: float,
) -> tuple[FloatArray, float, FloatArray, FloatArray]:
    """Newton steps from ``u`` (with step halving) until the gradient is at its noise level.

    L-BFGS-B (or BHHH) ends close to the optimum, so one Hessian serves every step and
    the covariance; it is computed again only when the steps moved ``u`` by more than
    1e-3 in some coordinate. Returns the point, the value, gradient and Hessian there.
    """
    value, grad, hessian = hessian_at(u)
    origin = u.copy()
    for _ in range(8):
        if float(np.max(np.abs(grad))) < 1e-10 * total_weight:
            break
        try:
            step = np.linalg.solve(hessian, grad)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)):
            break
        for _half in range(30):
            trial = u - step
            trial_value, trial_grad = objective(trial)
            if math.isfinite(trial_value) and trial_value <= value + 1e-15 * abs(value):
                break
            step = step / 2.0
        else:
            break
        if np.array_equal(trial, u):
            break
        u, value, grad = trial, trial_value, trial_grad
    if float(np.max(np.abs(u - origin))) > 1e-3:
        value, grad, hessian = hessian_at(u)
    return u, value, grad, hessian


@runtime_checkable
class HessianLikelihood(Protocol):
    """A row likelihood that also gives its Hessian analytically."""

    def __call__(self, theta: list[FloatArray]) -> tuple[float, list[FloatArray]]: ...

    def with_hessian(
        self, theta: list[FloatArray], coordinates: Coordinates
    ) -> tuple[float, list[FloatArray], FloatArray]:
        """Value, per-row gradients and the Hessian (see :func:`contract_rows`)."""
        ...


def contract_rows(
    entries: dict[tuple[int, int], FloatArray],
    coordinates: Coordinates,
    part: slice,
    out: FloatArray,
) -> None:
    """Add ``sum_i J_i' H_i J_i`` over the rows ``part`` to the upper triangle of ``out``.

    ``entries[j, k]`` (``j <= k``, absent = 0) holds the rows' weighted log-space Hessian
    entries of base parameters ``j`` and ``k``; coordinate ``p`` moves base parameter
    ``coordinates[p][0]`` by ``coordinates[p][1]`` per row (``None``: by 1), since each
    customer's log-parameters are linear in the fit's coordinates.
    """
    k = len(coordinates)
    multipliers = [None if m is None else m[part] for _, m in coordinates]
    for p in range(k):
        tp, mp = coordinates[p][0], multipliers[p]
        for q in range(p, k):
            tq, mq = coordinates[q][0], multipliers[q]
            entry = entries.get((min(tp, tq), max(tp, tq)))
            if entry is None:
                continue
            present = [m for m in (mp, mq) if m is not None]
            if not present:
                total = float(np.einsum("i->", entry))
            elif len(present) == 1:
                total = float(np.einsum("i,i->", entry, present[0]))
            else:
                total = float(np.einsum("i,i->", entry * present[0], present[1]))
            out[p, q] += total


def _standardised_start(  # noqa: PLR0917 - the start and the standardisation
    u0: FloatArray,
    blocks: Sequence[Block],
    k0: int,
    centers: list[FloatArray],
    scales: list[FloatArray],
    coefficients: FloatArray,
) -> FloatArray:
    """``(u, c)`` from reported ``(log theta_0, gamma)``: the inverse of :func:`_linear_map`."""
    u: FloatArray = u0.copy()
    start = 0
    for block, center, scale in zip(blocks, centers, scales, strict=True):
        gamma = np.asarray(coefficients[start : start + len(center)], dtype=np.float64)
        u[k0 + start : k0 + start + len(center)] = gamma * scale
        u[block.target] += block.sign * float(gamma @ center)
        start += len(center)
    return u


def _hessian_function(
    likelihood: RowLikelihood,
    blocks: Sequence[Block],
    standard: list[list[FloatArray]],
    k0: int,
) -> Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]:
    """``u -> (-log L, -gradient, -Hessian)`` in ``(log theta_0, c)`` coordinates.

    The Hessian is the per-row log-space Hessian of the base parameters contracted with
    each customer's covariates (``log theta_ij`` is linear in ``(u, c)``, so no other
    term): analytic when the likelihood has ``with_hessian``, otherwise central
    differences of the analytic per-row gradients, one pair of evaluations per base
    parameter (each customer's gradient depends only on that customer's parameters).
    """
    coordinates: Coordinates = [(j, None) for j in range(k0)]
    for b, block in enumerate(blocks):
        coordinates.extend((block.target, block.sign * column) for column in standard[b])
    objective = _objective(likelihood, blocks, standard, k0)

    def hessian_at(u: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        if isinstance(likelihood, HessianLikelihood):
            theta = row_parameters(u, blocks, standard, k0)
            if theta is None:
                return math.inf, np.zeros_like(u), np.eye(len(u))
            value, rows, matrix = likelihood.with_hessian(theta, coordinates)
            return -value, -_gradient(rows, blocks, standard, k0), -matrix
        value, grad = objective(u)
        theta = row_parameters(u, blocks, standard, k0)
        if not math.isfinite(value) or theta is None:
            return value, grad, np.eye(len(u))
        row_hessian = _differences(likelihood, theta)
        return value, grad, -_contract(row_hessian, coordinates)

    return hessian_at


def _differences(likelihood: RowLikelihood, theta: list[FloatArray], h: float = 1e-5) -> RowHessian:
    """Per-row Hessian by central differences of the per-row gradients, symmetrised."""
    k0 = len(theta)
    columns = []
    for j in range(k0):
        up, down = list(theta), list(theta)
        up[j], down[j] = theta[j] * math.exp(h), theta[j] * math.exp(-h)
        rows_up, rows_down = likelihood(up)[1], likelihood(down)[1]
        columns.append([(rows_up[k] - rows_down[k]) / (2.0 * h) for k in range(k0)])
    return [
        [(columns[j][k] + columns[k][j]) / 2.0 if j <= k else None for k in range(k0)]
        for j in range(k0)
    ]


def _gradient(
    rows: list[FloatArray], blocks: Sequence[Block], standard: list[list[FloatArray]], k0: int
) -> FloatArray:
    """Return the total gradient in ``(log theta_0, c)`` from the per-row log-space gradients."""
    grad = [float(np.einsum("i->", rows[j])) for j in range(k0)]
    for b, block in enumerate(blocks):
        grad.extend(
            block.sign * float(np.einsum("i,i->", rows[block.target], column))
            for column in standard[b]
        )
    return np.asarray(grad, dtype=np.float64)


def _contract(row_hessian: RowHessian, coordinates: Coordinates) -> FloatArray:
    """``sum_i J_i' H_i J_i`` from full per-row Hessian entries (:func:`contract_rows`)."""
    entries = {
        (j, k): values
        for j, row in enumerate(row_hessian)
        for k, values in enumerate(row)
        if values is not None
    }
    n = len(next(iter(entries.values()))) if entries else 0
    out = np.zeros((len(coordinates), len(coordinates)))
    contract_rows(entries, coordinates, slice(0, n), out)
    symmetric: FloatArray = np.triu(out) + np.triu(out, 1).T
    return symmetric


_QUADRATIC = 1e-6
"""Gradient per customer below which Newton's last step needs no new Hessian."""


def _trial_function(
    hessian_at: Callable[[FloatArray], tuple[float, FloatArray, FloatArray]],
    objective: Callable[[FloatArray], tuple[float, FloatArray]] | None,
    hessian: FloatArray,
) -> Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]:
    """``hessian_at``, or ``objective`` with ``hessian`` kept (see :func:`_newton`)."""
    if objective is None:
        return hessian_at
    value_and_gradient = objective

    def kept(u: FloatArray) -> tuple[float, FloatArray, FloatArray]:
        value, grad = value_and_gradient(u)
        return value, grad, hessian

    return kept


def _newton(
    hessian_at: Callable[[FloatArray], tuple[float, FloatArray, FloatArray]],
    u: FloatArray,
    total_weight: float,
    objective: Callable[[FloatArray], tuple[float, FloatArray]] | None = None,
) -> tuple[FloatArray, float, FloatArray, FloatArray | None, bool]:
    """Newton steps with step halving from ``u``, the Hessian evaluated at every point.

    With ``objective`` (value and gradient alone), a trial point is evaluated without
    the Hessian once the gradient per customer is below ``_QUADRATIC`` (1e-6): Newton's
    quadratic convergence then takes the gradient below 1e-10 in one step (measured:
    3e-3, 3e-5, 3e-8, 1e-13 per customer from the sample's start), the step uses the
    Hessian of the point before, and that Hessian (at a point within about 1e-8 of the
    optimum in every coordinate) is returned for the covariance.

    Returns the last point, the value, gradient and Hessian there and whether the
    gradient per customer reached 1e-10 (or stopped changing below 1e-8). Where the
    Hessian of the negative log-likelihood is not positive definite (far from the
    optimum, weakly identified coefficients), its eigenvalues are replaced by their
    absolute values (at least 1e-8 of the largest), which keeps the step a descent
    direction, and no step moves a coordinate by more than 2 (standardised
    covariates, log base parameters). ``False`` when no step lowers the value: the
    caller then takes the slower path.
    """
    value, grad, hessian = hessian_at(u)
    for _ in range(100):
        if not math.isfinite(value):
            return u, value, grad, None, False
        if float(np.max(np.abs(grad))) < 1e-10 * total_weight:
            return u, value, grad, hessian, True
        try:
            factor = np.linalg.cholesky(hessian)
            step = np.linalg.solve(factor.T, np.linalg.solve(factor, grad))
        except np.linalg.LinAlgError:
            eigenvalues, vectors = np.linalg.eigh(hessian)
            size = np.abs(eigenvalues)
            size = np.maximum(size, 1e-8 * float(size.max(initial=0.0)) + 1e-300)
            step = vectors @ ((vectors.T @ grad) / size)
        longest = float(np.max(np.abs(step)))
        if not math.isfinite(longest):
            return u, value, grad, None, False
        if longest > 2.0:
            step = step * (2.0 / longest)
        cheap = float(np.max(np.abs(grad))) < _QUADRATIC * total_weight
        evaluate = _trial_function(hessian_at, objective if cheap else None, hessian)
        for _half in range(30):
            trial = u - step
            trial_value, trial_grad, trial_hessian = evaluate(trial)
            if math.isfinite(trial_value) and trial_value <= value + 1e-15 * abs(value):
                break
            step = step / 2.0
        else:
            break
        if np.array_equal(trial, u):
            break
        u, value, grad, hessian = trial, trial_value, trial_grad, trial_hessian
    return u, value, grad, hessian, float(np.max(np.abs(grad))) < 1e-8 * total_weight


def dense_codes(
    code: npt.NDArray[np.int64], *, first_rows: bool = True
) -> tuple[IndexArray, IndexArray]:
    """``(first, inverse)`` of non-negative integer codes: a row of each value, and labels.

    Labels follow the order of the values (as :func:`numpy.unique`); a counting pass
    when the codes are below ``4 n``, :func:`numpy.unique` otherwise. Without
    ``first_rows``, ``first`` is left empty on the counting pass (it costs a scatter).
    """
    n = len(code)
    if n and int(code.min()) >= 0 and int(code.max()) < 4 * n + 64:
        present = np.bincount(code) > 0
        label = np.cumsum(present) - 1
        inverse = label[code]
        if not first_rows:
            return np.zeros(0, dtype=np.intp), inverse.astype(np.intp)
        first = np.empty(int(present.sum()), dtype=np.intp)
        first[inverse[::-1]] = np.arange(n - 1, -1, -1)
        return first, inverse.astype(np.intp)
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    return first.astype(np.intp), inverse.ravel().astype(np.intp)


def _column_codes(values: FloatArray) -> tuple[IndexArray, int]:
    """Dense labels of one column's values (equal values, equal labels) and their count.

    Whole numbers in a short range (0/1 flags, category codes) by a counting pass, about
    twice as fast as pandas' hash table, which labels the others.
    """
    import pandas as pd  # noqa: PLC0415 - pandas is imported lazily

    n = len(values)
    if n:
        low, high = float(values.min()), float(values.max())
        # |v| < 2^52: v - low is exact; the range bounds the counting array
        if low > -(2.0**52) and high < 2.0**52 and high - low < 4 * n + 64:
            shifted = values - low
            if np.array_equal(np.floor(shifted), shifted):
                present = np.bincount(shifted.astype(np.int64)) > 0
                label = np.cumsum(present) - 1
                return label[shifted.astype(np.int64)].astype(np.intp), int(label[-1]) + 1
    labels, distinct = pd.factorize(values + 0.0)  # -0.0 -> 0.0
    return np.asarray(labels, dtype=np.intp), len(distinct)


def row_groups(matrix: FloatArray) -> IndexArray:
    """Label each row of ``matrix`` by its distinct values (equal rows, equal labels).

    Column by column (:func:`_column_codes`: a counting pass or pandas' hash table, no
    sort), codes combined in mixed radix: far cheaper than ``np.unique(axis=0)`` on many
    rows. Labels are dense, in no set order.
    """
    if matrix.shape[1] == 1:  # the column's labels are dense already
        return _column_codes(matrix[:, 0])[0]
    code = np.zeros(len(matrix), dtype=np.int64)
    for j in range(matrix.shape[1]):
        labels, count = _column_codes(matrix[:, j])
        if (int(code.max(initial=0)) + 1) * count >= 2**62:  # pragma: no cover - huge
            _, inverse = np.unique(matrix, axis=0, return_inverse=True)
            return inverse.ravel().astype(np.intp)
        code = code * count + labels
    return dense_codes(code, first_rows=False)[1]


def few_duplicates(columns: Sequence[FloatArray], sample: int = 20_000) -> bool:
    """Whether collapsing equal rows would hardly shrink the data (then it is skipped).

    Birthday count on a fixed random sample of ``m`` rows: with ``D`` distinct rows
    among ``n``, about ``m^2 / (2 D)`` pairs of sampled rows are equal. Fewer than
    that for ``D = 0.7 n`` means collapsing saves under ~30 % of the rows, less than
    the sort costs. Uneven frequencies only raise the count (then the rows are
    collapsed, which is exact either way: only the speed depends on it).
    """
    n = len(columns[0])
    if n <= 4 * sample:
        return False
    rows = np.sort(np.random.default_rng(0).choice(n, sample, replace=False))
    _, counts = np.unique(row_hash([column[rows] + 0.0 for column in columns]), return_counts=True)
    pairs = float(np.sum(counts * (counts - 1) / 2.0))
    return pairs < sample * (sample - 1) / (2.0 * 0.7 * n)


def per_row_parameters(
    base: FloatArray, blocks: Sequence[Block], coefficients: FloatArray, n: int
) -> list[FloatArray]:
    """``theta_ij`` for each base parameter ``j``: length-1 arrays for those without covariates."""
    theta = [np.full(1, float(value)) for value in base]
    start = 0
    for block in blocks:
        size = len(block.columns)
        coef = coefficients[start : start + size]
        theta[block.target] = theta[block.target] * np.exp(block.sign * (block.matrix @ coef))
        start += size
    return [values if len(values) == n else np.broadcast_to(values, (n,)) for values in theta]


def summary_table(fit: CovariateFit, k0: int) -> pd.DataFrame:
    """``coef``, ``se(coef)`` and 95 % bounds: log-scale Wald bounds for base parameters."""
    import pandas as pd  # noqa: PLC0415 - pandas is imported only when a table is asked for

    se = np.sqrt(np.clip(np.diag(fit.covariance), 0.0, None))
    coef = fit.estimates
    lower = coef - _Z_95 * se
    upper = coef + _Z_95 * se
    spread = np.exp(_Z_95 * se[:k0] / coef[:k0])
    lower[:k0] = coef[:k0] / spread
    upper[:k0] = coef[:k0] * spread
    frame: pd.DataFrame = pd.DataFrame(
        {"coef": coef, "se(coef)": se, "lower 95% bound": lower, "upper 95% bound": upper},
        index=pd.Index(list(fit.names)),
    )
    frame.attrs["log_likelihood"] = fit.log_likelihood
    frame.attrs["n"] = fit.n_customers
    return frame
