"""One predictive row per customer, from an event frame: P(alive), purchases, value, CLV."""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias

import narwhals.stable.v2 as nw
import numpy as np

from retention_kpis._core.backends import from_columns, native_kind
from retention_kpis._core.checks import check_amount, check_positive
from retention_kpis._core.columns import CUSTOMER, EVENT, REVENUE, TIMESTAMP
from retention_kpis._core.frames import collect
from retention_kpis.clv._base import FloatArray
from retention_kpis.clv._rfm_periods import TimeUnit
from retention_kpis.clv.bgnbd import BetaGeoModel
from retention_kpis.clv.gamma_gamma import GammaGammaModel
from retention_kpis.clv.mbgnbd import ModifiedBetaGeoModel
from retention_kpis.clv.pareto_nbd import ParetoNBDModel
from retention_kpis.clv.rfm import rfm_summary
from retention_kpis.clv.value import (
    SUMMARY_COLUMNS,
    check_horizon,
    check_time_unit,
    discounted_value,
    expected_average_value,
    summary_arrays,
)
from retention_kpis.events import EventSchema, validate_events
from retention_kpis.exceptions import InvalidInputError

__all__ = ["TransactionModelName", "customer_table"]

TransactionModelName: TypeAlias = Literal["bgnbd", "mbgnbd", "pareto_nbd"]
"""Transaction models :func:`customer_table` can fit."""

_MODELS: Final[dict[str, type[BetaGeoModel | ModifiedBetaGeoModel | ParetoNBDModel]]] = {
    "bgnbd": BetaGeoModel,
    "mbgnbd": ModifiedBetaGeoModel,
    "pareto_nbd": ParetoNBDModel,
}
_FUNC: Final = "customer_table"


def _to_kind(
    result: nw.DataFrame[Any], lazy_backend: nw.Implementation | None, events: object
) -> Any:  # noqa: ANN401 - the caller's kind of frame
    """Return ``result`` as the native kind of the input (lazy inputs get a lazy frame).

    A PySpark (or DuckDB) result is built in the input's own session (connection); a
    SQLFrame input gets a SQLFrame DataFrame in its session.
    """
    if lazy_backend is None:
        return result.to_native()
    if lazy_backend.is_sqlframe():
        return from_columns(
            result.to_dict(as_series=False),
            result.schema,
            backend="sqlframe",
            session=native_kind(events).session,
        )
    backend: Any = lazy_backend  # a lazy input's backend is one narwhals can convert back to
    session = native_kind(events).session if lazy_backend.is_spark_like() else None
    return result.lazy(backend=backend, session=session).to_native()


