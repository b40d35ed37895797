"""The events facade: :func:`compute_kpis` and its result, :class:`KPIReport`.

Events are validated and aggregated inside their own backend (lazy frames stay
lazy); one small table of counts and sums per period and segment is collected,
and the pure metric functions of :mod:`retention_kpis.metrics` turn each row
into KPIs, so every formula lives in exactly one place. See ``docs/metrics.md``
for the definitions and a worked example.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import narwhals.stable.v2 as nw
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from retention_kpis._aggregate import Aggregates, Period, aggregate, period_start
from retention_kpis._backends import FrameBackend, from_columns, native_kind
from retention_kpis._kpi_rows import DEFINITIONS, KPI_COLUMNS, RowInputs, kpi_values
from retention_kpis._validation import check_number, check_scale
from retention_kpis.events import EventSchema, UnknownEvents, validate_events
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.metrics._base import Fraction, NonNegative, Signed100

__all__ = ["KPIReport", "KPIRow", "compute_kpis"]

ChurnFrom: TypeAlias = Literal["activity", "events"]
SegmentValue: TypeAlias = str | int | float | bool | dt.datetime | dt.date | None
_FUNC = "compute_kpis"
_PERIODS = ("D", "W", "M", "Q", "Y")
_COUNTS = frozenset({"visitors", "orders", "new_customers", "active_customers"})


class KPIRow(BaseModel):
    """The KPIs of one period and segment; undefined KPIs are nan (``null`` in JSON).

    Examples
    --------
    >>> row = KPIRow(period=None, visitors=0, orders=0, new_customers=0, active_customers=0)
    >>> row.conversion_rate
    nan
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    period: dt.date | None
    segment: dict[str, SegmentValue] = Field(default_factory=dict)
    visitors: int = Field(ge=0)
    conversion_rate: Fraction = math.nan
    orders: int = Field(ge=0)
    revenue: NonNegative = math.nan
    spend: NonNegative = math.nan
    new_customers: int = Field(ge=0)
    cpa: NonNegative = math.nan
    cac: NonNegative = math.nan
    roas: NonNegative = math.nan
    aov: NonNegative = math.nan
    purchase_frequency: NonNegative = math.nan
    csat: Fraction = math.nan
    nps: Signed100 = math.nan
    active_customers: int = Field(ge=0)
    retention_rate: Fraction = math.nan
    churn_rate: Fraction = math.nan
    clv: NonNegative = math.nan


def _dtype_of(values: list[Any]) -> Any:  # noqa: ANN401 - a narwhals dtype
    """Return the narwhals dtype of a segment column from its Python values."""
    first = next((value for value in values if value is not None), "")
    for kind, dtype in (
        (bool, nw.Boolean()),
        (int, nw.Int64()),
        (float, nw.Float64()),
        (dt.datetime, nw.Datetime()),
        (dt.date, nw.Date()),
    ):
        if isinstance(first, kind):
            return dtype
    return nw.String()


