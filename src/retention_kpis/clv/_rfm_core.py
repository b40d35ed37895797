"""Engine-side machinery of the RFM summaries: input checks and the two group-bys.

Everything here works on a narwhals LazyFrame, so pandas, polars, pyarrow,
DuckDB and PySpark run the same expressions; on lazy backends only one-row
statistics are collected (null and negative counts, the period range for the
default observation end, and the string-parsing check for string timestamps).
Eager inputs compute the period index once and reuse it.

Conditional columns are materialised with ``with_columns`` before a group-by
and aggregated as plain columns: narwhals 2.29 ignores ``when/then`` inside
``group_by().agg()`` on pandas and pyarrow (it silently aggregates the whole
column), and DuckDB rejects ``filter`` there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import narwhals.stable.v2 as nw
from narwhals.stable.v2.dependencies import is_pandas_like_dataframe

from retention_kpis._core.checks import check_positive
from retention_kpis._core.frames import as_lazy_and_eager, collect, flag
from retention_kpis._core.text import count_rows
from retention_kpis.clv._rfm_periods import TIME_UNITS, TimeUnit, as_moment, period_expr, period_of
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

__all__ = ["Prepared", "prepare", "summarise"]

_PERIOD = "__rfm_period"
_VALUE = "__rfm_value"
_FIRST = "__rfm_first"
_CAL_PERIOD = "__rfm_cal_period"
_REPEAT_VALUE = "__rfm_repeat_value"
_HOLD_PERIOD = "__rfm_hold_period"
_HOLD_VALUE = "__rfm_hold_value"
_LAST = "__rfm_last"
_COUNT = "__rfm_count"
_REPEAT_SUM = "__rfm_repeat_sum"
_HOLD_COUNT = "__rfm_hold_count"
_HOLD_SUM = "__rfm_hold_sum"
_RESULT_COLUMNS = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "frequency_holdout",
    "duration_holdout",
    "monetary_value_holdout",
)


@dataclass(frozen=True)
class Prepared:
    """Validated transactions: customer id, period index and (optional) value."""

    frame: nw.LazyFrame[Any]
    eager: bool
    customer_id: str
    monetary: bool
    time_unit: TimeUnit
    time_scaler: float
    time_zone: str | None
    rows: int
    first_period: int | None
    last_period: int | None

    def bound(self, value: object, name: str, func: str) -> int:
        """Period index of a user-given date (observation or calibration end)."""
        moment = as_moment(value, name, func, time_zone=self.time_zone)
        return period_of(moment, self.time_unit)

    def to_native(self, result: nw.LazyFrame[Any]) -> Any:  # noqa: ANN401 - native frame of the caller's kind
        """Return ``result`` as the caller's kind of frame (eager in, eager out)."""
        if not self.eager:
            return nw.to_native(result)
        native = nw.to_native(collect(result))
        if is_pandas_like_dataframe(native):  # sorting left a shuffled index
            native = native.reset_index(drop=True)
        return native


def _check_columns(
    schema: Mapping[str, Any],
    func: str,
    customer_id: str,
    timestamp: str,
    monetary_value: str | None,
) -> None:
    wanted: dict[str, object] = {"customer_id": customer_id, "timestamp": timestamp}
    if monetary_value is not None:
        wanted["monetary_value"] = monetary_value
    for role, column in wanted.items():
        if not isinstance(column, str):
            msg = f"The {role!r} parameter of {func} must be a column name. Got {column!r} instead."
            raise InvalidInputError(msg)
    missing = [column for column in wanted.values() if column not in schema]
    if missing:
        msg = (
            f"Missing column(s) {missing} in transactions for {func}. "
            f"Available columns: {list(schema)}.\n"
            "Hint: pass your column names as customer_id=, timestamp= and monetary_value=."
        )
        raise ColumnNotFoundError(msg)
    if customer_id in _RESULT_COLUMNS:
        msg = (
            f"The 'customer_id' parameter of {func} names a column of the result. "
            f"Got {customer_id!r} instead.\nHint: rename the customer column first."
        )
        raise InvalidInputError(msg)
    if monetary_value is not None and not schema[monetary_value].is_numeric():
        msg = (
            f"Column {monetary_value!r} (monetary_value) of transactions must be numeric. "
            f"Got dtype {schema[monetary_value]} instead."
        )
        raise InvalidInputError(msg)


