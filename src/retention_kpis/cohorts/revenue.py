"""Net revenue retention per cohort: revenue in offset k over revenue in offset 0."""

from __future__ import annotations

import datetime as dt
import math

from retention_kpis._core.checks import ZeroDivision, check_name, check_zero_division, divide
from retention_kpis._core.frames import max_timestamp
from retention_kpis._core.kinds import remember_kind
from retention_kpis.cohorts._compute import cohort_cells
from retention_kpis.cohorts._options import check_observation_end, check_period, check_window
from retention_kpis.cohorts._table import Period, RevenueRetentionTable, Window
from retention_kpis.cohorts.retention import observable_offsets
from retention_kpis.events import EventSchema
from retention_kpis.events.schema import check_schema
from retention_kpis.events.validate import validate_with_types
from retention_kpis.exceptions import ColumnNotFoundError

__all__ = ["revenue_retention"]

_FUNC = "revenue_retention"


def revenue_retention(
    events: object,
    *,
    cohort_event: str | None = None,
    period: Period = "M",
    window: Window = "calendar",
    schema: EventSchema | None = None,
    observation_end: dt.datetime | dt.date | None = None,
    zero_division: ZeroDivision = "warn",
) -> RevenueRetentionTable:
    """Net revenue retention per cohort and period offset.

    ``share[c][k] = revenue of cohort c's customers in offset k / their revenue in offset 0``

    Revenue is the ``revenue`` column of purchase events
    (``schema.event_types.purchase``) at or after each customer's first
    ``cohort_event``; cohorts and offsets are as in
    :func:`~retention_kpis.cohorts.cohort_retention`. A share above 1 means the
    cohort spends more than in its first period (expansion outweighs churn).

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event, checked with :func:`~retention_kpis.validate_events`.
    cohort_event : str, optional
        Event type that starts a customer's cohort; the purchase type by default.
    period : {"D", "W", "M"}, default="M"
        Period of cohorts and offsets.
    window : {"calendar", "rolling"}, default="calendar"
        Calendar periods or rolling 24 h / 7-day / 30-day periods.
    schema : EventSchema, optional
        Column names; ``EventSchema()`` by default.
    observation_end : datetime or date, optional
        Last observed instant (a date means its 23:59:59); default: the latest
        timestamp. Cells ending after it are None.
    zero_division : {"warn"} or float, default="warn"
        Share of a cohort whose offset-0 revenue is 0: ``"warn"`` gives None and
        emits :class:`~retention_kpis.UndefinedKPIWarning`; a float is used as given.

    Returns
    -------
    RevenueRetentionTable
        Revenue and shares per cohort and offset; ``average`` is the pooled ratio
        ``sum(revenue[k]) / sum(revenue[0])`` over fully observed cells of
        cohorts with a defined share.
        :meth:`~RevenueRetentionTable.to_frame` returns the events' kind of frame.

    Raises
    ------
    ColumnNotFoundError
        If the revenue column is missing.
    InvalidInputError
        If an option is invalid or the events break the data contract.

    Examples
    --------
    >>> import datetime as dt
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "b"],
    ...     "timestamp": ["2024-01-03", "2024-02-10", "2024-01-20", "2024-01-25"],
    ...     "event_type": ["purchase"] * 4,
    ...     "revenue": [10.0, 30.0, 20.0, 10.0],
    ... })
    >>> table = revenue_retention(events, observation_end=dt.date(2024, 2, 29))
    >>> table.revenue, table.shares
    (((40.0, 30.0),), ((1.0, 0.75),))
    """
    period_ = check_period(period, _FUNC)
    window_ = check_window(window, _FUNC)
    end = check_observation_end(observation_end, _FUNC)
    schema_ = check_schema(schema, _FUNC)
    policy = check_zero_division(zero_division, _FUNC)
    purchase = schema_.event_types.purchase
    start_name = check_name(
        purchase if cohort_event is None else cohort_event, "cohort_event", _FUNC
    )
    prepared = validate_with_types(events, schema=schema_, names=[start_name, purchase])
    if "revenue" not in prepared.columns:
        msg = (
            f"Missing column {schema_.revenue!r} in events (needed by {_FUNC}).\n"
            "Hint: map your revenue column with EventSchema(revenue='amount')."
        )
        raise ColumnNotFoundError(msg)
    end = end if end is not None else max_timestamp(prepared.frame)
    if end is None:
        end = dt.datetime(1970, 1, 1)  # noqa: DTZ001 - empty input: an empty table
    cells = cohort_cells(
        prepared.frame,
        period=period_,
        window=window_,
        cohort_event=start_name,
        return_event=purchase,
        end=end,
        measure="revenue",
    )
    observed = observable_offsets(cells, period_, window_, end)
    offsets = tuple((k, k) for k in range(max([0, *observed]) + 1))
    revenue: list[tuple[float | None, ...]] = []
    shares: list[tuple[float | None, ...]] = []
    for cohort, last in zip(cells.cohorts, observed, strict=True):
        row = tuple(cells.values.get((cohort, k), 0.0) if k <= last else None for k, _ in offsets)
        revenue.append(row)
        base = row[0]
        if base is None:  # offset 0 itself not fully observed yet
            shares.append(tuple(None for _ in row))
        elif base > 0:
            shares.append(tuple(None if v is None else v / base for v in row))
        else:
            value = divide(
                0.0, 0.0, zero_division=policy, kpi=_FUNC, denominator_name="offset-0 revenue"
            )
            shares.append(tuple(None if v is None or math.isnan(value) else value for v in row))
    average: list[float | None] = []
    for k in range(len(offsets)):
        done = [
            (row[k], row[0])
            for row in revenue
            if row[k] is not None and row[0] is not None and row[0] > 0
        ]
        base_total = sum(base for _, base in done if base is not None)
        total = sum(value for value, _ in done if value is not None)
        average.append(total / base_total if base_total > 0 else None)
    table = RevenueRetentionTable(
        period=period_,
        window=window_,
        cohort_event=start_name,
        observation_end=end,
        cohorts=tuple(cells.start_date(period_, cohort) for cohort in cells.cohorts),
        offsets=offsets,
        cohort_sizes=cells.sizes,
        revenue=tuple(revenue),
        shares=tuple(shares),
        average=tuple(average),
        notes=prepared.notes,
    )
    return remember_kind(table, events)