class KPIReport(BaseModel):
    """KPIs per period and segment, with the options and notes that produced them.

    Attributes
    ----------
    rows : tuple of KPIRow
        One row per (period, segment) holding at least one event, sorted.
    period : {"D", "W", "M", "Q", "Y"} or None
        Period length (None: the whole frame is one period).
    by : tuple of str
        Segment columns.
    event_schema : EventSchema
        Column and event type names used.
    definitions : dict of str to str
        The definition of every KPI column.
    notes : tuple of str
        Why KPIs are null, and what validation dropped; one note per cause.
    backend : {"pandas", "polars", "pyarrow", "duckdb", "pyspark"}
        Frame kind :meth:`to_frame` returns by default: the input's (``"pyarrow"``
        for other backends narwhals reads).
    lazy : bool
        Whether :meth:`to_frame` returns a lazy frame by default (polars
        LazyFrame in, LazyFrame out; DuckDB and PySpark are always lazy).

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06"],
    ...     "event_type": ["visit", "purchase"],
    ...     "revenue": [None, 20.0],
    ... })
    >>> report = compute_kpis(events)
    >>> report.columns[:4]
    ['period', 'visitors', 'conversion_rate', 'orders']
    >>> report.to_dict()["aov"]
    [20.0]
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    rows: tuple[KPIRow, ...]
    period: Period | None
    by: tuple[str, ...]
    event_schema: EventSchema
    definitions: dict[str, str]
    notes: tuple[str, ...]
    backend: FrameBackend
    lazy: bool = False
    _session: Any = PrivateAttr(default=None)

    @property
    def columns(self) -> list[str]:
        """Column names of the report: ``period``, the ``by`` columns, then the KPIs."""
        return ["period", *self.by, *KPI_COLUMNS]

    def to_dict(self) -> dict[str, list[Any]]:
        """Return the report column by column, with undefined KPIs as None (not nan).

        Examples
        --------
        >>> KPIReport(rows=(), period="M", by=(), event_schema=EventSchema(),
        ...           definitions={}, notes=(), backend="pandas").to_dict()["period"]
        []
        """
        data: dict[str, list[Any]] = {name: [] for name in self.columns}
        for row in self.rows:
            data["period"].append(row.period)
            for name in self.by:
                data[name].append(row.segment.get(name))
            for name in KPI_COLUMNS:
                value = getattr(row, name)
                data[name].append(None if isinstance(value, float) and math.isnan(value) else value)
        return data

    def to_frame(self, *, backend: FrameBackend | None = None) -> Any:  # noqa: ANN401 - a native frame
        """Return the report as a native DataFrame, one row per period and segment.

        Parameters
        ----------
        backend : {"pandas", "polars", "pyarrow", "duckdb", "pyspark"}, optional
            Frame kind; by default the input's kind (:attr:`backend`, lazy when
            :attr:`lazy`): a polars LazyFrame, DuckDB relation or PySpark
            DataFrame (in the input's session, else the active one) for lazy input.

        Returns
        -------
        DataFrame or LazyFrame
            ``period`` is a date column (``datetime.date`` objects on pandas),
            counts are Int64, KPIs Float64 with nulls (NaN on pandas) where undefined.

        Raises
        ------
        InvalidInputError
            If ``backend="pyspark"`` and no SparkSession is active.

        Examples
        --------
        >>> KPIReport(rows=(), period="M", by=(), event_schema=EventSchema(),
        ...           definitions={}, notes=(), backend="pandas").to_frame().shape
        (0, 18)
        """
        target = backend or self.backend
        data = self.to_dict()
        schema: dict[str, Any] = {"period": nw.Object() if target == "pandas" else nw.Date()}
        schema.update({name: _dtype_of(data[name]) for name in self.by})
        schema.update(
            {name: nw.Int64() if name in _COUNTS else nw.Float64() for name in KPI_COLUMNS}
        )
        lazy = self.lazy and backend is None
        return from_columns(data, schema, backend=target, lazy=lazy, session=self._session)


def _by_columns(by: str | Sequence[str] | None) -> tuple[str, ...]:
    if by is None:
        return ()
    names = (by,) if isinstance(by, str) else tuple(by)
    if not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        msg = (
            f"The 'by' parameter of {_FUNC} must be a column name or a list of distinct "
            f"names. Got {by!r} instead."
        )
        raise InvalidInputError(msg)
    clash = sorted(set(names) & {"period", *KPI_COLUMNS})
    if clash:
        msg = f"The 'by' parameter of {_FUNC} must not name report columns. Got {clash} instead."
        raise InvalidInputError(msg)
    return names


def _check_options(
    period: object, churn_from: object, csat_scale: object, csat_threshold: object
) -> tuple[int, int]:
    if period is not None and period not in _PERIODS:
        msg = (
            f"The 'period' parameter of {_FUNC} must be one of {list(_PERIODS)} or None. "
            f"Got {period!r} instead."
        )
        raise InvalidInputError(msg)
    if churn_from not in {"activity", "events"}:
        msg = (
            f"The 'churn_from' parameter of {_FUNC} must be 'activity' or 'events'. "
            f"Got {churn_from!r} instead."
        )
        raise InvalidInputError(msg)
    low, high = check_scale(csat_scale, "csat_scale", _FUNC)
    threshold = check_number(csat_threshold, "csat_threshold", _FUNC)
    if not (threshold.is_integer() and low <= threshold <= high):
        msg = (
            f"The 'csat_threshold' parameter of {_FUNC} must be a whole number in the "
            f"csat_scale [{low}, {high}]. Got {csat_threshold!r} instead."
        )
        raise InvalidInputError(msg)
    return low, high


def _rows(
    aggregates: Aggregates, inputs: RowInputs, by: tuple[str, ...], period: Period | None
) -> tuple[list[KPIRow], list[str]]:
    causes: dict[str, int] = {}
    rows = []
    for key in aggregates.keys:
        index = key[0] if period is not None else None
        segment = dict(zip(by, key[1:] if period is not None else key, strict=True))
        values = kpi_values(aggregates, key, inputs, causes)
        rows.append(KPIRow(period=period_start(period, index), segment=segment, **values))
    notes = [
        f"{cause} ({count} row{'s' if count != 1 else ''})."
        for cause, count in sorted(causes.items())
    ]
    return rows, notes


def compute_kpis(
    events: object,
    *,
    schema: EventSchema | None = None,
    period: Period | None = "M",
    by: str | Sequence[str] | None = None,
    unknown_events: UnknownEvents = "raise",
    csat_scale: tuple[int, int] = (1, 5),
    csat_threshold: int = 4,
    churn_from: ChurnFrom = "activity",
) -> KPIReport:
    """Compute every KPI per period (and segment) from a frame of events.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event in any frame narwhals accepts: pandas, polars (eager
        or lazy), pyarrow, a DuckDB relation, a PySpark DataFrame, ... Lazy
        frames are aggregated in their engine; only per-period tables are
        collected. Not modified. See ``docs/backends.md``.
    schema : EventSchema, optional
        Column and event type names; ``EventSchema()`` by default.
    period : {"D", "W", "M", "Q", "Y"} or None, default="M"
        Calendar period of each row (weeks start on Monday); None makes the
        whole frame one period (then retention, churn and CLV are null).
    by : str or list of str, optional
        Segment columns (e.g. ``"channel"``); KPIs are computed per segment.
    unknown_events : {"raise", "ignore"}, default="raise"
        What to do with event types the schema does not know.
    csat_scale : (int, int), default=(1, 5)
        Scale of CSAT answers.
    csat_threshold : int, default=4
        Lowest CSAT answer counted as satisfied.
    churn_from : {"activity", "events"}, default="activity"
        ``"activity"``: churned = previous period's active customers not active
        again; ``"events"``: churned = those of them with a ``churn`` event in the
        period (contractual churn), and ``retention_rate = 1 - churn_rate``.

    Returns
    -------
    KPIReport
        One row per (period, segment) with at least one event.

    Raises
    ------
    ColumnNotFoundError
        If a needed column is missing.
    InvalidInputError
        If an option is invalid or the events break the contract (see
        :func:`~retention_kpis.validate_events`).

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06", "2024-01-07", "2024-02-02"],
    ...     "event_type": ["visit", "purchase", "visit", "purchase"],
    ...     "revenue": [None, 20.0, None, 30.0],
    ... })
    >>> report = compute_kpis(events, period="M")
    >>> [(str(r.period), r.visitors, r.conversion_rate, r.retention_rate) for r in report.rows]
    [('2024-01-01', 2, 0.5, nan), ('2024-02-01', 0, nan, 1.0)]
    """
    schema = EventSchema() if schema is None else schema
    by_ = _by_columns(by)
    scale = _check_options(period, churn_from, csat_scale, csat_threshold)
    prepared = validate_events(
        events, schema=schema, by=by_, unknown_events=unknown_events, csat_scale=scale
    )
    aggregates = aggregate(
        prepared.frame, types=schema.event_types, period=period, by=by_, columns=prepared.columns
    )
    inputs = RowInputs(
        types=schema.event_types,
        period=period,
        has_orders="order_id" in prepared.columns,
        has_spend=schema.event_types.spend in prepared.type_counts,
        churn_from=churn_from,
        csat_scale=scale,
        csat_threshold=int(csat_threshold),
    )
    rows, notes = _rows(aggregates, inputs, by_, period)
    kind = native_kind(events)
    report = KPIReport(
        rows=tuple(rows),
        period=period,
        by=by_,
        event_schema=schema,
        definitions=dict(DEFINITIONS),
        notes=(*prepared.notes, *notes),
        backend=kind.backend,
        lazy=kind.lazy,
    )
    report._session = kind.session  # noqa: SLF001 - the private attribute of this very model
    return report
