"""Frozen result models of funnels and cart KPIs, and the step rows built from matches.

``to_frame`` returns the kind of frame the events came in (pandas, polars eager
or lazy, pyarrow, a DuckDB relation or a PySpark DataFrame in the input's
session); the kind is remembered outside the fields (see
:mod:`retention_kpis._core.kinds`), so equality and JSON ignore it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Annotated, Any, Literal

import narwhals.stable.v2 as nw
from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._core.checks import ZeroDivision, divide
from retention_kpis._core.display import Column, Table, TableDisplay, short_repr
from retention_kpis._core.display import Unit as DisplayUnit
from retention_kpis._core.kinds import KindAwareResult, dtype_of
from retention_kpis._core.values import Fraction
from retention_kpis.funnels._query import MICROSECONDS, SegmentValue, StepTotals

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CART_UNITS",
    "FUNNEL_UNITS",
    "CartKPIRow",
    "CartKPIs",
    "FunnelResult",
    "FunnelStep",
    "sort_key",
    "step_rows",
]

Unit = Literal["user", "session"]
Count = Annotated[int, Field(ge=0)]
_CONFIG = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

FUNNEL_UNITS: dict[str, DisplayUnit] = {
    "step": "count",
    "event_type": "text",
    "entrants": "count",
    "conversion_from_first": "percent",
    "conversion_from_previous": "percent",
    "drop_off": "count",
    "drop_off_share": "percent",
    "median_seconds_from_previous": "duration",
}
"""How ``str(funnel)`` and the notebook show each step column (segment columns are text)."""

CART_UNITS: dict[str, DisplayUnit] = {
    "carts_created": "count",
    "carts_converted": "count",
    "cart_abandonment_rate": "percent",
    "checkouts_started": "count",
    "checkouts_completed": "count",
    "checkout_conversion_rate": "percent",
}
"""How ``str(cart_kpis)`` and the notebook show each column (segment columns are text)."""


def _display_table(
    by: tuple[str, ...],
    rows: Sequence[FunnelStep | CartKPIRow],
    units: dict[str, DisplayUnit],
    notes: tuple[str, ...],
    title: str,
) -> Table:
    """Rows as a display table: the ``by`` columns (text) first, then ``units``' columns."""
    segments = Column(rows, attrgetter("segment"))
    data = {name: Column(segments, itemgetter(i)) for i, name in enumerate(by)}
    data.update({name: Column(rows, attrgetter(name)) for name in units})
    return Table([*by, *units], data, {**dict.fromkeys(by, "text"), **units}, notes, title)


def _rows_frame(
    result: KindAwareResult,
    by: tuple[str, ...],
    rows: Sequence[FunnelStep | CartKPIRow],
    fields: list[str],
    floats: frozenset[str],
) -> Any:  # noqa: ANN401 - a native frame of the input's kind
    """One row per result row, ``by`` columns first, as the input's kind of frame.

    Non-pandas frames get Int64 counts, Float64 ``floats`` with nulls where
    undefined (nan) and a String ``event_type``.
    """
    records = [
        {**dict(zip(by, row.segment, strict=True)), **row.model_dump(include=set(fields))}
        for row in rows
    ]
    if result.frame_kind.backend == "pandas":
        import pandas as pd  # noqa: PLC0415 - pandas is imported only when a frame is asked for

        frame: pd.DataFrame = pd.DataFrame.from_records(records, columns=[*by, *fields])
        return frame
    data: dict[str, list[Any]] = {name: [record[name] for record in records] for name in by}
    schema: dict[str, Any] = {name: dtype_of(values) for name, values in data.items()}
    for name in fields:
        values = [record[name] for record in records]
        if name in floats:
            data[name] = [None if v is None or math.isnan(v) else v for v in values]
            schema[name] = nw.Float64()
        else:
            data[name] = values
            schema[name] = nw.String() if name == "event_type" else nw.Int64()
    return result._native(data, schema)  # noqa: SLF001 - the result's own frame builder


def sort_key(segment: tuple[SegmentValue, ...]) -> tuple[tuple[int, str, str | float], ...]:
    """Deterministic order of segments: nulls first, then by type name, then by value."""
    return tuple(
        (0, "", "") if v is None else (1, type(v).__name__, v if isinstance(v, str) else float(v))
        for v in segment
    )


