"""Result models of attribution: per-channel credit and the run that produced it."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, TypeAlias

import narwhals.stable.v2 as nw
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from retention_kpis._core.backends import FrameBackend, from_columns
from retention_kpis._core.calendar import Period
from retention_kpis._core.display import Table, TableDisplay, Unit, short_repr
from retention_kpis._core.kinds import dtype_of
from retention_kpis._core.values import MaybeNaN, NonNegative
from retention_kpis.attribution._options import Model

__all__ = [
    "CREDIT_UNITS",
    "AttributionParameters",
    "AttributionResult",
    "ChannelCredit",
    "FrameBackend",
    "SegmentValue",
]

SegmentValue: TypeAlias = str | int | float | bool | dt.datetime | dt.date | None

CREDIT_UNITS: dict[str, Unit] = {
    "channel": "text",
    "conversions": "count",
    "revenue": "money",
    "removal_effect": "percent",
}
"""How ``str(result)`` and notebooks show the credit (``removal_effect``: Markov only)."""


class AttributionParameters(BaseModel):
    """The options of one attribution run (durations in seconds).

    Examples
    --------
    >>> AttributionParameters(lookback_seconds=86_400.0).position_weights
    (0.4, 0.2, 0.4)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    lookback_seconds: float | None = Field(default=2_592_000.0, gt=0)
    half_life_seconds: float = Field(default=604_800.0, gt=0)
    position_weights: tuple[float, float, float] = (0.4, 0.2, 0.4)
    direct_channel: str = "direct"
    no_touch_label: str = "(none)"
    touch_events: tuple[str, ...] = ("visit",)
    conversion_event: str = "purchase"
    channel_column: str = "channel"
    by: tuple[str, ...] = ()
    period: Period | None = None


