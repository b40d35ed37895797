"""The results of :func:`~retention_kpis.compute_kpis`: :class:`KPIRow` and :class:`KPIReport`.

Re-exported by :mod:`retention_kpis.report`; kept apart from the computation so
each module holds one concept.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, TypeAlias

import narwhals.stable.v2 as nw
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from retention_kpis._core.backends import FrameBackend, from_columns
from retention_kpis._core.calendar import Period
from retention_kpis._core.display import Column, Table, Unit, short_repr
from retention_kpis._core.kinds import dtype_of
from retention_kpis._core.values import Fraction, NonNegative, Signed100, null_nan_defaults
from retention_kpis.attribution import Model
from retention_kpis.events import EventSchema
from retention_kpis.report.columns import (
    COUNT_COLUMNS,
    DEFINITIONS,
    ENGAGEMENT_COLUMNS,
    ENGAGEMENT_COUNTS,
    INTERVAL_METHODS,
    UNITS,
    report_columns,
)

__all__ = ["KPIReport", "KPIRow"]

_ENGAGEMENT_HIDDEN = (
    "not shown: the engagement columns (referrals to pareto_share), null in every row; "
    "to_frame() has them"
)


def _whole_frame(row: KPIRow) -> str:  # noqa: ARG001 - one label for every row
    """Label the single period of a report over the whole frame, as the CLI does."""
    return "all"


def _segment_value(name: str) -> Callable[[KPIRow], SegmentValue]:
    """Read segment column ``name`` of a row."""
    return lambda row: row.segment.get(name)


SegmentValue: TypeAlias = str | int | float | bool | dt.datetime | dt.date | None
_ROW_FIELDS = {
    "period": "first day of the period (null: the whole data is one period)",
    "segment": "the value of each `by` column for this row",
    "interval_inputs": (
        "per interval KPI, the sufficient statistics its interval was computed from (counts, "
        "sums and sums of squares), for compare_kpis and detect_changes; left out of JSON "
        "without confidence"
    ),
    **DEFINITIONS,
    **{
        f"{kpi}_{end}": (
            f"{'lower' if end == 'low' else 'upper'} bound of the {kpi} interval at "
            f"compute_kpis(confidence=...): {method}; left out of JSON without confidence"
        )
        for kpi, method in INTERVAL_METHODS.items()
        for end in ("low", "high")
    },
}


def _row_schema(schema: dict[str, Any]) -> None:
    """Describe every KPIRow field from the report's definitions table; nan defaults as null."""
    for name, field in schema.get("properties", {}).items():
        if name in _ROW_FIELDS:
            field["description"] = _ROW_FIELDS[name]
    null_nan_defaults(schema)


def _undefined(value: float) -> bool:
    """Leave an interval bound out of JSON when it is nan (no interval asked for, or none)."""
    return math.isnan(value)


def _absent(value: object) -> bool:
    """Leave an option out of JSON when it is None (reports without intervals)."""
    return value is None


def _bound() -> Any:  # noqa: ANN401 - a pydantic FieldInfo
    """Return an interval bound's field: nan by default, left out of JSON while nan."""
    return Field(default=math.nan, exclude_if=_undefined)


