"""Intervals for predictions of the fitted models, from the uncertainty of their parameters.

A fit gives the parameters ``theta`` and, from the Hessian of the negative
log-likelihood in log space, the asymptotic covariance ``Sigma`` of
``log theta`` (:attr:`ProbabilityModel.covariance` holds it carried to the
natural scale: ``Sigma_natural = Sigma * theta theta'``). A prediction ``g(theta)``
(expected purchases, P(alive), expected spend, CLV) inherits that uncertainty:

* ``method="sampling"`` (default): draw ``log theta_d ~ N(log theta, Sigma)``,
  ``d = 1..n_draws`` (seeded), evaluate ``g(theta_d)`` for every row and take the
  ``(1 - c)/2`` and ``(1 + c)/2`` quantiles of the draws per row. The total's
  interval comes from the sum over rows *within each draw* (the rows share the
  parameters, so their errors are correlated and per-row bounds do not add up).
  Models fitted separately (BG/NBD and Gamma-Gamma in a CLV) are drawn
  independently.
* ``method="delta"``: the first-order delta method, ``Var g = grad' Sigma grad``
  with the gradient in log-parameter space by central differences (step
  ``1e-4``); the interval is built on the log scale for quantities ``>= 0``
  (``g exp(+-z se / g)``) and on the logit scale for probabilities, so it stays
  in range. It costs ``2k + 1`` evaluations instead of ``n_draws``.

The covariate models (:mod:`retention_kpis.clv.covariates`) draw and differentiate in
their own coordinates: the logs of the (positive) base parameters and the covariate
coefficients as they are (they can be negative), jointly normal with the inverse Hessian
of the fit in those coordinates.

These are confidence intervals for the model's *expectation* (the expected
purchases of a customer given the history), reflecting how well the data pin
the parameters down; they are not prediction intervals for the purchases a
customer will actually make, which vary far more (a Poisson count around the
expectation). They assume the model is right. The typed results are built in
:mod:`retention_kpis.clv.predictions` and :mod:`retention_kpis.clv.predicted_value`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

import numpy as np

from retention_kpis._core.arrays import FloatArray
from retention_kpis._core.checks import check_choice, check_confidence, check_count
from retention_kpis.exceptions import InvalidInputError, RetentionKPIsError

__all__ = [
    "Evaluate",
    "IntervalMethod",
    "Kind",
    "Propagated",
    "check_interval_options",
    "log_parameter_draws",
    "propagate",
]

IntervalMethod: TypeAlias = Literal["sampling", "delta"]
Kind: TypeAlias = Literal["probability", "amount"]
"""How the delta method keeps a bound in range: logit scale (probability) or log scale."""
_METHODS: Final = ("sampling", "delta")
_STEP: Final = 1e-4
"""Step of the central differences in log-parameter space (error ~1e-8 relative)."""
_CELLS: Final = 1 << 22
"""Rows x draws evaluated per block of the sampling (32 MB of float64)."""


# -- the engine ----------------------------------------------------------------
def _log_covariance(model: Any, func: str) -> tuple[FloatArray, FloatArray]:  # noqa: ANN401
    """Log parameters and their covariance (from the natural-scale covariance of the fit)."""
    theta = np.asarray(model.params.as_array(), dtype=np.float64)
    covariance = getattr(model, "_covariance", None)
    if covariance is None:
        msg = (
            f"{func} needs the covariance of a fit for an interval, and this "
            f"{type(model).__name__} has none (it was built from parameters, not fitted to "
            "data). Fit it, or leave confidence=None."
        )
        raise InvalidInputError(msg)
    log_cov = np.asarray(covariance, dtype=np.float64) / np.outer(theta, theta)
    return np.log(theta), (log_cov + log_cov.T) / 2


def log_parameter_draws(
    model: Any,  # noqa: ANN401 - any fitted ProbabilityModel
    n_draws: int,
    rng: np.random.Generator,
    func: str = "log_parameter_draws",
) -> FloatArray:
    """Draw ``n_draws`` parameter vectors from the asymptotic normal of the log parameters.

    Returns the parameters on their natural scale, shape ``(n_draws, k)``.

    Examples
    --------
    >>> from retention_kpis.clv import GammaGammaModel
    >>> from retention_kpis.datasets import load_cdnow_summary
    >>> buyers = load_cdnow_summary().query("frequency > 0")  # 946 repeat buyers
    >>> m = GammaGammaModel().fit(buyers["frequency"], buyers["monetary_value"])
    >>> draws = log_parameter_draws(m, 5, np.random.default_rng(0))
    >>> draws.shape, bool((draws > 0).all())
    ((5, 3), True)
    """
    out: FloatArray = np.exp(_coordinate_draws(model, n_draws, rng, func))
    return out


def _coordinates(model: Any, func: str) -> tuple[FloatArray, FloatArray]:  # noqa: ANN401
    """Mean and covariance of the normal the parameters are drawn from, in its coordinates.

    The log parameters for the models without covariates; a model may define its own
    coordinates with ``_interval_coordinates(func)`` and ``_at_coordinates(vector)`` (the
    covariate models: log base parameters and the coefficients as they are).
    """
    own = getattr(model, "_interval_coordinates", None)
    if own is not None:
        mean, cov = own(func)
        return np.asarray(mean, dtype=np.float64), np.asarray(cov, dtype=np.float64)
    return _log_covariance(model, func)


def _at(model: Any, vector: FloatArray) -> Any:  # noqa: ANN401 - the model's own type
    """Return the model at ``vector`` (in the coordinates of :func:`_coordinates`)."""
    own = getattr(model, "_at_coordinates", None)
    if own is not None:
        return own(vector)
    names = list(type(model.params).model_fields)
    theta = np.exp(vector)
    return type(model).from_params(**dict(zip(names, theta.tolist(), strict=True)))


def _coordinate_draws(
    model: Any,  # noqa: ANN401 - any fitted model
    n_draws: int,
    rng: np.random.Generator,
    func: str,
) -> FloatArray:
    """``n_draws`` vectors from the asymptotic normal, in the model's coordinates."""
    mean, cov = _coordinates(model, func)
    values, vectors = np.linalg.eigh(cov)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    normal = rng.standard_normal((n_draws, len(mean)))
    out: FloatArray = mean + normal @ root.T
    return out