def _check_counts(
    stats: dict[str, Any], customer_id: str, timestamp: str, value: str | None
) -> None:
    problems = [
        (
            "id_nulls",
            f"Column {customer_id!r} (customer_id) of transactions has {{}} with a null id.",
        ),
        ("time_nulls", f"Column {timestamp!r} (timestamp) of transactions has {{}} with no time."),
        (
            "value_nulls",
            f"Column {value!r} (monetary_value) of transactions has {{}} with no value.",
        ),
        (
            "value_not_finite",
            (
                f"Column {value!r} (monetary_value) of transactions must be finite. "
                "Got {} with nan or inf instead."
            ),
        ),
        (
            "value_negative",
            (
                f"Column {value!r} (monetary_value) of transactions must be >= 0. "
                "Got {} with a negative value instead.\n"
                "Hint: net refunds against their purchases first."
            ),
        ),
    ]
    for key, template in problems:
        count = int(stats.get(key) or 0)
        if count:
            raise InvalidInputError(template.format(count_rows(count)))


def prepare(
    transactions: object,
    func: str,
    *,
    customer_id: str,
    timestamp: str,
    monetary_value: str | None,
    time_unit: TimeUnit,
    time_scaler: object,
) -> Prepared:
    """Validate the arguments and the data; return the period-indexed transactions."""
    if time_unit not in TIME_UNITS:
        msg = (
            f"The 'time_unit' parameter of {func} must be one of {list(TIME_UNITS)}. "
            f"Got {time_unit!r} instead."
        )
        raise InvalidInputError(msg)
    scaler = check_positive(time_scaler, "time_scaler", func)
    lf, eager = as_lazy_and_eager(transactions, "transactions", func)
    schema = lf.collect_schema()
    _check_columns(schema, func, customer_id, timestamp, monetary_value)
    time_dtype = schema[timestamp]
    time_zone = time_dtype.time_zone if isinstance(time_dtype, nw.Datetime) else None
    period = period_expr(lf, timestamp, time_unit)  # checks and parses strings
    # Null counts as sums of 0/1 flags: narwhals' null_count needs count_if, which
    # SQLFrame's PostgreSQL functions lack.
    checks = [
        nw.len().alias("rows"),
        flag(nw.col(customer_id).is_null()).sum().alias("id_nulls"),
        flag(nw.col(timestamp).is_null()).sum().alias("time_nulls"),
    ]
    columns = [nw.col(customer_id), period.alias(_PERIOD)]
    if monetary_value is not None:
        value = nw.col(monetary_value).cast(nw.Float64)
        columns.append(value.alias(_VALUE))
        checks += [
            flag(value.is_null()).sum().alias("value_nulls"),
            flag(~value.is_finite()).sum().alias("value_not_finite"),
            flag(value < 0).sum().alias("value_negative"),
        ]
    bounds = [period.min().alias("first"), period.max().alias("last")]
    if not eager:  # one scan for the checks and the period range
        checks += bounds
    stats = collect(lf.select(*checks)).rows(named=True)[0]
    _check_counts(stats, customer_id, timestamp, monetary_value)
    rows = int(stats["rows"])
    prepared = lf.select(*columns)
    if eager:
        # Compute the period index once, after the null checks (pandas cannot cast a
        # missing time to an integer); the range and the group-bys reuse it.
        prepared = collect(prepared).lazy()
        if rows:
            stats |= collect(
                prepared.select(
                    nw.col(_PERIOD).min().alias("first"), nw.col(_PERIOD).max().alias("last")
                )
            ).rows(named=True)[0]
    # An empty frame has no period range (pandas reports nan, the others null).
    first, last = (stats["first"], stats["last"]) if rows else (None, None)
    return Prepared(
        frame=prepared,
        eager=eager,
        customer_id=customer_id,
        monetary=monetary_value is not None,
        time_unit=time_unit,
        time_scaler=scaler,
        time_zone=time_zone,
        rows=rows,
        first_period=None if first is None else int(first),
        last_period=None if last is None else int(last),
    )


