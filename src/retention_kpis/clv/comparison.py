"""Model comparison on one calibration/holdout summary: fit statistics and holdout errors.

:func:`compare_models` fits each transaction model (BG/NBD, MBG/NBD, Pareto/NBD)
to the calibration columns of a :func:`~retention_kpis.clv.calibration_holdout_split`
summary and returns one row per model: log-likelihood, AIC and BIC on the
calibration data, and how well each predicts the purchases of the holdout
window, per customer and in aggregate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final

import numpy as np

from retention_kpis.clv.bgnbd import BetaGeoModel
from retention_kpis.clv.mbgnbd import ModifiedBetaGeoModel
from retention_kpis.clv.pareto_nbd import ParetoNBDModel
from retention_kpis.clv.value import read_columns
from retention_kpis.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COMPARISON_COLUMNS", "compare_models"]

_FUNC: Final = "compare_models"
_COLUMNS: Final = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")
_NAMED: Final[dict[str, type[BetaGeoModel | ModifiedBetaGeoModel | ParetoNBDModel]]] = {
    "bgnbd": BetaGeoModel,
    "mbgnbd": ModifiedBetaGeoModel,
    "pareto_nbd": ParetoNBDModel,
}
TransactionModel = BetaGeoModel | ModifiedBetaGeoModel | ParetoNBDModel

COMPARISON_COLUMNS: Final = (
    "parameters",
    "log_likelihood",
    "aic",
    "bic",
    "holdout_mae",
    "holdout_rmse",
    "holdout_bias",
    "holdout_actual",
    "holdout_predicted",
    "aggregate_error",
)
"""Columns of :func:`compare_models`, in order."""


def _models(models: object, penalizer_coef: float) -> dict[str, TransactionModel]:
    """Unfitted models by label, from names or from model instances (used as templates)."""
    if isinstance(models, Mapping):
        items = list(models.items())
    elif isinstance(models, Sequence) and not isinstance(models, str):
        items = [(name, name) for name in models]
    else:
        items = []
    built: dict[str, TransactionModel] = {}
    for label, model in items:
        if isinstance(model, str) and model in _NAMED:
            built[str(label)] = _NAMED[model](penalizer_coef=penalizer_coef)
        elif isinstance(model, (BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel)):
            built[str(label)] = type(model)(
                penalizer_coef=model.penalizer_coef, time_unit=model.time_unit
            )
        else:
            break
    else:
        if built:
            return built
    msg = (
        f"The 'models' parameter of {_FUNC} must be a non-empty sequence of names in "
        f"{sorted(_NAMED)} or a mapping of labels to BetaGeoModel, ModifiedBetaGeoModel or "
        f"ParetoNBDModel. Got {models!r} instead."
    )
    raise InvalidInputError(msg)


def compare_models(
    summary: object,
    models: Sequence[str] | Mapping[str, TransactionModel] = ("bgnbd", "mbgnbd", "pareto_nbd"),
    *,
    penalizer_coef: float = 0.0,
) -> pd.DataFrame:
    """Fit several transaction models to one summary; compare fit and holdout predictions.

    Each model is fitted to ``frequency``, ``recency`` and ``T`` (the
    calibration window). With ``k`` parameters, ``n`` customers and
    ``LL`` the maximised total log-likelihood:

    * ``aic = 2 k - 2 LL`` and ``bic = k ln(n) - 2 LL`` (lower is better;
      comparable across models because all are fitted to the same data);
    * per customer, ``predicted`` = ``expected_purchases(duration_holdout,
      frequency, recency, T)`` (conditional expected purchases in the holdout
      window) and ``actual`` = ``frequency_holdout``;
      ``holdout_mae = mean |predicted - actual|``,
      ``holdout_rmse = sqrt(mean (predicted - actual) ** 2)``,
      ``holdout_bias = mean (predicted - actual)`` (positive: over-forecast);
    * in aggregate, ``holdout_actual`` and ``holdout_predicted`` are the totals
      over customers and ``aggregate_error = (predicted - actual) / actual``,
      the relative tracking error of the total over the whole holdout window
      (nan when nobody bought in the holdout).

    Parameters
    ----------
    summary : DataFrame or mapping of arrays
        The output of :func:`calibration_holdout_split` (pandas, polars,
        pyarrow; lazy frames are collected): ``frequency``, ``recency``,
        ``T``, ``frequency_holdout`` and ``duration_holdout``, in one time
        unit. Never modified.
    models : sequence of str or mapping of str to model, default=("bgnbd", "mbgnbd", "pareto_nbd")
        Names (``"bgnbd"``, ``"mbgnbd"``, ``"pareto_nbd"``), or labels mapped to
        model instances. An instance is a template: a new model of its class
        with its ``penalizer_coef`` is fitted, so the instance is not changed.
    penalizer_coef : float, default=0.0
        L2 penalty of the models given by name (see
        :attr:`ProbabilityModel.penalizer_coef`). With a penalty, AIC and BIC
        still use the unpenalised log-likelihood.

    Returns
    -------
    pandas.DataFrame
        One row per model, indexed by its name or label, with the columns of
        :data:`COMPARISON_COLUMNS` (``parameters`` is ``k``).

    Raises
    ------
    ColumnNotFoundError
        If a column is missing.
    InvalidInputError
        If ``models`` is malformed, values are negative, nan or inf, or
        ``recency > T``.
    ConvergenceError
        If a model cannot be fitted.

    Examples
    --------
    CDNOW, 39 calibration weeks and 39 holdout weeks (all 23,570 customers):

    >>> from retention_kpis.clv import calibration_holdout_split
    >>> from retention_kpis.datasets import load_cdnow
    >>> summary = calibration_holdout_split(
    ...     load_cdnow(), customer_id="customer_id", timestamp="date",
    ...     calibration_end="1997-09-30", observation_end="1998-06-30", time_scaler=7.0,
    ... )
    >>> table = compare_models(summary, ["bgnbd", "mbgnbd"])
    >>> table[["log_likelihood", "bic", "holdout_actual", "holdout_predicted"]].round(1)
            log_likelihood       bic  holdout_actual  holdout_predicted
    bgnbd         -95368.4  190777.2         19684.0            16873.7
    mbgnbd        -95337.0  190714.2         19684.0            15933.6
    """
    import pandas as pd  # noqa: PLC0415 - pandas is imported only when a table is asked for

    built = _models(models, penalizer_coef)
    hint = "retention_kpis.clv.calibration_holdout_split(...)"
    data = read_columns(summary, _COLUMNS, _FUNC, hint=hint)
    frequency, recency, T = data["frequency"], data["recency"], data["T"]
    late = int(np.sum(recency > T))
    if late:
        msg = f"Some values in recency are larger than T ({late} of {len(T)} rows)."
        raise InvalidInputError(msg)
    actual = data["frequency_holdout"]
    n = len(frequency)
    rows: dict[str, list[float]] = {}
    for label, model in built.items():
        model.fit(frequency, recency, T)
        k = len(type(model.params).model_fields)
        ll = model.log_likelihood
        predicted = np.asarray(
            model.expected_purchases(data["duration_holdout"], frequency, recency, T),
            dtype=np.float64,
        )
        error = predicted - actual
        total_actual, total_predicted = float(actual.sum()), float(predicted.sum())
        relative = (total_predicted - total_actual) / total_actual if total_actual else math.nan
        rows[label] = [
            k,
            ll,
            2 * k - 2 * ll,
            k * math.log(n) - 2 * ll,
            float(np.mean(np.abs(error))),
            math.sqrt(float(np.mean(error**2))),
            float(np.mean(error)),
            total_actual,
            total_predicted,
            relative,
        ]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(COMPARISON_COLUMNS))
    result: pd.DataFrame = table.astype({"parameters": "int64"})
    return result
