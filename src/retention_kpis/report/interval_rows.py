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

__all__ = ["IntervalParts", "interval_inputs", "interval_values"]

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


def _ratio_sums(
    aggregates: Aggregates, key: Key, parts: IntervalParts
) -> dict[str, tuple[float, ...]]:
    """``(n, sum_x, sum_y, sum_xx, sum_yy, sum_xy)`` of ``aov`` and ``purchase_frequency``."""
    sums = aggregates.tables.get("moments", {}).get(key)
    if sums is None:
        return {}
    n = float(parts.active)
    orders, orders_sq = float(sums["sum_orders"] or 0), float(sums["sum_orders_sq"] or 0)
    inputs: dict[str, tuple[float, ...]] = {
        "purchase_frequency": (n, n, orders, n, orders_sq, orders)
    }
    if not parts.attributed:
        revenue = float(sums["sum_revenue"] or 0)
        revenue_sq = float(sums["sum_revenue_sq"] or 0)
        product = float(sums["sum_orders_revenue"] or 0)
        inputs["aov"] = (n, orders, revenue, orders_sq, revenue_sq, product)
    return inputs


def _ratio_bound(sums: tuple[float, ...] | None, confidence: float) -> tuple[float, float]:
    if sums is None:
        return _NAN_PAIR
    n, sx, sy, sxx, syy, sxy = sums
    return ratio_interval_from_sums(
        int(n), sum_x=sx, sum_y=sy, sum_xx=sxx, sum_yy=syy, sum_xy=sxy, confidence=confidence
    )


def interval_inputs(
    aggregates: Aggregates, key: Key, parts: IntervalParts
) -> dict[str, tuple[float, ...]]:
    """Return what each interval KPI's interval (and a comparison) is computed from.

    Shares: ``(successes, trials)``; ``nps``: ``(promoters, passives, detractors)``;
    ``aov`` and ``purchase_frequency``: ``(n, sum_x, sum_y, sum_xx, sum_yy, sum_xy)`` over
    customers. A KPI without its inputs (no responses, no previous period) is left out.
    """
    inputs: dict[str, tuple[float, ...]] = {"conversion_rate": (parts.converted, parts.visitors)}
    inputs.update(_ratio_sums(aggregates, key, parts))
    if parts.csat_scores is not None:
        satisfied = int((parts.csat_scores >= parts.csat_threshold).sum())
        inputs["csat"] = (satisfied, parts.csat_scores.size)
    if parts.nps_scores is not None:
        promoters = int((parts.nps_scores >= 9).sum())
        detractors = int((parts.nps_scores <= 6).sum())
        inputs["nps"] = (promoters, parts.nps_scores.size - promoters - detractors, detractors)
    if parts.retained is not None and parts.start:
        inputs["retention_rate"] = (parts.retained, parts.start)
        inputs["churn_rate"] = (parts.start - parts.retained, parts.start)
    return inputs


def interval_values(inputs: dict[str, tuple[float, ...]], confidence: float) -> dict[str, float]:
    """Return the ``<kpi>_low`` / ``<kpi>_high`` values from :func:`interval_inputs`."""
    bounds: dict[str, tuple[float, float]] = {}
    for name in ("conversion_rate", "csat", "retention_rate", "churn_rate"):
        share = inputs.get(name)
        bounds[name] = (
            _NAN_PAIR if share is None else _share(int(share[0]), int(share[1]), confidence)
        )
    for name in ("aov", "purchase_frequency"):
        bounds[name] = _ratio_bound(inputs.get(name), confidence)
    nps = inputs.get("nps")
    bounds["nps"] = (
        _NAN_PAIR
        if nps is None
        else nps_interval(int(nps[0]), int(nps[1]), int(nps[2]), confidence=confidence)
    )
    values: dict[str, float] = {}
    for name, (low, high) in bounds.items():
        values[f"{name}_low"], values[f"{name}_high"] = low, high
    return values
