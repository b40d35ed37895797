"""Predictions of a fitted model as a typed, JSON-serialisable result with its time unit.

:meth:`ProbabilityModel.predict` (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, sBG,
Gamma-Gamma) calls one of the model's prediction methods and wraps its array in
a :class:`Prediction`: the values per row, their total, the customer ids, the
model's time unit and what the window ``t`` means in it, and with
``confidence`` an interval from the parameters' uncertainty
(:mod:`retention_kpis.clv.uncertainty`). The model methods themselves keep
returning numpy arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._core.arrays import FloatArray
from retention_kpis._core.values import MaybeNaN
from retention_kpis.clv.uncertainty import (
    Evaluate,
    IntervalMethod,
    Kind,
    check_interval_options,
    propagate,
)
from retention_kpis.clv.units import describe_horizon, describe_time_unit
from retention_kpis.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PREDICTIONS", "Prediction", "customer_ids", "predict"]


@dataclass(frozen=True)
class _Quantity:
    kind: Kind
    time_arg: int | None
    unit: str


PREDICTIONS: Final[dict[str, _Quantity]] = {
    "probability_alive": _Quantity("probability", None, "probability"),
    "expected_purchases": _Quantity("amount", 0, "purchases"),
    "expected_purchases_new_customer": _Quantity("amount", 0, "purchases"),
    "probability_of_purchases": _Quantity("probability", 1, "probability"),
    "expected_average_value": _Quantity("amount", None, "currency of monetary_value"),
    "population_mean_value": _Quantity("amount", None, "currency of monetary_value"),
    "survival": _Quantity("probability", 0, "probability"),
    "probability_churn": _Quantity("probability", 0, "probability"),
    "retention_rate": _Quantity("probability", 0, "probability"),
    "expected_lifetime": _Quantity("amount", None, "time units"),
    "discounted_expected_residual_lifetime": _Quantity("amount", None, "time units"),
}
"""Prediction methods :meth:`ProbabilityModel.predict` wraps: kind, position of ``t``, unit."""


class Prediction(BaseModel):
    """Predictions of a fitted model, per row and in total, with their unit and interval.

    ``value`` holds the model's prediction at the fitted parameters, one per row
    (customer); ``low`` and ``high`` the interval from the parameters'
    uncertainty when one was asked for (``None`` otherwise); ``total`` is the sum
    over the rows, with its own interval (from the sum within each draw).
    ``time_unit`` is the model's :attr:`~ProbabilityModel.time_unit` (``None``:
    not recorded) and ``horizon`` says how long the window ``t`` is in it.
    Serialise with ``model_dump_json()``: strict JSON (nan is ``null``).

    Examples
    --------
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> model.time_unit = "W"
    >>> result = model.predict("expected_purchases", 39, [2, 0], [30.43, 0], 38.86,
    ...                        customer_id=["a", "b"])
    >>> result.horizon
    't = 39 time units = 39 weeks'
    >>> result.to_frame().round(3)
      customer_id  value  low  high
    0           a  1.226  NaN   NaN
    1           b  0.195  NaN   NaN
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    quantity: str
    model: str
    unit: str
    time_unit: str | None
    time_unit_description: str
    horizon: str | None = None
    customer_id: list[str | int] | None = None
    value: list[MaybeNaN]
    low: list[MaybeNaN] | None = None
    high: list[MaybeNaN] | None = None
    total: MaybeNaN
    total_low: MaybeNaN | None = None
    total_high: MaybeNaN | None = None
    confidence: float | None = Field(default=None, gt=0.0, lt=1.0)
    interval_method: IntervalMethod | None = None
    n_draws: int | None = Field(default=None, ge=2)
    seed: int | None = Field(default=None, ge=0)

    @property
    def values(self) -> FloatArray:
        """``value`` as a numpy array (what the model's own method returns)."""
        return np.asarray(self.value, dtype=np.float64)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per prediction: ``customer_id`` (if given), ``value``, ``low``, ``high``.

        ``attrs`` of the frame hold ``quantity``, ``unit``, ``time_unit``,
        ``horizon`` and ``confidence``.
        """
        import pandas as pd  # noqa: PLC0415 - pandas is imported only when a frame is asked for

        n = len(self.value)
        missing = [math.nan] * n
        columns: dict[str, list[Any]] = {}
        if self.customer_id is not None:
            columns["customer_id"] = list(self.customer_id)
        columns["value"] = list(self.value)
        columns["low"] = missing if self.low is None else list(self.low)
        columns["high"] = missing if self.high is None else list(self.high)
        frame: pd.DataFrame = pd.DataFrame(columns)
        frame.attrs.update(
            quantity=self.quantity,
            unit=self.unit,
            time_unit=self.time_unit,
            horizon=self.horizon,
            confidence=self.confidence,
        )
        return frame


def customer_ids(customer_id: object, n: int, func: str) -> list[str | int] | None:
    """``customer_id`` as a list of ``n`` strings or integers (None stays None)."""
    if customer_id is None:
        return None
    try:
        listed = np.asarray(customer_id).tolist()
    except (TypeError, ValueError):
        listed = None
    if not isinstance(listed, list) or len(listed) != n:
        shown = len(listed) if isinstance(listed, list) else type(customer_id).__name__
        msg = (
            f"The 'customer_id' parameter of {func} must hold one id per prediction ({n}). "
            f"Got {shown} instead."
        )
        raise InvalidInputError(msg)
    bad = sum(1 for item in listed if isinstance(item, bool) or not isinstance(item, (str, int)))
    if bad:
        msg = (
            f"The 'customer_id' parameter of {func} must hold strings or integers. "
            f"Got {bad} other value(s) instead."
        )
        raise InvalidInputError(msg)
    return listed


# -- rows: which arguments vary per row, and their distinct combinations ---------------
def _row_columns(
    args: Sequence[object], kwargs: dict[str, object], n: int
) -> tuple[dict[int | str, FloatArray], bool]:
    """Numeric 1-D arguments of length ``n`` (by position or name); False if one is unknown."""
    columns: dict[int | str, FloatArray] = {}
    named: list[tuple[int | str, object]] = [*enumerate(args), *kwargs.items()]
    for key, value in named:
        array = np.asarray(value) if not isinstance(value, (str, bytes)) else None
        if array is None or array.dtype.kind not in "biuf":
            return {}, False
        if array.ndim == 0 or (array.ndim == 1 and len(array) == 1 and n != 1):
            continue
        if array.ndim != 1 or len(array) != n:
            return {}, False
        columns[key] = array.astype(np.float64)
    return columns, True


def _distinct(
    columns: dict[int | str, FloatArray], n: int
) -> tuple[dict[int | str, FloatArray], npt.NDArray[np.intp], FloatArray]:
    """Distinct rows of the columns, the index mapping rows back, and the rows' counts."""
    if not columns:
        return {}, np.zeros(n, dtype=np.intp), np.array([float(n)])
    stacked = np.column_stack(list(columns.values()))
    unique, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    distinct = {key: unique[:, j] for j, key in enumerate(columns)}
    return distinct, inverse.ravel().astype(np.intp), counts.astype(np.float64)


