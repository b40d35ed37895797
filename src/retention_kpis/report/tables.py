"""Aggregate validated events per period and segment inside their backend.

Everything is a narwhals expression run inside the events' own backend; only the
aggregated tables (one row per period and segment, or per score value) are
collected. No KPI formula lives here: only counts and sums, which
:mod:`retention_kpis.report.rows` turns into KPIs with the pure metric functions.
Eager backends (pandas, pyarrow) get :func:`~retention_kpis.report.eager_tables.eager_tables`,
engines (polars, DuckDB, PySpark, ...) :func:`~retention_kpis.report.engine_tables.engine_tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw
import numpy as np

from retention_kpis._core.calendar import Period, period_adder
from retention_kpis._core.columns import EVENT, PERIOD, SCORE
from retention_kpis._core.frames import Key, collect_table, key_order
from retention_kpis.events import EventTypes
from retention_kpis.report.eager_tables import eager_tables
from retention_kpis.report.engine_tables import engine_tables
from retention_kpis.report.plan import Aggregates

__all__ = ["aggregate"]


def _scores(responses: dict[Key, dict[str, Any]]) -> dict[Key, dict[str, dict[float, int]]]:
    """Responses per key, survey type and score, from rows keyed ``(*keys, type, score)``."""
    scores: dict[Key, dict[str, dict[float, int]]] = {}
    for key, row in responses.items():
        *segment, kind, score = key
        per_kind = scores.setdefault(tuple(segment), {}).setdefault(str(kind), {})
        per_kind[float(score)] = int(row["responses"])
    return scores


def aggregate(
    lf: nw.LazyFrame[Any],
    *,
    types: EventTypes,
    period: Period | None,
    by: Sequence[str],
    columns: frozenset[str],
    churned: bool = True,
    moments: bool = False,
) -> Aggregates:
    """Aggregate validated events per period and segment inside their backend.

    Eager backends (pandas, pyarrow) run one small aggregation per table; engines
    (polars, DuckDB, PySpark, ...) run three queries
    (:mod:`retention_kpis.report.engine_tables`).

    Parameters
    ----------
    lf : narwhals.LazyFrame
        Events with the canonical columns of :func:`~retention_kpis.validate_events`.
    types : EventTypes
        Event type names.
    period : {"D", "W", "M", "Q", "Y"} or None
        Period length; None makes the whole frame one period.
    by : sequence of str
        Segment columns.
    columns : frozenset of str
        Optional roles present (``"revenue"``, ``"cost"``, ``"score"``, ``"order_id"``).
    churned : bool, default=True
        Also count the previous period's active customers with a churn event (the
        ``"churned"`` table, needed by ``churn_from="events"`` only).
    moments : bool, default=False
        Also sum per-customer orders and revenue and their squares and product per key
        (the ``"moments"`` table: the inputs of the ``aov`` and ``purchase_frequency``
        intervals), in the query that already groups purchases per customer.

    Returns
    -------
    Aggregates
        Small collected tables keyed by ``(period index, *segment values)``.
    """
    keys = [PERIOD, *by] if period is not None else list(by)
    implementation = lf.implementation
    with_period = period_adder(lf, period)
    is_ = {kind: nw.col(EVENT) == name for kind, name in types.named().items()}
    churn = types.churn if churned else None
    scores: dict[Key, dict[str, dict[float, int]]] = {}
    if implementation.is_pandas_like() or implementation.is_pyarrow():
        lf = with_period(lf)
        # A sum beyond the float range becomes inf, which the rows name as an error; numpy's
        # overflow warning on the way (pandas' grouped sums) would only repeat it.
        with np.errstate(over="ignore"):
            tables = eager_tables(lf, keys, by, is_, columns=columns, churn=churn, moments=moments)
        if "score" in columns:
            surveys = lf.filter(is_["nps_response"] | is_["csat_response"])
            counts = surveys.group_by(*keys, EVENT, SCORE).agg(nw.len().alias("responses"))
            scores = _scores(collect_table(counts, [*keys, EVENT, SCORE]))
    else:
        tables, responses = engine_tables(
            lf,
            keys,
            by,
            types=types,
            columns=columns,
            churn=churn,
            with_period=with_period,
            moments=moments,
        )
        scores = _scores(responses or {})
    # Without a group key, an empty frame still aggregates to one row (of 0 events): no row.
    events = tables["events"]
    ordered = sorted((key for key, row in events.items() if row["events"]), key=key_order)
    return Aggregates(keys=tuple(ordered), tables=tables, scores=scores)