def customer_table(
    events: Any,  # noqa: ANN401 - any native frame narwhals supports
    *,
    schema: EventSchema | None = None,
    observation_end: object = None,
    time_unit: TimeUnit = "D",
    time_scaler: float = 7.0,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    model: TransactionModelName = "bgnbd",
) -> Any:  # noqa: ANN401 - the caller's kind of frame
    """Fit BG/NBD (or Pareto/NBD) and Gamma-Gamma to purchase events; predict per customer.

    The steps, each a public function or model of :mod:`retention_kpis.clv`:

    1. the purchase events (``event_type == schema.event_types.purchase``) go
       through :func:`rfm_summary` with ``revenue`` as the monetary value;
    2. the transaction model (``model``) is fitted to ``frequency``,
       ``recency``, ``T``; :class:`GammaGammaModel` to the customers with
       repeat purchases of positive value (``frequency > 0``,
       ``monetary_value > 0``);
    3. per customer: ``probability_alive``; ``expected_purchases`` over the
       next ``horizon_months`` months; ``expected_average_value`` (the
       population mean for customers without repeat purchases; for repeat
       buyers whose repeat purchases were all free, the limit of the
       Gamma-Gamma expectation as their mean spend tends to 0); ``clv`` as
       :func:`customer_lifetime_value` computes it.

    A month is 30 days, 4.345 weeks, 1 month or 720 hours of ``time_unit``,
    divided by ``time_scaler`` because ``recency`` and ``T`` are in units of
    ``time_scaler`` periods (the default ``time_unit="D", time_scaler=7``
    counts days and reports weeks, so a month is 30 / 7 weeks).

    Parameters
    ----------
    events : DataFrame or LazyFrame
        The event frame of :func:`retention_kpis.compute_kpis` (pandas, polars
        eager or lazy, pyarrow, DuckDB, ...). Only purchase rows are used;
        the frame is validated against ``schema`` (unknown event types are
        ignored) and never modified.
    schema : EventSchema, optional
        Column and event type names; ``EventSchema()`` by default.
    observation_end : date, datetime or ISO 8601 str, optional
        End of observation; default the last purchase (see :func:`rfm_summary`).
    time_unit : {"D", "W", "M", "h"}, default="D"
        Period to which purchase times are floored.
    time_scaler : float, default=7.0
        ``recency`` and ``T`` are in units of ``time_scaler`` periods.
    horizon_months : int, default=12
        Months of the prediction window, ``1 <= horizon_months <= 1200`` (100 years).
    discount_rate : float, default=0.01
        Monthly discount rate of the CLV, ``>= 0``.
    model : {"bgnbd", "mbgnbd", "pareto_nbd"}, default="bgnbd"
        Transaction model: :class:`BetaGeoModel`, :class:`ModifiedBetaGeoModel`
        or :class:`ParetoNBDModel`.

    Returns
    -------
    DataFrame or LazyFrame
        Same kind as ``events`` (a lazy input gives a lazy frame of its
        backend), one row per customer with a purchase up to
        ``observation_end``, sorted by id: the customer id column (named as
        in ``schema``), ``frequency``, ``recency``, ``T``, ``monetary_value``,
        ``probability_alive`` (in [0, 1]), ``expected_purchases`` (over the
        horizon, ``>= 0``), ``expected_average_value`` and ``clv`` (``>= 0``).

    Raises
    ------
    ColumnNotFoundError
        If a column of ``schema`` is missing.
    InvalidInputError
        If the events fail validation, hold no purchase, or a parameter is out
        of range.
    ConvergenceError
        If a model cannot be fitted (for example nobody bought twice).

    Examples
    --------
    >>> from retention_kpis.datasets import make_events
    >>> table = customer_table(make_events(n_customers=300, seed=1))
    >>> list(table.columns)[1:5]
    ['frequency', 'recency', 'T', 'monetary_value']
    >>> bool(table["probability_alive"].between(0, 1).all()), bool((table["clv"] >= 0).all())
    (True, True)
    """
    schema = EventSchema() if schema is None else schema
    horizon = check_horizon(horizon_months, _FUNC)
    rate = check_amount(discount_rate, "discount_rate", _FUNC)
    scaler = check_positive(time_scaler, "time_scaler", _FUNC)
    units_per_month = check_time_unit(time_unit, _FUNC) / scaler
    if model not in _MODELS:
        msg = (
            f"The 'model' parameter of {_FUNC} must be one of {sorted(_MODELS)}. "
            f"Got {model!r} instead."
        )
        raise InvalidInputError(msg)
    prepared = validate_events(events, schema=schema, unknown_events="ignore")
    purchase = schema.event_types.purchase
    if prepared.type_counts.get(purchase, 0) == 0:
        msg = (
            f"events hold no purchase rows (event_type {purchase!r}); {_FUNC} needs purchases. "
            f"Event types found: {sorted(prepared.type_counts)}."
        )
        raise InvalidInputError(msg)
    purchases = prepared.frame.filter(nw.col(EVENT) == purchase).select(
        CUSTOMER, TIMESTAMP, REVENUE
    )
    source = nw.from_native(events)
    lazy_backend = source.implementation if isinstance(source, nw.LazyFrame) else None
    summary = nw.from_native(
        rfm_summary(
            purchases.to_native(),
            customer_id=CUSTOMER,
            timestamp=TIMESTAMP,
            monetary_value=REVENUE,
            observation_end=observation_end,
            time_unit=time_unit,
            time_scaler=scaler,
        )
    )
    table = collect(summary) if isinstance(summary, nw.LazyFrame) else summary
    arrays = summary_arrays(table, _FUNC)
    predictions = _predict(arrays, model, horizon, rate, units_per_month)
    backend = table.implementation
    result = table.select(
        nw.col(CUSTOMER).alias(schema.customer_id), *(nw.col(name) for name in SUMMARY_COLUMNS)
    ).with_columns(
        *(
            nw.new_series(name, values, nw.Float64, backend=backend)
            for name, values in predictions.items()
        )
    )
    return _to_kind(result, lazy_backend, events)


def _predict(
    arrays: dict[str, FloatArray],
    model: TransactionModelName,
    horizon: int,
    rate: float,
    units_per_month: float,
) -> dict[str, FloatArray]:
    """Fit both models and return the four predicted columns."""
    frequency, recency, T = arrays["frequency"], arrays["recency"], arrays["T"]
    monetary = arrays["monetary_value"]
    transactions = _MODELS[model]().fit(frequency, recency, T)
    paid = (frequency == 0) | (monetary > 0)
    spend = GammaGammaModel().fit(frequency[paid], monetary[paid])
    average_value = expected_average_value(spend, frequency, monetary)
    window = np.full(len(frequency), horizon * units_per_month)
    return {
        "probability_alive": np.asarray(
            transactions.probability_alive(frequency, recency, T), dtype=np.float64
        ),
        "expected_purchases": np.asarray(
            transactions.expected_purchases(window, frequency, recency, T), dtype=np.float64
        ),
        "expected_average_value": average_value,
        "clv": discounted_value(
            transactions,
            frequency,
            recency,
            T,
            average_value,
            horizon_months=horizon,
            discount_rate=rate,
            units_per_month=units_per_month,
        ),
    }