class KPIRow(BaseModel):
    """The KPIs of one period and segment; undefined KPIs are nan (``null`` in JSON).

    Examples
    --------
    >>> row = KPIRow(period=None, visitors=0, orders=0, new_customers=0, active_customers=0)
    >>> row.conversion_rate
    nan
    """

    model_config = ConfigDict(
        frozen=True, extra="forbid", ser_json_inf_nan="null", json_schema_extra=_row_schema
    )

    period: dt.date | None
    segment: dict[str, SegmentValue] = Field(default_factory=dict)
    visitors: int = Field(ge=0)
    conversion_rate: Fraction = math.nan
    conversion_rate_low: Fraction = _bound()
    conversion_rate_high: Fraction = _bound()
    orders: int | float = Field(ge=0)
    revenue: NonNegative = math.nan
    spend: NonNegative = math.nan
    new_customers: int | float = Field(ge=0)
    cpa: NonNegative = math.nan
    cpa_low: NonNegative = _bound()
    cpa_high: NonNegative = _bound()
    cac: NonNegative = math.nan
    cac_low: NonNegative = _bound()
    cac_high: NonNegative = _bound()
    roas: NonNegative = math.nan
    roas_low: NonNegative = _bound()
    roas_high: NonNegative = _bound()
    aov: NonNegative = math.nan
    aov_low: NonNegative = _bound()
    aov_high: NonNegative = _bound()
    purchase_frequency: NonNegative = math.nan
    purchase_frequency_low: NonNegative = _bound()
    purchase_frequency_high: NonNegative = _bound()
    csat: Fraction = math.nan
    csat_low: Fraction = _bound()
    csat_high: Fraction = _bound()
    nps: Signed100 = math.nan
    nps_low: Signed100 = _bound()
    nps_high: Signed100 = _bound()
    active_customers: int = Field(ge=0)
    retention_rate: Fraction = math.nan
    retention_rate_low: Fraction = _bound()
    retention_rate_high: Fraction = _bound()
    churn_rate: Fraction = math.nan
    churn_rate_low: Fraction = _bound()
    churn_rate_high: Fraction = _bound()
    clv: NonNegative = math.nan
    clv_low: NonNegative = _bound()
    clv_high: NonNegative = _bound()
    interval_inputs: dict[str, tuple[float, ...]] | None = Field(default=None, exclude_if=_absent)
    referrals: int | None = Field(default=None, ge=0)
    referral_rate: NonNegative = math.nan
    referral_rate_low: NonNegative = _bound()
    referral_rate_high: NonNegative = _bound()
    referred_customers: int | None = Field(default=None, ge=0)
    referred_customer_share: Fraction = math.nan
    referred_customer_share_low: Fraction = _bound()
    referred_customer_share_high: Fraction = _bound()
    emails_delivered: int | None = Field(default=None, ge=0)
    email_open_rate: Fraction = math.nan
    email_open_rate_low: Fraction = _bound()
    email_open_rate_high: Fraction = _bound()
    email_ctr: Fraction = math.nan
    email_ctr_low: Fraction = _bound()
    email_ctr_high: Fraction = _bound()
    email_cto_rate: Fraction = math.nan
    email_cto_rate_low: Fraction = _bound()
    email_cto_rate_high: Fraction = _bound()
    email_unsubscribe_rate: Fraction = math.nan
    email_unsubscribe_rate_low: Fraction = _bound()
    email_unsubscribe_rate_high: Fraction = _bound()
    email_attributed_repeat_purchases: int | None = Field(default=None, ge=0)
    pareto_share: Fraction = math.nan
    pareto_share_low: Fraction = _bound()
    pareto_share_high: Fraction = _bound()


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
    backend : {"pandas", "polars", "pyarrow", "duckdb", "pyspark", "sqlframe"}
        Frame kind :meth:`to_frame` returns by default: the input's (``"pyarrow"``
        for other backends narwhals reads).
    lazy : bool
        Whether :meth:`to_frame` returns a lazy frame by default (polars
        LazyFrame in, LazyFrame out; DuckDB and PySpark are always lazy).
    attribution : str or None
        The attribution model of ``orders``, ``revenue``, ``aov``, ``cpa`` and
        ``roas`` (their values are then fractional), or None.
    confidence : float or None
        Level of the ``<kpi>_low`` / ``<kpi>_high`` columns, or None (no interval
        columns).

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06"],
    ...     "event_type": ["visit", "purchase"],
    ...     "revenue": [None, 20.0],
    ... })
    >>> from retention_kpis import compute_kpis
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
    attribution: Model | None = None
    confidence: float | None = Field(default=None, gt=0.0, lt=1.0, exclude_if=_absent)
    _session: Any = PrivateAttr(default=None)

    @property
    def kpi_columns(self) -> tuple[str, ...]:
        """The KPI columns, with each interval KPI's bounds when :attr:`confidence` is set."""
        return report_columns(intervals=self.confidence is not None)

    @property
    def columns(self) -> list[str]:
        """Column names of the report: ``period``, the ``by`` columns, then the KPIs."""
        return ["period", *self.by, *self.kpi_columns]

    def _table(self) -> Table:
        """Return the report as a display table, units from ``report.columns.UNITS``."""
        rows = self.rows
        period_of = _whole_frame if self.period is None else attrgetter("period")
        data: dict[str, Column] = {"period": Column(rows, period_of)}
        data.update({name: Column(rows, _segment_value(name)) for name in self.by})
        data.update({name: Column(rows, attrgetter(name)) for name in self.kpi_columns})
        units: dict[str, Unit] = {"period": "text", **dict.fromkeys(self.by, "text"), **UNITS}
        # An interval bound is shown in its KPI's unit.
        units.update(
            {f"{kpi}_{side}": UNITS[kpi] for kpi in INTERVAL_METHODS for side in ("low", "high")}
        )
        columns = self.columns
        notes = self.notes
        # engagement=True makes every engagement count an int (0 when none), so counts that
        # are None in every row mean the engagement columns were not computed at all.
        counts = attrgetter(*sorted(ENGAGEMENT_COUNTS))
        if rows and all(value is None for row in rows for value in counts(row)):
            hidden = {
                *ENGAGEMENT_COLUMNS,
                *(f"{name}_{side}" for name in ENGAGEMENT_COLUMNS for side in ("low", "high")),
            }
            columns = [name for name in columns if name not in hidden]
            notes = (*notes, _ENGAGEMENT_HIDDEN)
        by = f", by {', '.join(self.by)}" if self.by else ""
        attributed = f", {self.attribution} attribution" if self.attribution else ""
        period = self.period or "none"
        title = f"KPIReport: {len(self.rows):,} rows, period {period}{by}{attributed}"
        return Table(columns, data, units, notes, title)

    def __str__(self) -> str:
        """Return a fixed-width table of the report with its notes (long reports cut in the middle).

        Examples
        --------
        >>> report = KPIReport(rows=(), period="M", by=(), event_schema=EventSchema(),
        ...                    definitions={}, notes=("no events",), backend="pandas")
        >>> print(str(report).splitlines()[0])
        KPIReport: 0 rows, period M
        """
        return self._table().text()

    def _repr_html_(self) -> str:
        """Return a compact HTML table for notebooks: the first and last rows, then the notes."""
        return self._table().html()

    def __repr__(self) -> str:
        """Return one line: the shape, period, segments, backend and attribution; no values."""
        return short_repr(
            type(self).__name__,
            {
                "shape": (len(self.rows), len(self.columns)),
                "period": self.period,
                "by": self.by,
                "backend": self.backend,
                "attribution": self.attribution,
                "notes": len(self.notes),
            },
        )

    def plot(
        self,
        kpis: Sequence[str] | str | None = None,
        *,
        by: Sequence[str] | str | None = None,
        currency: str = "",
    ) -> Any:  # noqa: ANN401 - a matplotlib Figure (matplotlib is optional)
        """Draw the KPIs over the periods: one axis per KPI, one line per segment.

        Needs the ``plot`` extra (matplotlib); see
        :func:`retention_kpis.plot.plot_kpis` for the parameters.

        Returns
        -------
        matplotlib.figure.Figure
            One axes per KPI, sharing the period axis.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from retention_kpis import compute_kpis
        >>> from retention_kpis.datasets import make_events
        >>> report = compute_kpis(make_events(n_customers=100, seed=3), period="M")
        >>> len(report.plot(["orders", "conversion_rate"]).axes)
        2
        """
        from retention_kpis.plot.report import plot_kpis  # noqa: PLC0415 - optional matplotlib

        return plot_kpis(self, kpis, by=by, currency=currency)

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
            for name in self.kpi_columns:
                value = getattr(row, name)
                data[name].append(None if isinstance(value, float) and math.isnan(value) else value)
        return data

    def to_frame(self, *, backend: FrameBackend | None = None) -> Any:  # noqa: ANN401 - a native frame
        """Return the report as a native DataFrame, one row per period and segment.

        Parameters
        ----------
        backend : {"pandas", "polars", "pyarrow", "duckdb", "pyspark", "sqlframe"}, optional
            Frame kind; by default the input's kind (:attr:`backend`, lazy when
            :attr:`lazy`): a polars LazyFrame, DuckDB relation or PySpark
            DataFrame (in the input's session, else the active one) for lazy input.

        Returns
        -------
        DataFrame or LazyFrame
            ``period`` is a date column (``datetime.date`` objects on pandas),
            counts are Int64 (Float64 when the column holds nulls, and ``orders``
            and ``new_customers`` with :attr:`attribution`), KPIs Float64 with nulls (NaN on pandas)
            where undefined.

        Raises
        ------
        InvalidInputError
            If ``backend="pyspark"`` and no SparkSession is active.

        Examples
        --------
        >>> KPIReport(rows=(), period="M", by=(), event_schema=EventSchema(),
        ...           definitions={}, notes=(), backend="pandas").to_frame().shape
        (0, 29)
        """
        target = backend or self.backend
        data = self.to_dict()
        schema: dict[str, Any] = {"period": nw.Object() if target == "pandas" else nw.Date()}
        schema.update({name: dtype_of(data[name]) for name in self.by})
        whole = (
            COUNT_COLUMNS - {"orders", "new_customers"}
            if self.attribution is not None
            else COUNT_COLUMNS
        )
        schema.update(
            {
                name: nw.Int64() if name in whole and None not in data[name] else nw.Float64()
                for name in self.kpi_columns
            }
        )
        lazy = self.lazy and backend is None
        return from_columns(data, schema, backend=target, lazy=lazy, session=self._session)