class FunnelStep(BaseModel):
    """One funnel step of one segment.

    ``conversion_from_first = entrants / entrants of step 1``;
    ``conversion_from_previous = entrants / entrants of the previous step``
    (1 for step 1); ``drop_off = previous entrants - entrants`` (0 for step 1)
    and ``drop_off_share = drop_off / previous entrants``;
    ``median_seconds_from_previous`` is the median time between the matched
    previous-step and this-step events of the units that reached this step
    (None for step 1 or when nobody reached it).
    """

    model_config = _CONFIG

    segment: tuple[SegmentValue, ...]
    step: Annotated[int, Field(ge=1)]
    event_type: str
    entrants: Count
    conversion_from_first: Fraction
    conversion_from_previous: Fraction
    drop_off: Count
    drop_off_share: Fraction
    median_seconds_from_previous: Annotated[float, Field(ge=0.0)] | None


class FunnelResult(TableDisplay, KindAwareResult):
    """A funnel: one :class:`FunnelStep` per step and segment, segments in sorted order.

    :meth:`to_frame` returns the kind of frame the events came in (pandas when
    built directly or read back from JSON); equality ignores that kind.

    Examples
    --------
    >>> result = FunnelResult(steps=("visit",), within_seconds=60, unit="user", ordered=True,
    ...                       by=(), session_gap_seconds=None, rows=())
    >>> result.to_frame().columns.tolist()[:3]
    ['step', 'event_type', 'entrants']
    """

    model_config = _CONFIG

    steps: tuple[str, ...]
    within_seconds: Annotated[int, Field(gt=0)]
    unit: Unit
    ordered: bool
    by: tuple[str, ...]
    session_gap_seconds: int | None
    rows: tuple[FunnelStep, ...]
    notes: tuple[str, ...] = ()

    def _table(self) -> Table:
        """Return the table shown: one row per segment and step, with the notes."""
        order = "ordered" if self.ordered else "unordered"
        by = f", by {', '.join(self.by)}" if self.by else ""
        title = (
            f"FunnelResult: {len(self.steps)} steps, {len(self.rows):,} rows, per {self.unit}, "
            f"{order}, within {self.within_seconds:,} s{by}"
        )
        return _display_table(self.by, self.rows, FUNNEL_UNITS, self.notes, title)

    def __repr__(self) -> str:
        """Return one line: the steps, shape and options; no values."""
        return short_repr(
            type(self).__name__,
            {
                "steps": self.steps,
                "rows": len(self.rows),
                "by": self.by,
                "unit": self.unit,
                "within_seconds": self.within_seconds,
                "notes": len(self.notes),
            },
        )

    def to_frame(self) -> Any:  # noqa: ANN401 - a native frame of the input's kind
        """Return one row per segment and step (``by`` columns first) as the input's kind.

        Returns
        -------
        DataFrame or LazyFrame
            pandas, polars (a LazyFrame for a LazyFrame), pyarrow, a DuckDB
            relation or a PySpark DataFrame (in the input's session), as the
            events were; pandas when the result was built directly. Counts are
            Int64, rates and ``median_seconds_from_previous`` Float64, null
            (NaN on pandas) where undefined.
        """
        fields = [name for name in FunnelStep.model_fields if name != "segment"]
        floats = frozenset(
            {
                "conversion_from_first",
                "conversion_from_previous",
                "drop_off_share",
                "median_seconds_from_previous",
            }
        )
        return _rows_frame(self, self.by, self.rows, fields, floats)


class CartKPIRow(BaseModel):
    """Cart and checkout KPIs of one segment (see :func:`~retention_kpis.funnels.cart_kpis`)."""

    model_config = _CONFIG

    segment: tuple[SegmentValue, ...]
    carts_created: Count
    carts_converted: Count
    cart_abandonment_rate: Fraction
    cart_abandonment_rate_low: Fraction = Field(default=math.nan, exclude_if=math.isnan)
    cart_abandonment_rate_high: Fraction = Field(default=math.nan, exclude_if=math.isnan)
    checkouts_started: Count
    checkouts_completed: Count
    checkout_conversion_rate: Fraction
    checkout_conversion_rate_low: Fraction = Field(default=math.nan, exclude_if=math.isnan)
    checkout_conversion_rate_high: Fraction = Field(default=math.nan, exclude_if=math.isnan)


