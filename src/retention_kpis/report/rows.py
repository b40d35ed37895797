"""One report row from the aggregated counts, through the pure metric functions.

No formula is written here: each KPI calls its function in
:mod:`retention_kpis.metrics` with ``zero_division=nan`` (the engagement columns
through :func:`retention_kpis.report.engagement_rows.engagement_row`), and a KPI the
data cannot support is nan with a note naming the cause (counted per cause).
Attributed orders and new customers are fractional: with attribution ``aov``,
``cpa`` and ``cac`` call the same functions with ``fractional=True``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from retention_kpis._core.calendar import Period
from retention_kpis._core.frames import Key
from retention_kpis.events import EventTypes
from retention_kpis.exceptions import InvalidInputError
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
from retention_kpis.report.columns import ENGAGEMENT_COLUMNS, ENGAGEMENT_COUNTS
from retention_kpis.report.engagement_rows import engagement_row
from retention_kpis.report.engagement_tables import EngagementTables
from retention_kpis.report.interval_rows import (
    IntervalParts,
    engagement_interval_inputs,
    engagement_interval_values,
    interval_inputs,
    interval_values,
)
from retention_kpis.report.plan import Aggregates

__all__ = ["RowInputs", "engagement_values", "kpi_values"]

_NAN = math.nan
_NO_ORDERS = "aov and cpa are null where there are no orders"
_ENGAGEMENT_CAUSES = (
    (
        "referral_rate",
        "referral_rate and referred_customer_share are null where there are no purchasers",
    ),
    (
        "email_open_rate",
        (
            "email_open_rate, email_ctr, email_cto_rate and email_unsubscribe_rate are null "
            "where no emails were delivered"
        ),
    ),
    ("pareto_share", "pareto_share is null where there is no purchase revenue"),
)


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
    confidence: float | None = None
    revenue_column: str = "revenue"
    cost_column: str = "cost"


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
) -> tuple[float, float, int | None, int | None]:
    """Return retention and churn rates, and the retained and previous-period customers."""
    if inputs.period is None:
        _note(
            causes,
            "retention_rate, churn_rate and clv are null: period=None has no previous period",
        )
        return _NAN, _NAN, None, None
    previous = (key[0] - 1, *key[1:])
    start = int(_get(aggregates, "customers", previous, "active"))
    cause = (
        "retention_rate, churn_rate and clv are null where the calendar-previous period "
        "has no active customers in the segment, first period or a gap"
    )
    if inputs.churn_from == "events":
        lost = int(_get(aggregates, "churned", key, "churned"))
        churn = _kpi(causes, cause, churn_rate, start, lost)
        return _kpi({}, cause, retention_rate, start, start - lost, 0), churn, start - lost, start
    retained = int(_get(aggregates, "retained", key, "retained"))
    # Customers active now who were not active last period (new and reactivated) are not
    # retained: passing them as new_customers keeps reactivated customers out of the
    # numerator, so the rate is (active - not_retained) / start = retained / start <= 1.
    not_retained = active - retained
    retention = _kpi(
        causes,
        cause,
        retention_rate,
        customers_at_start=start,
        customers_at_end=active,
        new_customers=not_retained,
    )
    return retention, _kpi({}, cause, churn_rate, start, start - retained), retained, start


def _finite_sum(total: float, column: str, rows: str) -> float:
    """Return a summed amount, or raise naming the column when the sum overflowed to inf.

    Every value was checked finite by validation; a sum beyond the largest float
    (about 1.8e308) is a property of the data, not of the metric function's argument.
    """
    if math.isinf(total):
        msg = (
            f"Column {column!r} of events sums to more than the largest float (1.8e308) over "
            f"the {rows} of one period and segment, so the KPIs built on it would be inf.\n"
            "Hint: the amounts are probably in the wrong unit; rescale the column."
        )
        raise InvalidInputError(msg)
    return total


def _money(
    aggregates: Aggregates,
    key: Key,
    inputs: RowInputs,
    causes: dict[str, int],
    attributed: tuple[float, float, float] | None,
) -> tuple[dict[str, float], int, float]:
    """Return orders, revenue, spend, new customers, cpa, cac, roas and aov of one key.

    Also returns the key's own orders and AOV (before attribution), which purchase
    frequency and CLV keep using.
    """
    own_orders = _orders(aggregates, key, has_orders=inputs.has_orders)
    own_revenue = _finite_sum(
        float(_get(aggregates, "purchases", key, "revenue")), inputs.revenue_column, "purchases"
    )
    spend = float(_get(aggregates, "spend", key, "spend")) if inputs.has_spend else _NAN
    spend = _finite_sum(spend, inputs.cost_column, "spend rows")
    if not inputs.has_spend:
        _note(causes, "spend, cpa, cac and roas are null: the events hold no spend rows")
    new: float = int(_get(aggregates, "new", key, "new_customers"))
    no_new = "cac is null where there are no new customers"
    own_aov = _kpi(
        causes if attributed is None else {},
        _NO_ORDERS,
        average_order_value,
        own_revenue,
        own_orders,
    )
    orders: float = own_orders
    revenue, aov = own_revenue, own_aov
    cpa = _kpi({}, "", cost_per_acquisition, spend, own_orders)
    if attributed is not None:
        # Credited counts are fractional: the same pure functions, told so.
        orders, revenue, new = attributed
        aov = _kpi(causes, _NO_ORDERS, average_order_value, revenue, orders, fractional=True)
        cpa = _kpi({}, "", cost_per_acquisition, spend, orders, fractional=True)
        cac = _kpi(causes, no_new, customer_acquisition_cost, spend, new, fractional=True)
    else:
        cac = _kpi(causes, no_new, customer_acquisition_cost, spend, new)
    roas = _kpi(causes, "roas is null where spend is 0", return_on_ad_spend, revenue, spend)
    values = {
        "orders": orders,
        "revenue": revenue,
        "spend": spend,
        "new_customers": new,
        "cpa": cpa,
        "cac": cac,
        "roas": roas,
        "aov": aov,
    }
    return values, own_orders, own_aov


def kpi_values(
    aggregates: Aggregates,
    key: Key,
    inputs: RowInputs,
    causes: dict[str, int],
    attributed: tuple[float, float, float] | None = None,
) -> dict[str, Any]:
    """Return the 17 core KPIs of one (period, segment) key; counts undefined KPIs by cause.

    With ``inputs.confidence`` also the interval bounds of
    :func:`~retention_kpis.report.interval_rows.interval_values`.

    ``attributed`` replaces the key's orders, revenue and new customers (then
    ``aov``, ``cpa``, ``cac`` and ``roas``); ``purchase_frequency`` and ``clv``
    keep the key's own purchases.
    """
    visitors = int(_get(aggregates, "customers", key, "visitors"))
    active = int(_get(aggregates, "customers", key, "active"))
    money, own_orders, own_aov = _money(aggregates, key, inputs, causes, attributed)
    frequency = _kpi(
        causes,
        "purchase_frequency is null where there are no purchasers",
        purchase_frequency,
        own_orders,
        active,
    )
    retention, churn, kept, start = _retention(aggregates, key, inputs, active, causes)
    clv = _NAN
    if not any(math.isnan(value) for value in (own_aov, frequency, churn)):
        if churn == 0:
            _note(
                causes, "clv is null where churn_rate is 0, the expected lifespan being unbounded"
            )
        else:
            clv = customer_lifetime_value(own_aov, frequency, 1.0 / churn)
    csat_scores = _survey(aggregates, key, inputs.types.csat_response)
    nps_scores = _survey(aggregates, key, inputs.types.nps_response)
    for name, scores in (("csat", csat_scores), ("nps", nps_scores)):
        if scores is None:
            cause = f"{name} is null where there are no {name.upper()} responses"
            _note(causes, cause)
    converted = int(_get(aggregates, "customers", key, "converted"))
    intervals: dict[str, Any] = {}
    if inputs.confidence is not None:
        parts = IntervalParts(
            converted=converted,
            visitors=visitors,
            active=active,
            retained=kept,
            start=start,
            csat_scores=csat_scores,
            csat_threshold=inputs.csat_threshold,
            nps_scores=nps_scores,
            attributed=attributed is not None,
            spend=money["spend"],
            new_customers=money["new_customers"],
        )
        used = interval_inputs(aggregates, key, parts)
        intervals = {**interval_values(used, inputs.confidence), "interval_inputs": used}
    return {
        "visitors": visitors,
        "conversion_rate": _kpi(
            causes,
            "conversion_rate is null where there are no visitors",
            conversion_rate,
            converted,
            visitors,
        ),
        **money,
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
        **intervals,
    }


def engagement_values(
    tables: EngagementTables | None,
    key: Key,
    *,
    no_referred: str | None,
    causes: dict[str, int],
    confidence: float | None = None,
) -> dict[str, Any]:
    """Return the engagement columns of one key; counts undefined ones by cause.

    ``tables`` is None with ``engagement=False`` (every column null);
    ``no_referred`` names why referred customers cannot be told apart, if so.
    ``confidence`` adds the bounds of the engagement KPIs and, under ``"interval_inputs"``,
    the counts and sums behind them
    (:func:`~retention_kpis.report.interval_rows.engagement_interval_inputs`), which the
    caller merges into the row's core interval inputs.
    """
    if tables is None:
        _note(
            causes,
            "the engagement columns (referral, email, pareto_share) are null: "
            "pass engagement=True to compute them",
        )
        return {name: None if name in ENGAGEMENT_COUNTS else _NAN for name in ENGAGEMENT_COLUMNS}
    row = engagement_row(tables, key)
    values = {name: row[name] for name in ENGAGEMENT_COLUMNS}
    if no_referred is not None:
        _note(causes, no_referred)
        values["referred_customers"], values["referred_customer_share"] = None, _NAN
    for name, cause in _ENGAGEMENT_CAUSES:
        if math.isnan(values[name]):
            _note(causes, cause)
    if values["emails_delivered"] and math.isnan(values["email_cto_rate"]):
        _note(causes, "email_cto_rate is null where no delivered email was opened")
    if confidence is not None:
        sums = tables.tables.get("main", {}).get(key)
        referred = no_referred is None
        values.update(engagement_interval_values(row, confidence, referred=referred, sums=sums))
        values["interval_inputs"] = engagement_interval_inputs(row, referred=referred, sums=sums)
    return values
