"""Query-plan helpers shared by the report's tables: the collected result and joins.

The eager tables (:mod:`~retention_kpis.report.eager_tables`), the engine tables
(:mod:`~retention_kpis.report.engine_tables`) and the engagement tables stand on
these helpers; grouping, collecting and 0/1 flags live in
:mod:`retention_kpis._core.frames`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.calendar import WithPeriod
from retention_kpis._core.columns import CUSTOMER, EVENT, PERIOD
from retention_kpis._core.frames import Key, grouped

__all__ = ["Aggregates", "churned_plan", "same_segment"]


@dataclasses.dataclass(frozen=True)
class Aggregates:
    """Collected aggregates, keyed by ``(period index, *segment values)``.

    ``tables[name][key]`` holds the named columns of one aggregated table;
    ``scores[key][event_type]`` maps a survey score to its response count.
    """

    keys: tuple[Key, ...]
    tables: dict[str, dict[Key, dict[str, Any]]]
    scores: dict[Key, dict[str, dict[float, int]]]


def same_segment(lf: nw.LazyFrame[Any], by: Sequence[str]) -> nw.LazyFrame[Any]:
    """Keep rows whose ``by`` columns equal their ``_prev`` twins (null equals null)."""
    for name in by:
        left, right = nw.col(name), nw.col(f"{name}_prev")
        lf = lf.filter((left == right).fill_null(value=False) | (left.is_null() & right.is_null()))
    return lf


def churned_plan(
    lf: nw.LazyFrame[Any],
    active: nw.LazyFrame[Any],
    keys: Sequence[str],
    churn: str,
    with_period: WithPeriod | None = None,
) -> nw.LazyFrame[Any]:
    """Count, per key, the previous period's purchasers with a churn event (any segment).

    ``active`` holds the distinct ``(*keys, customer)`` of purchasers; the key is that of
    their previous-period purchase, moved to the period of the churn event. ``with_period``
    adds the period to the churn events when ``lf`` has none yet.
    """
    active_next = active.with_columns((nw.col(PERIOD) + 1).alias(PERIOD))
    churn_events = lf.filter(nw.col(EVENT) == churn)
    if with_period is not None:
        churn_events = with_period(churn_events)
    churners = churn_events.select(PERIOD, CUSTOMER).unique()
    lost = active_next.join(churners, on=[PERIOD, CUSTOMER])
    return grouped(lost, keys, nw.len().alias("churned"))
