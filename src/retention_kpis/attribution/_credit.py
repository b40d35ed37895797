"""Credit per (group, channel) for every model, from the paths of :mod:`._paths`."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from retention_kpis.attribution._options import Model
from retention_kpis.attribution._paths import (
    BoolArray,
    FloatArray,
    IntArray,
    Journeys,
    distinct_sorted,
    expand,
)
from retention_kpis.attribution.markov import (
    absorption,
    check_markov_channel_count,
    transition_counts,
)
from retention_kpis.attribution.rules import rule_weights
from retention_kpis.attribution.shapley import (
    check_channel_count,
    coalition_values,
    shapley_from_values,
)

__all__ = ["Credit", "credit"]


@dataclasses.dataclass(frozen=True)
class Credit:
    """Credit arrays of shape ``(groups, channels)`` and the no-touch bucket per group."""

    conversions: FloatArray
    revenue: FloatArray
    removal_effect: FloatArray
    present: BoolArray
    no_touch_conversions: IntArray
    no_touch_revenue: FloatArray


def _by_group(groups: IntArray, n_groups: int) -> list[IntArray]:
    """Indexes of the rows of each group, in their (sorted) order."""
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(n_groups)]


def _markov(j: Journeys, touched: IntArray, out: Credit) -> None:
    """Fill the removal effects per group, on a chain of the group's own channels only."""
    n_groups = out.conversions.shape[0]
    converting = _by_group(j.conv_group[touched], n_groups)
    journeys = _by_group(j.null_group, n_groups)
    for g in range(n_groups):
        conv = touched[converting[g]]
        null = journeys[g]
        if not conv.size and not null.size:
            continue
        lo = np.concatenate([j.conv_lo[conv], j.null_lo[null]])
        hi = np.concatenate([j.conv_hi[conv], j.null_hi[null]])
        _, _, index = expand(lo, hi)
        local = distinct_sorted(j.touch_channel[index])
        where = f" per segment and period (group {j.groups[g]!r})" if j.groups[g] else ""
        check_markov_channel_count(int(local.size), where)
        lengths = hi - lo
        ends = np.cumsum(lengths)
        counts = transition_counts(
            np.searchsorted(local, j.touch_channel[index]),
            ends - lengths,
            ends,
            converted=np.concatenate([np.ones(conv.size, bool), np.zeros(null.size, bool)]),
            weight=np.ones(conv.size + null.size),
            n_channels=int(local.size),
        )
        _, effects = absorption(counts)
        out.removal_effect[g] = 0.0
        out.removal_effect[g, local] = effects
        total = float(np.sum(effects))
        if total > 0:
            share = effects / total
            out.conversions[g, local] = conv.size * share
            out.revenue[g, local] = math.fsum(j.conv_revenue[conv].tolist()) * share


def _shapley(j: Journeys, touched: IntArray, out: Credit) -> None:
    n_groups = out.conversions.shape[0]
    converting = _by_group(j.conv_group[touched], n_groups)
    for g in range(n_groups):
        conv = touched[converting[g]]
        if not conv.size:
            continue
        path, _, index = expand(j.conv_lo[conv], j.conv_hi[conv])
        local = distinct_sorted(j.touch_channel[index])
        where = f" per segment and period (group {j.groups[g]!r})" if j.groups[g] else ""
        check_channel_count(int(local.size), where)
        bits = np.left_shift(1, np.searchsorted(local, j.touch_channel[index])).astype(np.int64)
        starts = np.searchsorted(path, np.arange(conv.size))
        masks = np.bitwise_or.reduceat(bits, starts)
        for target, weights in (
            (out.conversions, np.ones(conv.size)),
            (out.revenue, j.conv_revenue[conv]),
        ):
            values = coalition_values(masks, weights, int(local.size))
            target[g, local] = np.maximum(shapley_from_values(values, int(local.size)), 0.0)


def credit(j: Journeys, model: Model, options: dict[str, Any]) -> Credit:
    """Attribute every conversion of ``j`` under ``model`` (see ``docs/attribution.md``)."""
    n_groups, n_channels = len(j.groups), len(j.channels)
    length = j.conv_hi - j.conv_lo
    touched = np.flatnonzero(length > 0)
    untouched = length == 0
    out = Credit(
        conversions=np.zeros((n_groups, n_channels)),
        revenue=np.zeros((n_groups, n_channels)),
        removal_effect=np.full((n_groups, n_channels), np.nan),
        present=np.zeros((n_groups, n_channels), bool),
        no_touch_conversions=np.bincount(j.conv_group[untouched], minlength=n_groups),
        no_touch_revenue=np.bincount(
            j.conv_group[untouched], weights=j.conv_revenue[untouched], minlength=n_groups
        ).astype(np.float64),
    )
    path, _, index = expand(j.conv_lo, j.conv_hi)
    out.present[j.conv_group[path], j.touch_channel[index]] = True
    if model == "markov":
        path, _, index = expand(j.null_lo, j.null_hi)
        out.present[j.null_group[path], j.touch_channel[index]] = True
        _markov(j, touched, out)
    elif model == "shapley":
        _shapley(j, touched, out)
    else:
        path, index, weight = rule_weights(
            j.conv_lo,
            j.conv_hi,
            j.touch_channel,
            j.touch_time,
            model=model,
            direct_code=options["direct_code"],
            half_life_us=options["half_life_us"],
            position_weights=options["position_weights"],
        )
        cell = j.conv_group[path] * n_channels + j.touch_channel[index]
        size = n_groups * n_channels
        out.conversions[:] = np.bincount(cell, weights=weight, minlength=size).reshape(
            n_groups, n_channels
        )
        out.revenue[:] = np.bincount(
            cell, weights=weight * j.conv_revenue[path], minlength=size
        ).reshape(n_groups, n_channels)
    return out
