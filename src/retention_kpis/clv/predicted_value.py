"""CLV as a typed prediction with its time unit and, optionally, its interval.

:func:`customer_lifetime_value` returns a bare array, as lifetimes does.
:func:`predict_clv` computes the same numbers and wraps them in a
:class:`~retention_kpis.clv.Prediction`: the customer ids, the horizon in the
model's time unit, the total over customers and, with ``confidence``, an
interval carried from the uncertainty of both fits (the transaction model's and
the spend model's parameters are drawn independently: they were fitted
separately). See :mod:`retention_kpis.clv.uncertainty` for the method.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from retention_kpis._core.checks import check_amount
from retention_kpis.clv._base import FloatArray
from retention_kpis.clv.predictions import Prediction, customer_ids, prediction_with_interval
from retention_kpis.clv.uncertainty import check_interval_options
from retention_kpis.clv.units import describe_time_unit, resolve_time_unit, units_per_month
from retention_kpis.clv.value import (
    TransactionModel,
    check_horizon,
    check_model,
    discounted_value,
    expected_average_value,
    raw_column,
    summary_arrays,
)

__all__ = ["predict_clv"]

_FUNC = "predict_clv"


def _ids(summary: object, customer_id: object, n: int) -> list[str | int] | None:
    """Ids from a column of ``summary`` (``customer_id`` a str) or given as an array."""
    if isinstance(customer_id, str):
        return customer_ids(raw_column(summary, customer_id, _FUNC), n, _FUNC)
    return customer_ids(customer_id, n, _FUNC)


def predict_clv(
    transaction_model: TransactionModel,
    spend_model: Any,  # noqa: ANN401 - a fitted GammaGammaModel
    summary: object,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    time_unit: str | None = None,
    customer_id: object = None,
    confidence: float | None = None,
    method: str = "sampling",
    n_draws: int = 1000,
    seed: int = 0,
) -> Prediction:
    """Discounted CLV of each customer as a :class:`Prediction`, optionally with an interval.

    The values are those of :func:`customer_lifetime_value` (same formula, same
    arguments); the result adds the customer ids, the unit, the horizon in the
    model's time unit, the total over customers, and with ``confidence`` the
    bounds of each customer's CLV and of the total.

    Parameters
    ----------
    transaction_model, spend_model, summary, horizon_months, discount_rate
        As :func:`customer_lifetime_value`.
    time_unit : str, optional
        Unit of ``recency`` and ``T``; default the transaction model's recorded
        :attr:`~ProbabilityModel.time_unit`, else ``"D"`` (see
        :func:`customer_lifetime_value`).
    customer_id : str or array-like, optional
        A column of ``summary`` holding the ids (as :func:`rfm_summary` names
        it), or the ids themselves, one per row.
    confidence : float, optional
        Level of the interval in (0, 1); ``None`` (default): no interval. Both
        models must then be fitted (the interval needs their covariances).
    method : {"sampling", "delta"}, default="sampling"
        See :mod:`retention_kpis.clv.uncertainty`.
    n_draws : int, default=1000
        Parameter draws of ``method="sampling"``.
    seed : int, default=0
        Seed of the draws.

    Returns
    -------
    Prediction
        ``quantity="clv"``, ``unit`` the currency of ``monetary_value``.

    Examples
    --------
    >>> from retention_kpis.clv import BetaGeoModel, GammaGammaModel
    >>> bgnbd = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> bgnbd.time_unit = "W"
    >>> gamma_gamma = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> summary = {"id": [1, 2], "frequency": [2, 0], "recency": [30.43, 0.0], "T": [38.86, 38.86],
    ...            "monetary_value": [22.35, 0.0]}
    >>> result = predict_clv(bgnbd, gamma_gamma, summary, customer_id="id")
    >>> [round(v, 2) for v in result.value], result.horizon
    ([36.29, 8.37], '12 months = 52.14 time units = 52.14 weeks')
    """
    horizon = check_horizon(horizon_months, _FUNC)
    rate = check_amount(discount_rate, "discount_rate", _FUNC)
    check_model(transaction_model, "expected_purchases", "transaction_model", _FUNC)
    check_model(spend_model, "expected_average_value", "spend_model", _FUNC)
    recorded = getattr(transaction_model, "time_unit", None)
    unit = resolve_time_unit(time_unit, recorded if isinstance(recorded, str) else None, _FUNC)
    month = units_per_month(unit, _FUNC)
    options = None
    if confidence is not None:
        options = check_interval_options(confidence, method, n_draws, seed, _FUNC)
    arrays = summary_arrays(summary, _FUNC)
    frequency, recency, T = arrays["frequency"], arrays["recency"], arrays["T"]
    monetary = arrays["monetary_value"]
    n = len(frequency)
    ids = _ids(summary, customer_id, n)

    def evaluate(models: Sequence[Any], rows: slice) -> FloatArray:
        if rows.stop == rows.start:
            return np.empty(0)
        average = expected_average_value(models[1], frequency_d[rows], monetary_d[rows])
        return discounted_value(
            models[0],
            frequency_d[rows],
            recency_d[rows],
            T_d[rows],
            average,
            horizon_months=horizon,
            discount_rate=rate,
            units_per_month=month,
        )

    stacked = np.column_stack([frequency, recency, T, monetary]) if n else np.zeros((0, 4))
    unique, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    frequency_d, recency_d, T_d, monetary_d = (unique[:, j] for j in range(4))
    inverse = inverse.ravel()
    models = [transaction_model, spend_model]
    point_d = evaluate(models, slice(0, len(counts)))
    point = point_d[inverse]
    fields: dict[str, Any] = {
        "quantity": "clv",
        "model": f"{type(transaction_model).__name__} + {type(spend_model).__name__}",
        "unit": "currency of monetary_value",
        "time_unit": unit,
        "time_unit_description": describe_time_unit(unit),
        "horizon": _horizon_text(horizon, month, unit),
        "customer_id": ids,
        "value": point.tolist(),
        "total": float(point.sum()),
    }
    if options is None:
        return Prediction(**fields)
    return prediction_with_interval(
        fields,
        options,
        models=models,
        evaluate=evaluate,
        counts=counts.astype(np.float64),
        point_distinct=point_d,
        inverse=inverse,
        kind="amount",
        func=_FUNC,
    )


def _horizon_text(horizon: int, month: float, unit: str) -> str:
    """``"12 months = 52.14 time units = 52.14 weeks"``."""
    units = horizon * month
    text = describe_time_unit(unit)[len("1 time unit = ") :]
    multiplier, _, name = text.partition(" ")
    total = units * float(multiplier)
    plural = name if name.endswith("s") else name + "s"
    return f"{horizon} months = {units:.4g} time units = {total:.4g} {plural}"