def _check_quantity(model: Any, quantity: object, func: str) -> _Quantity:  # noqa: ANN401
    available = [name for name in PREDICTIONS if callable(getattr(model, name, None))]
    if not isinstance(quantity, str) or quantity not in available:
        msg = (
            f"The 'quantity' parameter of {func} must be one of {available}. "
            f"Got {quantity!r} instead."
        )
        raise InvalidInputError(msg)
    return PREDICTIONS[quantity]


def prediction_with_interval(
    fields: dict[str, Any],
    options: tuple[float, IntervalMethod, int, int],
    *,
    models: Sequence[Any],
    evaluate: Evaluate,
    counts: FloatArray,
    point_distinct: FloatArray,
    inverse: npt.NDArray[np.intp],
    kind: Kind,
    func: str,
) -> Prediction:
    """Return the :class:`Prediction` of ``fields`` with its interval, per row and in total.

    :func:`~retention_kpis.clv.uncertainty.propagate` carries the parameters' uncertainty
    to the distinct rows (``point_distinct``, ``counts`` input rows each); ``inverse`` maps
    the input rows back to them. ``options`` is the checked ``(confidence, method, n_draws,
    seed)``; the draws and seed are recorded only for ``"sampling"``. Shared by
    :func:`predict`, :func:`~retention_kpis.clv.predict_clv` and the covariate models.
    """
    level, chosen, draws, seed = options
    bounds = propagate(
        models,
        evaluate,
        counts,
        point_distinct,
        kind=kind,
        confidence=level,
        method=chosen,
        n_draws=draws,
        seed=seed,
        func=func,
    )
    fields.update(
        low=bounds.low[inverse].tolist(),
        high=bounds.high[inverse].tolist(),
        total_low=bounds.total_low,
        total_high=bounds.total_high,
        confidence=level,
        interval_method=chosen,
        n_draws=draws if chosen == "sampling" else None,
        seed=seed if chosen == "sampling" else None,
    )
    return Prediction(**fields)