class CartKPIs(TableDisplay, KindAwareResult):
    """Cart abandonment and checkout conversion per segment.

    :meth:`to_frame` returns the kind of frame the events came in (pandas when
    built directly or read back from JSON); equality ignores that kind.

    Examples
    --------
    >>> CartKPIs(unit="user", within_seconds=3600, by=(), rows=()).to_frame().shape
    (0, 6)
    """

    model_config = _CONFIG

    unit: Unit
    within_seconds: Annotated[int, Field(gt=0)]
    by: tuple[str, ...]
    rows: tuple[CartKPIRow, ...]
    notes: tuple[str, ...] = ()
    confidence: float | None = Field(
        default=None, gt=0.0, lt=1.0, exclude_if=lambda value: value is None
    )

    def _columns(self) -> dict[str, DisplayUnit]:
        """Return the row columns with their units (each rate's bounds after it with confidence)."""
        if self.confidence is None:
            return CART_UNITS
        units: dict[str, DisplayUnit] = {}
        for name, unit in CART_UNITS.items():
            units[name] = unit
            if name.endswith("_rate"):
                units[f"{name}_low"] = units[f"{name}_high"] = unit
        return units

    def _table(self) -> Table:
        """Return the table shown: one row per segment, with the notes."""
        by = f", by {', '.join(self.by)}" if self.by else ""
        title = (
            f"CartKPIs: {len(self.rows):,} rows, per {self.unit}, "
            f"within {self.within_seconds:,} s{by}"
        )
        return _display_table(self.by, self.rows, self._columns(), self.notes, title)

    def __repr__(self) -> str:
        """Return one line: the shape and options; no values."""
        return short_repr(
            type(self).__name__,
            {
                "rows": len(self.rows),
                "by": self.by,
                "unit": self.unit,
                "within_seconds": self.within_seconds,
                "notes": len(self.notes),
            },
        )

    def to_frame(self) -> Any:  # noqa: ANN401 - a native frame of the input's kind
        """Return one row per segment (``by`` columns first) as the input's kind of frame.

        Returns
        -------
        DataFrame or LazyFrame
            As :meth:`FunnelResult.to_frame`: the events' kind; counts Int64,
            rates Float64, null (NaN on pandas) where undefined; with
            :attr:`confidence`, each rate followed by ``<rate>_low`` and ``<rate>_high``.
        """
        fields = list(self._columns())
        floats = frozenset(name for name in fields if "_rate" in name)
        return _rows_frame(self, self.by, self.rows, fields, floats)


def step_rows(
    segment: tuple[SegmentValue, ...],
    totals: StepTotals,
    names: Sequence[str],
    *,
    zero_division: ZeroDivision,
) -> list[FunnelStep]:
    """Build the step rows of one segment from its units' step totals."""
    entrants = list(totals.entrants)
    nobody = math.nan
    if entrants[0] == 0:  # only without `by`: the single segment when nobody entered
        nobody = divide(
            0,
            0,
            zero_division=zero_division,
            kpi="funnel conversion",
            denominator_name="the number of units entering step 1",
        )
    rows: list[FunnelStep] = []
    for k, name in enumerate(names):
        previous = entrants[max(k - 1, 0)]
        microseconds = totals.median_microseconds[k]
        median = None if microseconds is None else microseconds / MICROSECONDS
        drop = previous - entrants[k]
        if entrants[0] == 0:
            from_first = from_previous = share = nobody
        else:
            from_first = entrants[k] / entrants[0]
            from_previous = (
                divide(
                    entrants[k],
                    previous,
                    zero_division=zero_division,
                    kpi="conversion_from_previous",
                    denominator_name=f"the number of units reaching step {k}",
                )
                if k > 0
                else 1.0
            )
            # Same denominator as conversion_from_previous: warned once, above.
            share = drop / previous if previous else from_previous
        rows.append(
            FunnelStep(
                segment=segment,
                step=k + 1,
                event_type=name,
                entrants=entrants[k],
                conversion_from_first=from_first,
                conversion_from_previous=from_previous,
                drop_off=drop,
                drop_off_share=share,
                median_seconds_from_previous=median,
            )
        )
    return rows
