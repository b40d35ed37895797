"""Frozen result models of cohort retention: the cohort grid, its counts and shares.

The grid is small (cohorts x offsets), so it is held as plain tuples: the models
are frozen, compare by value and round-trip through JSON. ``None`` in a cell
means *not available*: the cell's period is not fully observed (or, for revenue
retention, the cohort's offset-0 revenue is zero under ``zero_division="warn"``).
:meth:`CohortTable.to_frame` returns the grid in wide or long form as the kind of
frame the events came in (pandas, polars eager or lazy, pyarrow, DuckDB, PySpark).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

import narwhals.stable.v2 as nw
from pydantic import ConfigDict, Field, model_validator

from retention_kpis._core.display import Table, TableDisplay, Unit, short_repr
from retention_kpis._core.kinds import KindAwareResult
from retention_kpis.exceptions import InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CohortTable", "RevenueRetentionTable"]

Period: TypeAlias = Literal["D", "W", "M"]
Window: TypeAlias = Literal["calendar", "rolling"]
Mode: TypeAlias = Literal["on", "on_or_after", "bracket"]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Ratio = Annotated[float, Field(ge=0.0)]
Amount = Annotated[float, Field(ge=0.0)]
Count = Annotated[int, Field(ge=0)]


def _label(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}-{hi}"


class _CohortGrid(TableDisplay, KindAwareResult):
    """Fields shared by the cohort tables; rows are cohorts, columns period offsets.

    The kind of frame the events came in is remembered (not a field: equality
    and JSON ignore it) so ``to_frame`` returns that kind.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    period: Period
    window: Window
    cohort_event: str
    observation_end: dt.datetime
    cohorts: tuple[dt.date, ...]
    offsets: tuple[tuple[int, int], ...]
    cohort_sizes: tuple[Count, ...]
    notes: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Column labels: ``"3"`` for offset 3, ``"2-3"`` for the bracket of offsets 2 to 3."""
        return tuple(_label(lo, hi) for lo, hi in self.offsets)

    def _display(
        self, shares: tuple[tuple[float | None, ...], ...], average: Sequence[float | None]
    ) -> Table:
        """Return the shares grid as a display table: a row per cohort, then the average row."""
        labels = self.columns
        data: dict[str, list[Any]] = {
            "cohort": [*self.cohorts, "average"],
            "cohort_size": [*self.cohort_sizes, None],
        }
        for position, label in enumerate(labels):
            data[label] = [*(row[position] for row in shares), average[position]]
        units: dict[str, Unit] = {"cohort": "text", "cohort_size": "count"}
        units.update(dict.fromkeys(labels, "percent"))
        title = (
            f"{type(self).__name__}: {len(self.cohorts):,} cohorts x {len(labels):,} offsets, "
            f"period {self.period}, {self.window} window (shares of offset 0)"
        )
        return Table(["cohort", "cohort_size", *labels], data, units, self.notes, title)

    def __repr__(self) -> str:
        """Return one line: the shape, period, window and observation end; no values."""
        return short_repr(
            type(self).__name__,
            {
                "cohorts": len(self.cohorts),
                "offsets": len(self.offsets),
                "period": self.period,
                "window": self.window,
                "cohort_event": self.cohort_event,
                "observation_end": self.observation_end.isoformat(),
                "notes": len(self.notes),
            },
        )

    def _table(self) -> Table:
        """Return the shares as a table: one row per cohort, the average row, the notes."""
        raise NotImplementedError  # pragma: no cover - each table defines it

    def _check_grid(self, *grids: tuple[tuple[object, ...], ...]) -> None:
        if len(self.cohort_sizes) != len(self.cohorts):
            msg = "cohort_sizes must hold one size per cohort"
            raise ValueError(msg)
        for grid in grids:
            if len(grid) != len(self.cohorts) or any(len(r) != len(self.offsets) for r in grid):
                msg = "every grid must have one row per cohort and one value per offset"
                raise ValueError(msg)

    def _frame(
        self, values: tuple[tuple[float | int | None, ...], ...], name: str, form: str, func: str
    ) -> Any:  # noqa: ANN401 - a native frame of the input's kind
        if form not in {"wide", "long"}:
            msg = f"The 'form' parameter of {func} must be 'wide' or 'long'. Got {form!r} instead."
            raise InvalidInputError(msg)
        if self.frame_kind.backend != "pandas":
            return self._native_frame(values, name, form)
        return self._pandas_frame(values, name, form)

    def _native_frame(
        self, values: tuple[tuple[float | int | None, ...], ...], name: str, form: str
    ) -> Any:  # noqa: ANN401 - a native frame of the input's kind
        """Build the grid as a non-pandas frame: ``cohort`` a Date column, nulls where missing."""
        value_dtype = nw.Int64() if name == "counts" else nw.Float64()
        data: dict[str, list[Any]]
        schema: dict[str, Any] = {"cohort": nw.Date(), "cohort_size": nw.Int64()}
        if form == "wide":
            data = {"cohort": list(self.cohorts), "cohort_size": list(self.cohort_sizes)}
            for position, label in enumerate(self.columns):
                data[label] = [row[position] for row in values]
                schema[label] = value_dtype
            return self._native(data, schema)
        n = len(self.offsets)
        data = {
            "cohort": [cohort for cohort in self.cohorts for _ in range(n)],
            "cohort_size": [size for size in self.cohort_sizes for _ in range(n)],
            "offset": list(self.columns) * len(self.cohorts),
            "offset_start": [lo for lo, _ in self.offsets] * len(self.cohorts),
            "offset_end": [hi for _, hi in self.offsets] * len(self.cohorts),
            name: [v for row in values for v in row],
        }
        schema.update(
            {
                "offset": nw.String(),
                "offset_start": nw.Int64(),
                "offset_end": nw.Int64(),
                name: value_dtype,
            }
        )
        return self._native(data, schema)

    def _pandas_frame(
        self, values: tuple[tuple[float | int | None, ...], ...], name: str, form: str
    ) -> pd.DataFrame:
        import pandas as pd  # noqa: PLC0415 - pandas is imported only when a frame is asked for

        dtype = "Int64" if name == "counts" else "float64"
        cohorts = pd.to_datetime(pd.Series(self.cohorts, dtype="object"))
        if form == "wide":
            wide: dict[str, pd.Series] = {
                "cohort": cohorts,
                "cohort_size": pd.Series(self.cohort_sizes, dtype="int64"),
            }
            for position, label in enumerate(self.columns):
                wide[label] = pd.Series([row[position] for row in values], dtype=dtype)
            wide_frame: pd.DataFrame = pd.DataFrame(wide)
            return wide_frame
        n = len(self.offsets)
        long: dict[str, pd.Series] = {
            "cohort": cohorts.repeat(n).reset_index(drop=True),
            "cohort_size": pd.Series(self.cohort_sizes, dtype="int64")
            .repeat(n)
            .reset_index(drop=True),
            "offset": pd.Series(self.columns * len(self.cohorts), dtype="object"),
            "offset_start": pd.Series([lo for lo, _ in self.offsets] * len(self.cohorts)),
            "offset_end": pd.Series([hi for _, hi in self.offsets] * len(self.cohorts)),
            name: pd.Series([v for row in values for v in row], dtype=dtype),
        }
        long_frame: pd.DataFrame = pd.DataFrame(long)
        return long_frame


class CohortTable(_CohortGrid):
    """Cohort retention: returning customers per cohort and period offset.

    Attributes
    ----------
    cohorts : tuple of datetime.date
        First day of each cohort's period (the period of the customer's first
        ``cohort_event``), oldest first.
    offsets : tuple of (int, int)
        Offset range of each column, ``(k, k)`` for one offset, ``(lo, hi)`` for a bracket.
    cohort_sizes : tuple of int
        Customers in each cohort.
    counts : tuple of tuple of (int or None)
        Retained customers per cohort (row) and column; None when the cell is not
        fully observed.
    shares : tuple of tuple of (float or None)
        ``counts / cohort size`` in [0, 1]; None when not fully observed.
    average : tuple of (float or None)
        The retention curve: per column, the cohort-size weighted average over
        fully observed cells (``sum(counts) / sum(sizes)``); None when no cell is.

    Examples
    --------
    >>> import datetime as dt
    >>> table = CohortTable(
    ...     period="M", window="calendar", mode="on", cohort_event="purchase",
    ...     return_event="purchase", observation_end=dt.datetime(2024, 3, 1),
    ...     cohorts=(dt.date(2024, 1, 1),), offsets=((0, 0), (1, 1)), cohort_sizes=(4,),
    ...     counts=((4, 1),), shares=((1.0, 0.25),), average=(1.0, 0.25),
    ... )
    >>> table.columns, float(table.to_frame("shares").loc[0, "1"])
    (('0', '1'), 0.25)
    """

    mode: Mode
    return_event: str
    counts: tuple[tuple[Count | None, ...], ...]
    shares: tuple[tuple[Share | None, ...], ...]
    average: tuple[Share | None, ...]

    def _table(self) -> Table:
        return self._display(self.shares, self.average)

    @model_validator(mode="after")
    def _check_shapes(self) -> CohortTable:
        self._check_grid(self.counts, self.shares)
        if len(self.average) != len(self.offsets):
            msg = "average must hold one value per offset"
            raise ValueError(msg)
        return self

    def to_frame(
        self,
        kind: Literal["shares", "counts"] = "shares",
        *,
        form: Literal["wide", "long"] = "wide",
    ) -> Any:  # noqa: ANN401 - a native frame of the input's kind
        """Return the shares or counts as a frame of the kind the events came in.

        Parameters
        ----------
        kind : {"shares", "counts"}, default="shares"
            Which grid to return; counts use pandas' nullable ``Int64``.
        form : {"wide", "long"}, default="wide"
            ``"wide"``: one row per cohort, columns ``cohort``, ``cohort_size`` and
            one per offset label. ``"long"``: one row per cohort and offset with
            ``offset``, ``offset_start``, ``offset_end`` and the value column.

        Returns
        -------
        DataFrame or LazyFrame
            The input's kind: pandas, polars (a LazyFrame for a LazyFrame),
            pyarrow, a DuckDB relation or a PySpark DataFrame (in the input's
            session); pandas for a table built directly or read from JSON.
            ``cohort`` holds dates (datetime64 on pandas); counts are Int64
            (pandas' nullable ``Int64``), shares Float64. Cells not fully
            observed are missing (null; NaN / ``<NA>`` on pandas), never zero.
        """
        func = "CohortTable.to_frame"
        if kind not in {"shares", "counts"}:
            msg = (
                f"The 'kind' parameter of {func} must be 'shares' or 'counts'. "
                f"Got {kind!r} instead."
            )
            raise InvalidInputError(msg)
        values = self.shares if kind == "shares" else self.counts
        return self._frame(values, kind, form, func)


class RevenueRetentionTable(_CohortGrid):
    """Net revenue retention per cohort and period offset.

    Attributes
    ----------
    revenue : tuple of tuple of (float or None)
        Revenue of the cohort's customers per offset; None when not fully observed.
    shares : tuple of tuple of (float or None)
        ``revenue[k] / revenue[0]`` (may exceed 1: expansion); None when not fully
        observed or undefined.
    average : tuple of (float or None)
        Per column, the pooled ratio over fully observed, defined cells:
        ``sum(revenue[k]) / sum(revenue[0])`` (weighted by offset-0 revenue).

    Examples
    --------
    >>> import datetime as dt
    >>> table = RevenueRetentionTable(
    ...     period="M", window="calendar", cohort_event="purchase",
    ...     observation_end=dt.datetime(2024, 3, 1), cohorts=(dt.date(2024, 1, 1),),
    ...     offsets=((0, 0), (1, 1)), cohort_sizes=(2,), revenue=((100.0, 120.0),),
    ...     shares=((1.0, 1.2),), average=(1.0, 1.2),
    ... )
    >>> table.to_frame("revenue", form="long")["revenue"].tolist()
    [100.0, 120.0]
    """

    revenue: tuple[tuple[Amount | None, ...], ...]
    shares: tuple[tuple[Ratio | None, ...], ...]
    average: tuple[Ratio | None, ...]

    def _table(self) -> Table:
        return self._display(self.shares, self.average)

    @model_validator(mode="after")
    def _check_shapes(self) -> RevenueRetentionTable:
        self._check_grid(self.revenue, self.shares)
        if len(self.average) != len(self.offsets):
            msg = "average must hold one value per offset"
            raise ValueError(msg)
        return self

    def to_frame(
        self,
        kind: Literal["shares", "revenue"] = "shares",
        *,
        form: Literal["wide", "long"] = "wide",
    ) -> Any:  # noqa: ANN401 - a native frame of the input's kind
        """Return the revenue ratios or amounts as a frame of the kind the events came in.

        Parameters
        ----------
        kind : {"shares", "revenue"}, default="shares"
            Which grid to return.
        form : {"wide", "long"}, default="wide"
            As in :meth:`CohortTable.to_frame`.

        Returns
        -------
        DataFrame or LazyFrame
            The input's kind, as in :meth:`CohortTable.to_frame`; cells not
            available are null (NaN on pandas).
        """
        func = "RevenueRetentionTable.to_frame"
        if kind not in {"shares", "revenue"}:
            msg = (
                f"The 'kind' parameter of {func} must be 'shares' or 'revenue'. "
                f"Got {kind!r} instead."
            )
            raise InvalidInputError(msg)
        values = self.shares if kind == "shares" else self.revenue
        return self._frame(values, kind, form, func)