def predict(
    model: Any,  # noqa: ANN401 - any fitted ProbabilityModel
    quantity: str,
    *args: object,
    customer_id: object = None,
    confidence: float | None = None,
    method: str = "sampling",
    n_draws: int = 1000,
    seed: int = 0,
    **kwargs: object,
) -> Prediction:
    """Evaluate ``getattr(model, quantity)(*args, **kwargs)`` as a :class:`Prediction`.

    Parameters
    ----------
    model : ProbabilityModel
        A fitted model (an interval needs its covariance, so a model built by
        ``from_params`` can only give ``confidence=None``).
    quantity : str
        A prediction method of the model: ``probability_alive``,
        ``expected_purchases``, ``expected_purchases_new_customer``,
        ``probability_of_purchases`` (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB),
        ``expected_average_value``, ``population_mean_value`` (Gamma-Gamma),
        ``survival``, ``probability_churn``, ``retention_rate``,
        ``expected_lifetime``, ``discounted_expected_residual_lifetime`` (sBG).
    *args, **kwargs
        The method's own arguments, as it takes them (``t, frequency, recency,
        T`` for ``expected_purchases``).
    customer_id : array-like of str or int, optional
        One id per predicted row, kept in the result and its frame.
    confidence : float, optional
        Level of the interval in (0, 1); ``None`` (default): no interval.
    method : {"sampling", "delta"}, default="sampling"
        How the uncertainty is carried (see :mod:`retention_kpis.clv.uncertainty`).
    n_draws : int, default=1000
        Parameter draws of ``method="sampling"`` (``>= 2``).
    seed : int, default=0
        Seed of the draws: the same seed gives the same interval.

    Returns
    -------
    Prediction
        ``value`` per row, ``total``, the model's time unit, and with
        ``confidence`` the bounds ``low``/``high`` and ``total_low``/``total_high``.

    Raises
    ------
    InvalidInputError
        On an unknown quantity, bad options, ids of the wrong length, an
        interval asked of a model without a fit, or the method's own input errors.

    Examples
    --------
    Survival of a cohort (Fader & Hardie 2007's "regular" customers), monthly:

    >>> from retention_kpis.clv import ShiftedBetaGeometricModel
    >>> m = ShiftedBetaGeometricModel(time_unit="M").fit([1000, 869, 743, 653, 593, 551, 517, 491])
    >>> result = predict(m, "survival", [1, 12], confidence=0.95)
    >>> [round(v, 3) for v in result.value], [round(v, 3) for v in result.low]
    ([0.851, 0.378], [0.831, 0.339])
    >>> result.horizon
    't given per row, in time units of 1 month'
    >>> all(lo <= v <= hi for lo, v, hi in zip(result.low, result.value, result.high))
    True
    """
    func = f"{type(model).__name__}.predict"
    spec = _check_quantity(model, quantity, func)
    options = None
    if confidence is not None:
        options = check_interval_options(confidence, method, n_draws, seed, func)
    method_of = getattr(model, quantity)
    point = np.atleast_1d(np.asarray(method_of(*args, **kwargs), dtype=np.float64))
    n = len(point)
    ids = customer_ids(customer_id, n, func)
    unit = getattr(model, "time_unit", None)
    horizon = None
    t_value: object = kwargs.get("t")
    if spec.time_arg is not None and spec.time_arg < len(args):
        t_value = args[spec.time_arg]
    if spec.time_arg is not None and t_value is not None:
        listed = np.atleast_1d(np.asarray(t_value, dtype=np.float64)).tolist()
        horizon = describe_horizon(listed, unit)
    fields: dict[str, Any] = {
        "quantity": quantity,
        "model": type(model).__name__,
        "unit": spec.unit,
        "time_unit": unit,
        "time_unit_description": describe_time_unit(unit),
        "horizon": horizon,
        "customer_id": ids,
        "value": point.tolist(),
        "total": float(point.sum()),
    }
    if options is None:
        return Prediction(**fields)
    columns, sliceable = _row_columns(args, kwargs, n)
    sliceable = sliceable and (bool(columns) or n == 1)
    if sliceable:
        distinct, inverse, counts = _distinct(columns, n)
    else:
        distinct, inverse, counts = {}, np.arange(n, dtype=np.intp), np.ones(n)
    m = len(counts)

    def evaluate(at: Sequence[Any], rows: slice) -> FloatArray:
        if not sliceable:
            values = getattr(at[0], quantity)(*args, **kwargs)
            return np.atleast_1d(np.asarray(values, dtype=np.float64))[rows]
        call_args = [distinct[i][rows] if i in distinct else a for i, a in enumerate(args)]
        call_kwargs = {
            key: distinct[key][rows] if key in distinct else value for key, value in kwargs.items()
        }
        values = getattr(at[0], quantity)(*call_args, **call_kwargs)
        out = np.atleast_1d(np.asarray(values, dtype=np.float64))
        size = rows.stop - rows.start
        return out if len(out) == size else np.broadcast_to(out, (size,)).copy()

    point_distinct = np.zeros(m)
    point_distinct[inverse] = point
    return prediction_with_interval(
        fields,
        options,
        models=[model],
        evaluate=evaluate,
        counts=counts,
        point_distinct=point_distinct,
        inverse=inverse,
        kind=spec.kind,
        func=func,
    )