def _shown_parameters(model: Any) -> str:  # noqa: ANN401
    params = getattr(model, "params", None)
    return repr(model) if params is None else repr(params)


Evaluate = Callable[[Sequence[Any], slice], FloatArray]
"""Values at the rows ``rows`` of the models given (one per fitted model, at some parameters)."""


@dataclass(frozen=True)
class Propagated:
    """Per-row bounds and the total with its bounds."""

    low: FloatArray
    high: FloatArray
    total_low: float
    total_high: float


def _quantiles(values: FloatArray, levels: tuple[float, float]) -> FloatArray:
    """Quantiles over draws (axis 0); infinite draws stay infinite (no inf - inf = nan)."""
    big = np.finfo(np.float64).max
    finite = np.nan_to_num(values, nan=np.nan, posinf=big, neginf=-big)
    out: FloatArray = np.quantile(finite, levels, axis=0)
    out[out >= big] = math.inf
    return out


def _evaluate_draw(
    evaluate: Evaluate, at_draw: Sequence[Any], rows: slice, where: str
) -> FloatArray:
    """Evaluate at one draw; an undefined prediction there is named as such."""
    try:
        return evaluate(at_draw, rows)
    except RetentionKPIsError as exc:
        shown = ", ".join(_shown_parameters(m) for m in at_draw)
        msg = (
            f"{where} of the parameters ({shown}): {exc} The parameters are too uncertain "
            "for a sampled interval; use method='delta' or more data."
        )
        raise InvalidInputError(msg) from exc


