"""The interval columns of one report row (``compute_kpis(confidence=...)``).

No formula is written here: each bound comes from :mod:`retention_kpis.stats` fed with
counts the row already has (shares: Wilson; NPS: adjusted Wald) or with the per-customer
sums and squares of orders and revenue the engine computed in the query that groups
purchases per customer (``aov`` and ``purchase_frequency``: the delta method with
customers as clusters). Methods and references: ``docs/metrics/intervals.md``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from retention_kpis._core.frames import Key
from retention_kpis.report.plan import Aggregates
from retention_kpis.stats import nps_interval, proportion_interval, ratio_interval_from_sums

__all__ = ["IntervalParts", "interval_values"]

_NAN_PAIR = (math.nan, math.nan)


@dataclasses.dataclass(frozen=True)
class IntervalParts:
    """Counts of one row that the share intervals need.

    ``retained`` and ``start`` are None where retention is undefined (no previous period).
    """

    converted: int
    visitors: int
    active: int
    retained: int | None
    start: int | None
    csat_scores: np.ndarray[Any, np.dtype[np.float64]] | None
    csat_threshold: int
    nps_scores: np.ndarray[Any, np.dtype[np.float64]] | None
    attributed: bool


def _share(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    return proportion_interval(successes, trials, confidence=confidence)


def _ratios(
    aggregates: Aggregates, key: Key, parts: IntervalParts, confidence: float
) -> dict[str, tuple[float, float]]:
    sums = aggregates.tables.get("moments", {}).get(key)
    if sums is None or parts.active < 2:
        return {"aov": _NAN_PAIR, "purchase_frequency": _NAN_PAIR}
    orders, orders_sq = float(sums["sum_orders"] or 0), float(sums["sum_orders_sq"] or 0)
    aov = _NAN_PAIR
    if not parts.attributed:
        aov = ratio_interval_from_sums(
            parts.active,
            sum_x=orders,
            sum_y=float(sums["sum_revenue"] or 0),
            sum_xx=orders_sq,
            sum_yy=float(sums["sum_revenue_sq"] or 0),
            sum_xy=float(sums["sum_orders_revenue"] or 0),
            confidence=confidence,
        )
    frequency = ratio_interval_from_sums(
        parts.active,
        sum_x=float(parts.active),
        sum_y=orders,
        sum_xx=float(parts.active),
        sum_yy=orders_sq,
        sum_xy=orders,
        confidence=confidence,
    )
    return {"aov": aov, "purchase_frequency": frequency}


def interval_values(
    aggregates: Aggregates, key: Key, parts: IntervalParts, confidence: float
) -> dict[str, float]:
    """Return the ``<kpi>_low`` / ``<kpi>_high`` values of one (period, segment) key."""
    bounds: dict[str, tuple[float, float]] = {
        "conversion_rate": _share(parts.converted, parts.visitors, confidence),
        **_ratios(aggregates, key, parts, confidence),
        "csat": _NAN_PAIR,
        "nps": _NAN_PAIR,
        "retention_rate": _NAN_PAIR,
        "churn_rate": _NAN_PAIR,
    }
    if parts.csat_scores is not None:
        satisfied = int((parts.csat_scores >= parts.csat_threshold).sum())
        bounds["csat"] = _share(satisfied, parts.csat_scores.size, confidence)
    if parts.nps_scores is not None:
        promoters = int((parts.nps_scores >= 9).sum())
        detractors = int((parts.nps_scores <= 6).sum())
        passives = parts.nps_scores.size - promoters - detractors
        bounds["nps"] = nps_interval(promoters, passives, detractors, confidence=confidence)
    if parts.retained is not None and parts.start:
        bounds["retention_rate"] = _share(parts.retained, parts.start, confidence)
        bounds["churn_rate"] = _share(parts.start - parts.retained, parts.start, confidence)
    values: dict[str, float] = {}
    for name, (low, high) in bounds.items():
        values[f"{name}_low"], values[f"{name}_high"] = low, high
    return values