def summarise(data: Prepared, *, calibration: int, observation: int) -> nw.LazyFrame[Any]:
    """Return one row per customer whose first period is on or before ``calibration``.

    Periods ``<= calibration`` form the calibration window; periods in
    ``(calibration, observation]`` the holdout window (holdout columns are
    produced only when ``observation > calibration``).
    """
    cid, period = data.customer_id, nw.col(_PERIOD)
    holdout = observation > calibration
    observed = data.frame.filter(period <= observation)
    if not holdout:
        # One group-by over the transactions, counting distinct periods (ids and periods have
        # no nulls here). The repeat periods' values sum to the values of the transactions
        # after the first period, so no per-period table is needed.
        aggregations = [
            period.min().alias(_FIRST),
            period.max().alias(_LAST),
            period.n_unique().alias(_COUNT),
        ]
        if data.monetary:
            is_repeat = period > period.min().over(cid)
            observed = observed.with_columns(
                nw.when(is_repeat).then(nw.col(_VALUE)).alias(_REPEAT_VALUE)
            )
            aggregations.append(nw.col(_REPEAT_VALUE).sum().alias(_REPEAT_SUM))
        per_customer = observed.group_by(cid).agg(*aggregations)
        return _finish(data, per_customer, calibration=calibration, observation=observation)
    per_period = observed.group_by(cid, _PERIOD).agg(
        nw.col(_VALUE).sum() if data.monetary else nw.len().alias(_COUNT)
    )
    in_calibration = period <= calibration
    flags = [
        nw.when(in_calibration).then(period).alias(_CAL_PERIOD)
        if holdout
        else period.alias(_CAL_PERIOD)
    ]
    aggregations = [
        period.min().alias(_FIRST),
        nw.col(_CAL_PERIOD).max().alias(_LAST),
        nw.col(_CAL_PERIOD).count().alias(_COUNT),
    ]
    if data.monetary:
        is_repeat = in_calibration & (period > period.min().over(cid))
        flags.append(nw.when(is_repeat).then(nw.col(_VALUE)).alias(_REPEAT_VALUE))
        aggregations.append(nw.col(_REPEAT_VALUE).sum().alias(_REPEAT_SUM))
    if holdout:
        flags.append(nw.when(~in_calibration).then(period).alias(_HOLD_PERIOD))
        aggregations.append(nw.col(_HOLD_PERIOD).count().alias(_HOLD_COUNT))
        if data.monetary:
            flags.append(nw.when(~in_calibration).then(nw.col(_VALUE)).alias(_HOLD_VALUE))
            aggregations.append(nw.col(_HOLD_VALUE).sum().alias(_HOLD_SUM))
    per_customer = per_period.with_columns(*flags).group_by(cid).agg(*aggregations)
    if holdout:
        per_customer = per_customer.filter(nw.col(_COUNT) > 0)
    return _finish(data, per_customer, calibration=calibration, observation=observation)


def _finish(
    data: Prepared, per_customer: nw.LazyFrame[Any], *, calibration: int, observation: int
) -> nw.LazyFrame[Any]:
    """Turn the per-customer aggregates into the published columns."""
    cid, holdout = data.customer_id, observation > calibration
    scaler = data.time_scaler
    repeats = nw.col(_COUNT) - 1
    result = [
        nw.col(cid),
        repeats.cast(nw.Int64).alias("frequency"),
        ((nw.col(_LAST) - nw.col(_FIRST)) / scaler).cast(nw.Float64).alias("recency"),
        ((calibration - nw.col(_FIRST)) / scaler).cast(nw.Float64).alias("T"),
    ]
    if data.monetary:
        mean_repeat = nw.col(_REPEAT_SUM).fill_null(0.0) / repeats.clip(lower_bound=1)
        result.append(mean_repeat.cast(nw.Float64).alias("monetary_value"))
    if holdout:
        held = nw.col(_HOLD_COUNT)
        result += [
            held.cast(nw.Int64).alias("frequency_holdout"),
            nw.lit((observation - calibration) / scaler, nw.Float64).alias("duration_holdout"),
        ]
        if data.monetary:
            mean_held = nw.col(_HOLD_SUM).fill_null(0.0) / held.clip(lower_bound=1)
            result.append(mean_held.cast(nw.Float64).alias("monetary_value_holdout"))
    return per_customer.select(*result).sort(cid)