def _sampling(
    models: Sequence[Any],
    evaluate: Evaluate,
    counts: FloatArray,
    *,
    levels: tuple[float, float],
    n_draws: int,
    seed: int,
    func: str,
) -> Propagated:
    rng = np.random.default_rng(seed)
    draws = [_coordinate_draws(model, n_draws, rng, func) for model in models]
    drawn = [[_at(model, draws[i][d]) for i, model in enumerate(models)] for d in range(n_draws)]
    n = len(counts)
    low, high, totals = np.empty(n), np.empty(n), np.zeros(n_draws)
    block = max(1, _CELLS // n_draws)
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        values = np.empty((n_draws, rows.stop - rows.start))
        for d, at_draw in enumerate(drawn):
            where = f"{func}: the prediction is undefined at draw {d + 1} of {n_draws}"
            values[d] = _evaluate_draw(evaluate, at_draw, rows, where)
        totals += values @ counts[rows]
        low[rows], high[rows] = _quantiles(values, levels)
    total_low, total_high = _quantiles(totals[:, None], levels)[:, 0]
    return Propagated(low, high, float(total_low), float(total_high))


def _delta_bounds(
    value: FloatArray, se: FloatArray, z: float, kind: Kind
) -> tuple[FloatArray, FloatArray]:
    """``value +- z se`` on the log scale (amounts) or the logit scale (probabilities)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind == "probability":
            inside = (value > 0) & (value < 1)
            logit = np.log(value) - np.log1p(-value)
            spread = z * se / (value * (1.0 - value))
            low = np.where(inside, 1.0 / (1.0 + np.exp(-(logit - spread))), value - z * se)
            high = np.where(inside, 1.0 / (1.0 + np.exp(-(logit + spread))), value + z * se)
            return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
        positive = value > 0
        factor = np.exp(z * se / value)
        low = np.where(positive, value / factor, np.maximum(value - z * se, 0.0))
        high = np.where(positive, value * factor, value + z * se)
    return low, high


def _delta(
    models: Sequence[Any],
    evaluate: Evaluate,
    counts: FloatArray,
    point: FloatArray,
    *,
    z: float,
    kind: Kind,
    func: str,
) -> Propagated:
    rows = slice(0, len(counts))
    columns: list[FloatArray] = []
    blocks: list[FloatArray] = []
    for i, model in enumerate(models):
        log_theta, cov = _coordinates(model, func)
        blocks.append(cov)
        for j in range(len(log_theta)):
            shifted = []
            for sign in (1.0, -1.0):
                moved = log_theta.copy()
                moved[j] += sign * _STEP
                at = [*models[:i], _at(model, moved), *models[i + 1 :]]
                shifted.append(np.asarray(evaluate(at, rows), dtype=np.float64))
            columns.append((shifted[0] - shifted[1]) / (2 * _STEP))
    gradient = np.column_stack(columns)
    size = sum(len(block) for block in blocks)
    cov_all = np.zeros((size, size))
    offset = 0
    for block in blocks:
        cov_all[offset : offset + len(block), offset : offset + len(block)] = block
        offset += len(block)
    se = np.sqrt(np.clip(np.einsum("nk,kl,nl->n", gradient, cov_all, gradient), 0.0, None))
    low, high = _delta_bounds(point, se, z, kind)
    total_gradient = counts @ gradient
    total_se = math.sqrt(max(float(total_gradient @ cov_all @ total_gradient), 0.0))
    total = np.array([float(counts @ point)])
    total_low, total_high = _delta_bounds(total, np.array([total_se]), z, "amount")
    return Propagated(low, high, float(total_low[0]), float(total_high[0]))


def propagate(
    models: Sequence[Any],
    evaluate: Evaluate,
    counts: FloatArray,
    point: FloatArray,
    *,
    kind: Kind,
    confidence: float,
    method: IntervalMethod,
    n_draws: int,
    seed: int,
    func: str,
) -> Propagated:
    """Carry the parameters' uncertainty to a prediction, per (distinct) row and in total.

    ``evaluate(models, rows)`` returns the prediction at ``rows`` of the distinct
    rows for the given models; ``counts`` is how many input rows each distinct
    row stands for (the total is ``counts @ values``); ``point`` the prediction at
    the fitted parameters.
    """
    if method == "delta":
        from scipy.special import ndtri  # noqa: PLC0415 - scipy is imported lazily

        z = float(ndtri(0.5 + confidence / 2.0))
        return _delta(models, evaluate, counts, point, z=z, kind=kind, func=func)
    levels = ((1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0)
    return _sampling(models, evaluate, counts, levels=levels, n_draws=n_draws, seed=seed, func=func)


def check_interval_options(
    confidence: object, method: object, n_draws: object, seed: object, func: str
) -> tuple[float, IntervalMethod, int, int]:
    """Validate the interval options with the library's message template."""
    level = check_confidence(confidence, func)
    delta = check_choice(method, "method", func, _METHODS) == "delta"
    chosen: IntervalMethod = "delta" if delta else "sampling"
    draws = check_count(n_draws, "n_draws", func)
    if draws < 2:
        msg = f"The 'n_draws' parameter of {func} must be >= 2. Got {n_draws!r} instead."
        raise InvalidInputError(msg)
    return level, chosen, draws, check_count(seed, "seed", func)
