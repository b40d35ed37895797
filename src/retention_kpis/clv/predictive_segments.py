"""The predictive view of RFM segments: P(alive) and CLV summarised per segment.

:func:`segment_value` takes the output of :func:`~retention_kpis.clv.rfm_segments`
and two fitted models (a transaction model such as BG/NBD and Gamma-Gamma),
predicts each customer's probability of being alive and CLV with
:func:`~retention_kpis.clv.customer_lifetime_value`, and aggregates per segment.
The predictions are numpy (as every model's); the aggregation is one narwhals
group-by, and the result comes back in the input's kind.
"""

from __future__ import annotations

from typing import Any, Final

import narwhals.stable.v2 as nw
import numpy as np

from retention_kpis._core.backends import from_columns, native_kind
from retention_kpis._core.frames import as_lazy_and_eager, collect
from retention_kpis.clv.units import resolve_time_unit
from retention_kpis.clv.value import (
    SpendModel,
    TransactionModel,
    customer_lifetime_value,
    summary_arrays,
)
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

__all__ = ["segment_value"]

_FUNC: Final = "segment_value"
_ALIVE: Final = "__rk_probability_alive"
_CLV: Final = "__rk_clv"


def segment_value(
    segments: Any,  # noqa: ANN401 - any native frame narwhals supports
    transaction_model: TransactionModel,
    spend_model: SpendModel,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    time_unit: str | None = None,
) -> Any:  # noqa: ANN401 - the caller's kind of frame
    """Summarise P(alive) and CLV per RFM segment: customers, means, totals, shares.

    Per customer: ``probability_alive`` from ``transaction_model`` and ``clv``
    from :func:`customer_lifetime_value` (same ``horizon_months``,
    ``discount_rate`` and ``time_unit``). Per segment:

    * ``customers``: number of customers, and ``share_of_customers``;
    * ``mean_probability_alive``: mean P(alive) of the segment's customers;
    * ``expected_alive``: sum of P(alive), the expected number still active;
    * ``mean_clv`` and ``total_clv``, and ``share_of_clv`` = the segment's
      total CLV / the total CLV of all customers (0 when that is 0).

    Parameters
    ----------
    segments : DataFrame or LazyFrame
        The output of :func:`rfm_segments` with a monetary column: ``segment``,
        ``frequency``, ``recency``, ``T`` and ``monetary_value`` (lazy frames
        are collected). Never modified.
    transaction_model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted, with ``probability_alive`` and ``expected_purchases``, in the
        time unit of the summary.
    spend_model : GammaGammaModel
        Fitted spend model.
    horizon_months : int, default=12
        Months of the CLV window, ``>= 1``.
    discount_rate : float, default=0.01
        Monthly discount rate, ``>= 0``.
    time_unit : {"D", "W", "M", "h"} or a multiple such as "7D", optional
        Unit of ``recency`` and ``T``; default the transaction model's recorded
        time unit, else ``"D"`` (see :func:`customer_lifetime_value`).

    Returns
    -------
    DataFrame or LazyFrame
        Same kind as ``segments`` (a lazy input gives a lazy frame of its
        backend), one row per segment present, sorted by ``total_clv``
        descending then segment name: ``segment``, ``customers`` (Int64),
        ``share_of_customers``, ``mean_probability_alive``, ``expected_alive``,
        ``mean_clv``, ``total_clv``, ``share_of_clv`` (Float64).

    Raises
    ------
    ColumnNotFoundError
        If ``segment`` or a summary column is missing.
    InvalidInputError
        If the transaction model has no ``probability_alive``, a parameter is
        out of range, or as :func:`customer_lifetime_value`.
    NotFittedError
        If a model is not fitted.

    Examples
    --------
    Customers without repeat purchases are alive with probability 1 under
    BG/NBD (Fader, Hardie & Lee 2005); the repeat buyer's is
    ``1 / (1 + 0.793 / 3.426 * (43.274 / 34.844) ** 2.243) = 0.7266``:

    >>> import pandas as pd
    >>> from retention_kpis.clv import BetaGeoModel, GammaGammaModel
    >>> bgnbd = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gamma_gamma = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> segments = pd.DataFrame(
    ...     {
    ...         "frequency": [0, 0, 2],
    ...         "recency": [0.0, 0.0, 30.43],
    ...         "T": [20.0, 38.0, 38.86],
    ...         "monetary_value": [0.0, 0.0, 22.35],
    ...         "segment": ["new", "new", "loyal"],
    ...     }
    ... )
    >>> table = segment_value(segments, bgnbd, gamma_gamma, time_unit="W")
    >>> table[["segment", "customers", "mean_probability_alive"]].round(4)
      segment  customers  mean_probability_alive
    0   loyal          1                  0.7266
    1     new          2                  1.0000
    """
    recorded = getattr(transaction_model, "time_unit", None)
    unit = resolve_time_unit(time_unit, recorded if isinstance(recorded, str) else None, _FUNC)
    if not callable(getattr(transaction_model, "probability_alive", None)):
        msg = (
            f"The 'transaction_model' parameter of {_FUNC} must have a probability_alive() "
            f"method. Got {type(transaction_model).__name__} instead."
        )
        raise InvalidInputError(msg)
    table = collect(as_lazy_and_eager(segments, "segments", _FUNC)[0])
    if "segment" not in table.columns:
        msg = (
            f"Missing column(s) ['segment'] in segments for {_FUNC}. Available columns: "
            f"{table.columns}.\nHint: pass the output of rfm_segments."
        )
        raise ColumnNotFoundError(msg)
    arrays = summary_arrays(table, _FUNC)
    frequency, recency, T = arrays["frequency"], arrays["recency"], arrays["T"]
    alive = np.asarray(
        transaction_model.probability_alive(frequency, recency, T),  # type: ignore[attr-defined]
        dtype=np.float64,
    )
    clv = customer_lifetime_value(
        transaction_model,
        spend_model,
        arrays,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        time_unit=unit,
    )
    backend = table.implementation
    customers = max(len(table), 1)
    total = float(clv.sum())
    per_customer = table.select(nw.col("segment")).with_columns(
        nw.new_series(_ALIVE, alive, nw.Float64, backend=backend),
        nw.new_series(_CLV, clv, nw.Float64, backend=backend),
    )
    summary = (
        per_customer.group_by("segment")
        .agg(
            nw.len().alias("customers"),
            nw.col(_ALIVE).mean().alias("mean_probability_alive"),
            nw.col(_ALIVE).sum().alias("expected_alive"),
            nw.col(_CLV).mean().alias("mean_clv"),
            nw.col(_CLV).sum().alias("total_clv"),
        )
        .with_columns(
            nw.col("customers").cast(nw.Int64),
            (nw.col("customers") / customers).cast(nw.Float64).alias("share_of_customers"),
            (nw.col("total_clv") / total if total > 0 else nw.lit(0.0))
            .cast(nw.Float64)
            .alias("share_of_clv"),
        )
        .select(
            "segment",
            "customers",
            "share_of_customers",
            "mean_probability_alive",
            "expected_alive",
            "mean_clv",
            "total_clv",
            "share_of_clv",
        )
        .sort(["total_clv", "segment"], descending=[True, False])
    )
    kind = native_kind(segments)
    columns = summary.to_dict(as_series=False)
    dtypes = {"segment": nw.String(), "customers": nw.Int64()}
    schema = {name: dtypes.get(name, nw.Float64()) for name in columns}
    return from_columns(columns, schema, backend=kind.backend, lazy=kind.lazy, session=kind.session)
