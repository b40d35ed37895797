"""One report row from the aggregated counts, through the pure metric functions.

No formula is written here: each KPI calls its function in
:mod:`retention_kpis.metrics` with ``zero_division=nan``, and a KPI the data
cannot support is nan with a note naming the cause (counted per cause).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from retention_kpis._aggregate import Aggregates, Key, Period
from retention_kpis.events import EventTypes
from retention_kpis.metrics.aov import average_order_value
from retention_kpis.metrics.cac import customer_acquisition_cost
from retention_kpis.metrics.churn import churn_rate
from retention_kpis.metrics.clv import customer_lifetime_value
from retention_kpis.metrics.conversion import conversion_rate
from retention_kpis.metrics.cpa import cost_per_acquisition
from retention_kpis.metrics.csat import customer_satisfaction_score
from retention_kpis.metrics.nps import net_promoter_score
from retention_kpis.metrics.purchase_frequency import purchase_frequency
from retention_kpis.metrics.retention import retention_rate
from retention_kpis.metrics.roas import return_on_ad_spend

__all__ = ["DEFINITIONS", "KPI_COLUMNS", "RowInputs", "kpi_values"]

DEFINITIONS: dict[str, str] = {
    "visitors": "distinct customers with a visit event in the period (and segment)",
    "conversion_rate": "distinct visitors who also purchased in the period / visitors",
    "orders": (
        "purchase events; distinct order_id when the column is present "
        "(a purchase without an order_id is its own order)"
    ),
    "revenue": "sum of purchase revenue",
    "spend": "sum of spend cost; null when the events hold no spend rows",
    "new_customers": (
        "customers whose first purchase in the whole frame falls in the period "
        "(in the segment of that purchase)"
    ),
    "cpa": "spend / orders",
    "cac": "spend / new_customers",
    "roas": "revenue / spend",
    "aov": "revenue / orders",
    "purchase_frequency": "orders / active_customers",
    "csat": "share of CSAT responses >= csat_threshold",
    "nps": "100 * (promoters 9-10 - detractors 0-6) / NPS responses",
    "active_customers": "distinct purchasers",
    "retention_rate": (
        "share of the calendar-previous period's active customers (same segment) active again"
    ),
    "churn_rate": (
        "1 - retention_rate (churn_from='activity'), or the share of the previous period's "
        "active customers with a churn event (churn_from='events')"
    ),
    "clv": "aov * purchase_frequency * expected lifespan in periods (1 / churn_rate)",
}
KPI_COLUMNS: tuple[str, ...] = tuple(DEFINITIONS)
_NAN = math.nan


@dataclasses.dataclass(frozen=True)
class RowInputs:
    """Options that shape every row."""

    types: EventTypes
    period: Period | None
    has_orders: bool
    has_spend: bool
    churn_from: str
    csat_scale: tuple[int, int]
    csat_threshold: int


def _note(causes: dict[str, int], cause: str) -> None:
    causes[cause] = causes.get(cause, 0) + 1


def _kpi(
    causes: dict[str, int],
    cause: str,
    function: Callable[..., float],
    *args: float,
    **options: Any,  # noqa: ANN401 - forwarded to the metric function
) -> float:
    """Call a pure metric function; nan (and a counted note) when it is undefined."""
    if any(isinstance(arg, float) and math.isnan(arg) for arg in args):
        return _NAN
    value = function(*args, zero_division=_NAN, **options)
    if math.isnan(value):
        _note(causes, cause)
    return value


def _get(aggregates: Aggregates, table: str, key: Key, field: str) -> Any:  # noqa: ANN401 - a backend scalar
    row = aggregates.tables.get(table, {}).get(key)
    value = None if row is None else row.get(field)
    return 0 if value is None else value


def _orders(aggregates: Aggregates, key: Key, *, has_orders: bool) -> int:
    if not has_orders:
        return int(_get(aggregates, "purchases", key, "purchase_rows"))
    distinct_ids = int(_get(aggregates, "purchases", key, "order_ids"))
    any_missing = int(_get(aggregates, "purchases", key, "any_no_order"))
    return distinct_ids - any_missing + int(_get(aggregates, "purchases", key, "no_order_rows"))


def _survey(
    aggregates: Aggregates, key: Key, kind: str
) -> np.ndarray[Any, np.dtype[np.float64]] | None:
    counts = aggregates.scores.get(key, {}).get(kind)
    if not counts:
        return None
    return np.repeat(np.array(list(counts), dtype=np.float64), list(counts.values()))


def _retention(
    aggregates: Aggregates, key: Key, inputs: RowInputs, active: int, causes: dict[str, int]
) -> tuple[float, float]:
    if inputs.period is None:
        _note(
            causes,
            "retention_rate, churn_rate and clv are null: period=None has no previous period",
        )
        return _NAN, _NAN
    previous = (key[0] - 1, *key[1:])
    start = int(_get(aggregates, "customers", previous, "active"))
    cause = (
        "retention_rate, churn_rate and clv are null where the calendar-previous period "
        "has no active customers in the segment, first period or a gap"
    )
    if inputs.churn_from == "events":
        lost = int(_get(aggregates, "churned", key, "churned"))
        churn = _kpi(causes, cause, churn_rate, start, lost)
        return _kpi({}, cause, retention_rate, start, start - lost, 0), churn
    retained = int(_get(aggregates, "retained", key, "retained"))
    retention = _kpi(causes, cause, retention_rate, start, active, active - retained)
    return retention, _kpi({}, cause, churn_rate, start, start - retained)


def kpi_values(
    aggregates: Aggregates, key: Key, inputs: RowInputs, causes: dict[str, int]
) -> dict[str, Any]:
    """Return every KPI of one (period, segment) key; counts undefined KPIs by cause."""
    visitors = int(_get(aggregates, "customers", key, "visitors"))
    active = int(_get(aggregates, "customers", key, "active"))
    orders = _orders(aggregates, key, has_orders=inputs.has_orders)
    revenue = float(_get(aggregates, "purchases", key, "revenue"))
    spend = float(_get(aggregates, "spend", key, "spend")) if inputs.has_spend else _NAN
    if not inputs.has_spend:
        _note(causes, "spend, cpa, cac and roas are null: the events hold no spend rows")
    new = int(_get(aggregates, "new", key, "new_customers"))
    aov = _kpi(
        causes,
        "aov and cpa are null where there are no orders",
        average_order_value,
        revenue,
        orders,
    )
    frequency = _kpi(
        causes,
        "purchase_frequency is null where there are no purchasers",
        purchase_frequency,
        orders,
        active,
    )
    retention, churn = _retention(aggregates, key, inputs, active, causes)
    clv = _NAN
    if not any(math.isnan(value) for value in (aov, frequency, churn)):
        if churn == 0:
            _note(
                causes, "clv is null where churn_rate is 0, the expected lifespan being unbounded"
            )
        else:
            clv = customer_lifetime_value(aov, frequency, 1.0 / churn)
    csat_scores = _survey(aggregates, key, inputs.types.csat_response)
    nps_scores = _survey(aggregates, key, inputs.types.nps_response)
    for name, scores in (("csat", csat_scores), ("nps", nps_scores)):
        if scores is None:
            cause = f"{name} is null where there are no {name.upper()} responses"
            _note(causes, cause)
    return {
        "visitors": visitors,
        "conversion_rate": _kpi(
            causes,
            "conversion_rate is null where there are no visitors",
            conversion_rate,
            int(_get(aggregates, "customers", key, "converted")),
            visitors,
        ),
        "orders": orders,
        "revenue": revenue,
        "spend": spend,
        "new_customers": new,
        "cpa": _kpi({}, "", cost_per_acquisition, spend, orders),
        "cac": _kpi(
            causes,
            "cac is null where there are no new customers",
            customer_acquisition_cost,
            spend,
            new,
        ),
        "roas": _kpi(causes, "roas is null where spend is 0", return_on_ad_spend, revenue, spend),
        "aov": aov,
        "purchase_frequency": frequency,
        "csat": _NAN
        if csat_scores is None
        else customer_satisfaction_score(
            csat_scores, scale=inputs.csat_scale, satisfied_threshold=inputs.csat_threshold
        ),
        "nps": _NAN if nps_scores is None else net_promoter_score(nps_scores),
        "active_customers": active,
        "retention_rate": retention,
        "churn_rate": churn,
        "clv": clv,
    }
