"""Discounted predictive customer lifetime value (CLV).

The value of a customer over the next ``H`` months is the sum, month by month,
of the purchases the transaction model expects in that month times the spend
the spend model expects per purchase, discounted back to today::

    CLV = sum_{i=1..H} (E[X(T, T + i m)] - E[X(T, T + (i-1) m)]) * E[M] / (1 + d) ** i

where ``E[X(T, T + t)]`` is the conditional expected number of purchases in
``(T, T + t]`` given the customer's ``(frequency, recency, T)``, ``E[M]`` the
conditional expected average value per purchase, ``m`` the number of the
summary's time units in a month and ``d`` the **monthly** discount rate.
This is the quantity lifetimes (``GammaGammaFitter.customer_lifetime_value``)
and pymc-marketing (``clv.utils.customer_lifetime_value``) compute, with the
same month lengths: 30 days, 4.345 weeks, 720 hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Protocol, TypeGuard, runtime_checkable

import narwhals.stable.v2 as nw
import numpy as np
import numpy.typing as npt

from retention_kpis._core.checks import check_amount, check_count, check_positive
from retention_kpis._core.frames import collect
from retention_kpis._core.text import count_rows
from retention_kpis.clv._base import FloatArray, ProbabilityModel, as_float_array
from retention_kpis.clv.bgnbd import BetaGeoModel
from retention_kpis.clv.mbgnbd import ModifiedBetaGeoModel
from retention_kpis.clv.pareto_nbd import ParetoNBDModel
from retention_kpis.clv.units import TIME_UNITS_PER_MONTH, resolve_time_unit, units_per_month
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

__all__ = [
    "MAX_HORIZON_MONTHS",
    "SUMMARY_COLUMNS",
    "TIME_UNITS_PER_MONTH",
    "SpendModel",
    "TransactionModel",
    "check_horizon",
    "check_model",
    "check_time_unit",
    "customer_lifetime_value",
    "discounted_value",
    "expected_average_value",
    "raw_column",
    "read_columns",
    "summary_arrays",
]

SUMMARY_COLUMNS: Final = ("frequency", "recency", "T", "monetary_value")

_BLOCK_CELLS: Final = 1 << 21
"""Customer x month cells evaluated per model call (bounds the memory of one call)."""


class TransactionModel(Protocol):
    """What CLV needs from a purchase-count model (BG/NBD, MBG/NBD, Pareto/NBD)."""

    def expected_purchases(
        self, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray, /
    ) -> npt.ArrayLike:
        """Conditional expected number of purchases in ``(T, T + t]``."""


class SpendModel(Protocol):
    """What CLV needs from a spend model (Gamma-Gamma)."""

    def expected_average_value(
        self, frequency: FloatArray, monetary_value: FloatArray, /
    ) -> npt.ArrayLike:
        """Conditional expected average value of one purchase."""


@runtime_checkable
class _AliveTransactionModel(TransactionModel, Protocol):
    def probability_alive(
        self, frequency: FloatArray, recency: FloatArray, T: FloatArray, /
    ) -> npt.ArrayLike: ...


def _factorises(model: object) -> TypeGuard[_AliveTransactionModel]:
    """Whether ``model`` is one whose expectation is P(alive) times a (x, T) term."""
    return isinstance(model, (BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel)) and isinstance(
        model, _AliveTransactionModel
    )


def check_model(
    model: object, method: str, name: str, func: str = "customer_lifetime_value"
) -> None:
    """Raise unless ``model`` has ``method`` and, for our models, is fitted."""
    if not callable(getattr(model, method, None)):
        msg = (
            f"The {name!r} parameter of {func} must have an {method}() "
            f"method. Got {type(model).__name__} instead."
        )
        raise InvalidInputError(msg)
    if isinstance(model, ProbabilityModel):
        _ = model.params  # raises NotFittedError with the model's name


def check_time_unit(time_unit: object, func: str) -> float:
    """Return the length of a month in ``time_unit`` (``"H"`` is read as ``"h"``).

    The period codes of :func:`rfm_summary` only; :func:`customer_lifetime_value`
    also reads multiples (``"7D"``, see :mod:`retention_kpis.clv.units`).
    """
    if time_unit == "H":
        time_unit = "h"
    if not isinstance(time_unit, str) or time_unit not in TIME_UNITS_PER_MONTH:
        choices = ", ".join(repr(unit) for unit in TIME_UNITS_PER_MONTH)
        msg = (
            f"The 'time_unit' parameter of {func} must be one of {choices}. "
            f"Got {time_unit!r} instead."
        )
        raise InvalidInputError(msg)
    return TIME_UNITS_PER_MONTH[time_unit]


MAX_HORIZON_MONTHS = 1200
"""Longest CLV horizon accepted: 100 years. The sum costs one model evaluation per month and
distinct customer row (about 30 microseconds each), so 10**6 months took 33 s for one customer
and 10**8 ran out of memory; at a 1 % monthly discount month 1,200 is worth 6.5e-6 of month 1."""


def check_horizon(horizon_months: object, func: str) -> int:
    """Return ``horizon_months`` as an int in ``[1, MAX_HORIZON_MONTHS]``.

    Examples
    --------
    >>> check_horizon(10**6, "f")
    Traceback (most recent call last):
    ...
    retention_kpis.exceptions.InvalidInputError: The 'horizon_months' parameter of f must be \