class ChannelCredit(BaseModel):
    """Conversions and revenue credited to one channel in one period and segment.

    ``removal_effect`` is the Markov removal effect (nan, ``null`` in JSON, for
    other models and for the no-touch bucket).

    Examples
    --------
    >>> ChannelCredit(channel="email", conversions=1.5, revenue=80.0).removal_effect
    nan
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    period: dt.date | None = None
    segment: dict[str, SegmentValue] = Field(default_factory=dict)
    channel: str
    conversions: NonNegative
    revenue: NonNegative
    removal_effect: MaybeNaN = math.nan


class AttributionResult(TableDisplay, BaseModel):
    """Credit of every channel under one attribution model, with its totals.

    Attributes
    ----------
    model : str
        The attribution model.
    parameters : AttributionParameters
        The options used.
    conversions : int
        Conversion events found (with or without touches).
    revenue : float
        Their revenue.
    converting_paths : int
        Conversions with at least one touch in their window.
    conversions_without_touch : int
        Conversions credited to ``parameters.no_touch_label``.
    non_converting_journeys : int
        Journeys not followed by a conversion (used by ``"markov"`` only).
    credits : tuple of ChannelCredit
        Sorted by period, segment, then channel (the no-touch bucket last);
        their conversions sum to :attr:`conversions` and their revenue to
        :attr:`revenue` (up to float rounding).
    backend : {"pandas", "polars", "pyarrow", "duckdb", "pyspark", "sqlframe"}
        Frame kind :meth:`to_frame` returns by default: the input's
        (``"pyarrow"`` for other backends narwhals reads).
    lazy : bool
        Whether :meth:`to_frame` returns a lazy frame by default (polars
        LazyFrame in, LazyFrame out; DuckDB and PySpark are always lazy).

    Examples
    --------
    >>> result = AttributionResult(model="linear", parameters=AttributionParameters(),
    ...     conversions=1, revenue=10.0, converting_paths=1, conversions_without_touch=0,
    ...     non_converting_journeys=0, backend="pandas",
    ...     credits=(ChannelCredit(channel="email", conversions=1.0, revenue=10.0),))
    >>> result.to_dict()
    {'channel': ['email'], 'conversions': [1.0], 'revenue': [10.0]}
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    model: Model
    parameters: AttributionParameters
    conversions: int = Field(ge=0)
    revenue: NonNegative
    converting_paths: int = Field(ge=0)
    conversions_without_touch: int = Field(ge=0)
    non_converting_journeys: int = Field(ge=0)
    credits: tuple[ChannelCredit, ...]
    backend: FrameBackend
    lazy: bool = False
    _session: Any = PrivateAttr(default=None)

    def _table(self) -> Table:
        """Return the credit as a table, one row per (period, segment, channel)."""
        data = self.to_dict()
        columns = list(data)
        if self.model == "markov":
            columns.append("removal_effect")
            data["removal_effect"] = [credit.removal_effect for credit in self.credits]
        units: dict[str, Unit] = {"period": "text", **dict.fromkeys(self.parameters.by, "text")}
        units.update(CREDIT_UNITS)
        title = (
            f"AttributionResult: {self.model} model, {self.conversions:,} conversions "
            f"({self.converting_paths:,} with a touch, {self.conversions_without_touch:,} "
            f"without), revenue {self.revenue:,.2f}"
        )
        return Table(columns, data, units, (), title)

    def __repr__(self) -> str:
        """Return one line: the model, the totals and the shape; no per-channel values."""
        return short_repr(
            type(self).__name__,
            {
                "model": self.model,
                "credits": len(self.credits),
                "conversions": self.conversions,
                "revenue": round(self.revenue, 2),
                "period": self.parameters.period,
                "by": self.parameters.by,
                "backend": self.backend,
            },
        )

    @property
    def columns(self) -> list[str]:
        """Columns of :meth:`to_dict`: ``period`` (if any), the ``by`` columns, then credit."""
        period = ["period"] if self.parameters.period is not None else []
        return [*period, *self.parameters.by, "channel", "conversions", "revenue"]

    def to_dict(self) -> dict[str, list[Any]]:
        """Return the credit column by column.

        Examples
        --------
        >>> AttributionResult(model="markov", parameters=AttributionParameters(),
        ...     conversions=0, revenue=0.0, converting_paths=0, conversions_without_touch=0,
        ...     non_converting_journeys=0, credits=(), backend="pandas").to_dict()
        {'channel': [], 'conversions': [], 'revenue': []}
        """
        data: dict[str, list[Any]] = {name: [] for name in self.columns}
        for credit in self.credits:
            if self.parameters.period is not None:
                data["period"].append(credit.period)
            for name in self.parameters.by:
                data[name].append(credit.segment.get(name))
            data["channel"].append(credit.channel)
            data["conversions"].append(credit.conversions)
            data["revenue"].append(credit.revenue)
        return data

    def to_frame(self, *, backend: FrameBackend | None = None) -> Any:  # noqa: ANN401 - a native frame
        """Return the credit as a native DataFrame, one row per (period, segment, channel).

        Parameters
        ----------
        backend : {"pandas", "polars", "pyarrow", "duckdb", "pyspark", "sqlframe"}, optional
            Frame kind; by default the input's kind (:attr:`backend`, lazy when
            :attr:`lazy`): a polars LazyFrame, DuckDB relation or PySpark
            DataFrame (in the input's session, else the active one) for lazy input.

        Returns
        -------
        DataFrame or LazyFrame
            Columns :attr:`columns`; ``period`` holds dates (``datetime.date``
            objects on pandas), ``conversions`` and ``revenue`` Float64.

        Raises
        ------
        InvalidInputError
            If ``backend="pyspark"`` and no SparkSession is active.

        Examples
        --------
        >>> AttributionResult(model="linear", parameters=AttributionParameters(),
        ...     conversions=0, revenue=0.0, converting_paths=0, conversions_without_touch=0,
        ...     non_converting_journeys=0, credits=(), backend="pandas").to_frame().shape
        (0, 3)
        """
        target = backend or self.backend
        data = self.to_dict()
        schema: dict[str, Any] = {}
        if self.parameters.period is not None:
            schema["period"] = nw.Object() if target == "pandas" else nw.Date()
        schema.update({name: dtype_of(data[name]) for name in self.parameters.by})
        schema.update(
            {"channel": nw.String(), "conversions": nw.Float64(), "revenue": nw.Float64()}
        )
        lazy = self.lazy and backend is None
        return from_columns(data, schema, backend=target, lazy=lazy, session=self._session)