<= 1200 (100 years; each month costs one model evaluation per customer). Got 1000000 instead.
    """
    check_positive(horizon_months, "horizon_months", func)
    horizon = check_count(horizon_months, "horizon_months", func)
    if horizon > MAX_HORIZON_MONTHS:
        msg = (
            f"The 'horizon_months' parameter of {func} must be <= {MAX_HORIZON_MONTHS} (100 years; "
            f"each month costs one model evaluation per customer). Got {horizon} instead."
        )
        raise InvalidInputError(msg)
    return horizon


def _raw_columns(source: object, columns: Sequence[str], func: str, hint: str) -> dict[str, object]:
    """Return the named columns of a mapping or of any frame narwhals reads."""
    if isinstance(source, Mapping):
        names = [str(key) for key in source]
    else:
        try:
            frame = nw.from_native(source)  # type: ignore[call-overload]  # any native frame
        except TypeError as exc:
            msg = (
                f"The data of {func} must be a dataframe or a mapping of arrays. "
                f"Got {type(source).__name__} instead."
            )
            raise InvalidInputError(msg) from exc
        if isinstance(frame, nw.LazyFrame):
            frame = collect(frame)
        names = list(frame.columns)
    missing = [column for column in columns if column not in names]
    if missing:
        msg = (
            f"The data of {func} lack the column(s) {missing}; they have {names}. "
            f"Hint: build them with {hint}."
        )
        raise ColumnNotFoundError(msg)
    if isinstance(source, Mapping):
        return {column: source[column] for column in columns}
    return {column: frame.get_column(column).to_numpy() for column in columns}


def raw_column(source: object, column: str, func: str) -> object:
    """Return one column of a mapping or frame as it is (ids need not be numeric)."""
    return _raw_columns(source, [column], func, "rfm_summary(..., customer_id=...)")[column]


def read_columns(
    source: object, columns: Sequence[str], func: str, *, hint: str
) -> dict[str, FloatArray]:
    """Read named columns as finite, non-negative float arrays of one length.

    ``source`` is a mapping of arrays or any frame narwhals reads (pandas,
    polars, pyarrow; lazy frames such as DuckDB's are collected).
    """
    raw = _raw_columns(source, columns, func, hint)
    arrays = {column: as_float_array(values, column) for column, values in raw.items()}
    lengths = {name: len(values) for name, values in arrays.items()}
    if len(set(lengths.values())) > 1:
        msg = f"The columns of the data of {func} must have the same length; got {lengths}."
        raise InvalidInputError(msg)
    return arrays


def summary_arrays(summary: object, func: str) -> dict[str, FloatArray]:
    """Read ``frequency``, ``recency``, ``T`` and ``monetary_value`` as float arrays.

    A missing ``monetary_value`` of a customer without repeat purchases
    (``frequency == 0``; pandas gives nan for the mean of nothing) is read as
    0: the spend model ignores it. Any other nan or inf is an error, and so is
    ``recency > T``.
    """
    hint = "retention_kpis.clv.rfm_summary(..., monetary_value=...)"
    raw = _raw_columns(summary, SUMMARY_COLUMNS, func, hint)
    try:
        frequency = np.atleast_1d(np.asarray(raw["frequency"], dtype=np.float64))
        monetary = np.atleast_1d(np.asarray(raw["monetary_value"], dtype=np.float64))
    except (TypeError, ValueError):
        pass  # read_columns reports non-numeric columns below
    else:
        if monetary.shape == frequency.shape:
            raw["monetary_value"] = np.where((frequency == 0) & np.isnan(monetary), 0.0, monetary)
    arrays = read_columns(raw, SUMMARY_COLUMNS, func, hint=hint)
    late = int(np.sum(arrays["recency"] > arrays["T"]))
    if late:
        msg = f"Some values in recency are larger than T ({count_rows(late)})."
        raise InvalidInputError(msg)
    return arrays


def expected_average_value(
    spend_model: SpendModel, frequency: FloatArray, monetary_value: FloatArray
) -> FloatArray:
    """Return the spend model's expected value per purchase, free repeat buyers included.

    Gamma-Gamma needs a positive mean spend ``zbar``; a repeat buyer whose
    repeat purchases were all free (``frequency > 0``, ``monetary_value ==
    0``) gets the limit of the conditional expectation as ``zbar -> 0+``
    (``p v / (p x + q - 1)``), by evaluating it at the smallest positive float.
    """
    free = (frequency > 0) & (monetary_value == 0)
    spend = np.where(free, np.finfo(np.float64).tiny, monetary_value)
    return np.asarray(spend_model.expected_average_value(frequency, spend), dtype=np.float64)


def _unique_rows(*columns: FloatArray) -> tuple[list[FloatArray], npt.NDArray[np.intp]]:
    """Distinct rows of parallel columns and, per input row, the index of its row."""
    order = np.lexsort(columns[::-1])
    ordered = [column[order] for column in columns]
    first = np.zeros(len(order), dtype=bool)
    first[:1] = True
    for column in ordered:
        first[1:] |= column[1:] != column[:-1]
    inverse = np.empty(len(order), dtype=np.intp)
    inverse[order] = np.cumsum(first) - 1
    return [column[first] for column in ordered], inverse


def _discounted_purchases(
    transaction_model: TransactionModel,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    *,
    grid: FloatArray,
    discount: FloatArray,
) -> FloatArray:
    """``sum_i (E[X(T + t_i)] - E[X(T + t_{i-1})]) / (1 + d) ** i`` per row.

    The customer x month grid is flattened into one model call per block of
    rows (so memory stays bounded); month increments are ``np.diff`` of it and
    the sum a matrix-vector product. Increments below 0 (only rounding makes
    them: the expectation is non-decreasing in ``t``) count as 0.
    """
    n, months = len(frequency), len(grid)
    purchases = np.empty(n, dtype=np.float64)
    block = max(1, _BLOCK_CELLS // months)
    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        size = rows.stop - rows.start
        cumulative = np.asarray(
            transaction_model.expected_purchases(
                np.tile(grid, size),
                np.repeat(frequency[rows], months),
                np.repeat(recency[rows], months),
                np.repeat(T[rows], months),
            ),
            dtype=np.float64,
        ).reshape(size, months)
        per_month = np.maximum(np.diff(cumulative, axis=1, prepend=0.0), 0.0)
        purchases[rows] = per_month @ discount
    return purchases


def discounted_value(
    transaction_model: TransactionModel,
    frequency: FloatArray,
    recency: FloatArray,
    T: FloatArray,
    average_value: FloatArray,
    *,
    horizon_months: int,
    discount_rate: float,
    units_per_month: float,
) -> FloatArray:
    """Discounted value of already validated, non-empty arrays (the CLV sum).

    Rows with the same ``(frequency, recency, T)`` are evaluated once. For
    BG/NBD, MBG/NBD and Pareto/NBD the work shrinks further: purchasing while
    alive is Poisson and the death process does not depend on the purchase
    times, so the posterior of the rates given "alive at T" depends on
    ``(frequency, T)`` only, and ::

        E[X(T, T + t) | x, t_x, T] = P(alive | x, t_x, T) * E[X(T, T + t) | x, T, alive]

    The second factor is the model's expectation divided by its P(alive) at
    any recency; it is taken at ``recency = T`` (``0`` when ``frequency = 0``),
    where P(alive) is largest (1 for Pareto/NBD, ``(b + x - 1) / (a + b + x -
    1)`` for BG/NBD), so the monthly grid is evaluated once per distinct
    ``(frequency, T)`` pair and each customer costs one P(alive).
    """
    months = np.arange(1, horizon_months + 1, dtype=np.float64)
    grid = months * units_per_month
    discount = (1.0 + discount_rate) ** -months
    if _factorises(transaction_model):
        (freq_u, age_u), inverse = _unique_rows(frequency, T)
        reference = np.where(freq_u > 0, age_u, 0.0)
        alive_ref = np.asarray(
            transaction_model.probability_alive(freq_u, reference, age_u), dtype=np.float64
        )
        at_ref = _discounted_purchases(
            transaction_model, freq_u, reference, age_u, grid=grid, discount=discount
        )
        while_alive = np.divide(at_ref, alive_ref, out=np.zeros_like(at_ref), where=alive_ref > 0)
        alive = np.asarray(
            transaction_model.probability_alive(frequency, recency, T), dtype=np.float64
        )
        purchases = alive * while_alive[inverse]
    else:
        (freq_u, rec_u, age_u), inverse = _unique_rows(frequency, recency, T)
        purchases = _discounted_purchases(
            transaction_model, freq_u, rec_u, age_u, grid=grid, discount=discount
        )[inverse]
    value: FloatArray = purchases * average_value
    return value


def customer_lifetime_value(
    transaction_model: TransactionModel,
    spend_model: SpendModel,
    summary: object,
    *,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    time_unit: str | None = None,
) -> FloatArray:
    """Discounted expected value of each customer over the next months.

    ``CLV = sum_{i=1..H} (E[X(T + i m)] - E[X(T + (i-1) m)]) * E[M] / (1 + d) ** i``
    where ``E[X(T + t)]`` is the transaction model's conditional expected number
    of purchases in ``(T, T + t]``, ``E[M]`` the spend model's conditional
    expected average value per purchase, ``m`` the length of a month in
    ``time_unit`` (30 days, 4.345 weeks, 720 hours, 1 month: the convention of
    lifetimes and pymc-marketing) and ``d`` the monthly discount rate. Month
    ``i``'s cash flow is discounted by ``(1 + d) ** i``, as if it arrived at
    the end of the month.

    Parameters
    ----------
    transaction_model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A fitted model with ``expected_purchases(t, frequency, recency, T)``,
        in the summary's time units.
    spend_model : GammaGammaModel
        A fitted model with ``expected_average_value(frequency, monetary_value)``.
        Customers without repeat purchases (``frequency == 0``) get the
        population mean spend, which is what Gamma-Gamma's conditional
        expectation gives at ``frequency == 0``. Repeat buyers whose repeat
        purchases were all free (``monetary_value == 0``) get its limit as
        the mean spend tends to 0, ``p v / (p x + q - 1)``.
    summary : dataframe or mapping of arrays
        One row per customer with ``frequency``, ``recency``, ``T`` (in
        ``time_unit``) and ``monetary_value``, as :func:`rfm_summary` builds
        it; any frame narwhals reads (pandas, polars, pyarrow; lazy frames are
        collected). A nan ``monetary_value`` where ``frequency == 0`` is read as 0.
    horizon_months : int, default=12
        Number of future months summed, ``1 <= horizon_months <= 1200``
        (:data:`MAX_HORIZON_MONTHS`, 100 years: the sum costs one model
        evaluation per month and distinct customer).
    discount_rate : float, default=0.01
        Monthly discount rate, ``>= 0`` (0.01 is about 12.7 % a year).
    time_unit : {"D", "W", "M", "h"} or a multiple such as "7D", optional
        Unit of ``recency`` and ``T`` in ``summary``: days, weeks, months, hours
        (lifetimes' ``"H"`` is accepted for hours). A summary built with
        ``time_scaler != 1`` is in units of ``time_scaler`` periods: for
        ``time_unit="D", time_scaler=7`` pass ``"7D"`` (30 / 7 units a month)
        or ``"W"`` (4.345 weeks a month, as lifetimes). Default: the
        transaction model's :attr:`~ProbabilityModel.time_unit` when it
        recorded one, else ``"D"``; a unit other than the recorded one is
        refused (see :mod:`retention_kpis.clv.units`).

    Returns
    -------
    ndarray of float64
        CLV of each row of ``summary``, in its order, in the currency of
        ``monetary_value``; ``>= 0``. Empty input gives an empty array. Attach
        it to the summary with, for example, ``summary.assign(clv=...)``;
        :func:`customer_table` returns the id, the parts and the CLV as a frame.

    Raises
    ------
    InvalidInputError
        If a parameter is out of range, a model lacks the method it needs, or
        summary values are negative, nan, inf or have ``recency > T``.
    ColumnNotFoundError
        If ``summary`` lacks one of the four columns.
    NotFittedError
        If a model was neither fitted nor built with ``from_params``.

    Examples
    --------
    The CDNOW parameters of Fader, Hardie and Lee (2005) and its customer 1
    (two repeat purchases, weeks):

    >>> from retention_kpis.clv import BetaGeoModel, GammaGammaModel
    >>> bgnbd = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gamma_gamma = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> summary = {"frequency": [2], "recency": [30.43], "T": [38.86], "monetary_value": [22.35]}
    >>> customer_lifetime_value(bgnbd, gamma_gamma, summary, time_unit="W").round(2)
    array([36.29])
    """
    func = "customer_lifetime_value"
    horizon = check_horizon(horizon_months, func)
    rate = check_amount(discount_rate, "discount_rate", func)
    check_model(transaction_model, "expected_purchases", "transaction_model")
    recorded = getattr(transaction_model, "time_unit", None)
    unit = resolve_time_unit(time_unit, recorded if isinstance(recorded, str) else None, func)
    month = units_per_month(unit, func)
    check_model(spend_model, "expected_average_value", "spend_model")
    arrays = summary_arrays(summary, func)
    if len(arrays["frequency"]) == 0:
        return np.empty(0, dtype=np.float64)
    average_value = expected_average_value(
        spend_model, arrays["frequency"], arrays["monetary_value"]
    )
    return discounted_value(
        transaction_model,
        arrays["frequency"],
        arrays["recency"],
        arrays["T"],
        average_value,
        horizon_months=horizon,
        discount_rate=rate,
        units_per_month=month,
    )
