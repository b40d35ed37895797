"""Credit per (group, channel) for every model, from the path table of :mod:`._paths`."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from retention_kpis.attribution._options import Model
from retention_kpis.attribution._paths import (
    CONVERSION,
    FIRST,
    JOURNEY,
    TOUCH,
    BoolArray,
    FloatArray,
    PathTable,
    distinct_sorted,
)
from retention_kpis.attribution.markov import absorption, check_markov_channel_count
from retention_kpis.attribution.rules import position_based_weights
from retention_kpis.attribution.shapley import (
    check_channel_count,
    coalition_values,
    shapley_from_values,
)

__all__ = ["Credit", "credit"]


@dataclasses.dataclass(frozen=True)
class Credit:
    """Credit of shape ``(groups, channels)`` and the no-touch bucket per group.

    ``values`` has shape ``(k, groups, channels)``; ``values[0]`` is the revenue.
    """

    conversions: FloatArray
    values: FloatArray
    removal_effect: FloatArray
    present: BoolArray
    no_touch_conversions: FloatArray
    no_touch_values: FloatArray
    touched_conversions: FloatArray
    touched_values: FloatArray


def _where(t: PathTable, g: int) -> str:
    return f" per segment and period (group {t.groups[g]!r})" if t.groups[g] else ""


def _sums(t: PathTable, rows: BoolArray, n_groups: int) -> tuple[FloatArray, FloatArray]:
    """Conversions and values of ``rows`` per group."""
    group = t.group[rows]
    counts = np.bincount(group, weights=t.n[rows], minlength=n_groups).astype(np.float64)
    values = np.array(
        [np.bincount(group, weights=v[rows], minlength=n_groups) for v in t.values],
        dtype=np.float64,
    ).reshape(t.values.shape[0], n_groups)
    return counts, values


def _rules(t: PathTable, model: Model, options: dict[str, Any], out: Credit) -> None:
    rows = t.part == TOUCH
    a, b = t.a[rows], t.b[rows]
    if model in {"first_touch", "last_touch", "last_non_direct"}:
        weight = (a == 1).astype(np.float64)
    elif model == "linear":
        weight = 1.0 / a
    elif model == "position_based":
        length = a.astype(np.int64)
        position = np.where(b == 0, 0, np.where(b == 2, length - 1, 1))
        weight = position_based_weights(position, length, options["position_weights"])
    else:  # time_decay: weighted in the engine
        weight = np.ones(a.size)
    n_groups, n_channels = out.conversions.shape
    cell = t.group[rows] * n_channels + t.channel[rows]
    size = n_groups * n_channels
    out.conversions[:] = np.bincount(cell, weights=weight * t.n[rows], minlength=size).reshape(
        n_groups, n_channels
    )
    for k, v in enumerate(t.values):
        out.values[k] = np.bincount(cell, weights=weight * v[rows], minlength=size).reshape(
            n_groups, n_channels
        )


def _markov(t: PathTable, out: Credit) -> None:
    """Fill the removal effects per group, on a chain of the group's own channels only."""
    rows = (t.part == TOUCH) | (t.part == JOURNEY)
    for g in range(len(t.groups)):
        here = rows & (t.group == g)
        if not here.any():
            continue
        channel, previous, weight = t.channel[here], t.previous[here], t.n[here]
        converting = t.part[here] == TOUCH
        last = np.where(converting, t.b[here] == 1, t.a[here] == 1)
        local = distinct_sorted(channel)
        check_markov_channel_count(int(local.size), _where(t, g))
        size = int(local.size) + 3
        state = np.searchsorted(local, channel) + 1
        source = np.where(previous < 0, 0, np.searchsorted(local, previous) + 1)
        outcome = np.where(converting, size - 2, size - 1)
        cells = np.concatenate([source * size + state, (state * size + outcome)[last]])
        counts = np.bincount(
            cells, weights=np.concatenate([weight, weight[last]]), minlength=size * size
        ).reshape(size, size)
        _, effects = absorption(counts.astype(np.float64))
        out.removal_effect[g] = 0.0
        out.removal_effect[g, local] = effects
        total = float(np.sum(effects))
        if total > 0:
            share = effects / total
            out.conversions[g, local] = out.touched_conversions[g] * share
            out.values[:, g, local] = out.touched_values[:, g, None] * share


def _shapley(t: PathTable, out: Credit) -> None:
    paths = t.part == FIRST
    labelled = paths | (t.part == TOUCH)
    for g in range(len(t.groups)):
        here = paths & (t.group == g)
        if not here.any():
            continue
        labels = labelled & (t.group == g)
        n_local = int(t.b[labels].max())
        check_channel_count(n_local, _where(t, g))
        channel_of = np.zeros(n_local, dtype=np.int64)
        channel_of[t.b[labels] - 1] = t.channel[labels]
        masks = np.rint(t.a[here]).astype(np.int64)
        targets = [(out.conversions, t.n[here])]
        targets += [(out.values[k], v[here]) for k, v in enumerate(t.values)]
        for target, weights in targets:
            values = coalition_values(masks, weights, n_local)
            target[g, channel_of] = np.maximum(shapley_from_values(values, n_local), 0.0)


def credit(t: PathTable, model: Model, options: dict[str, Any]) -> Credit:
    """Attribute every conversion of ``t`` under ``model`` (see ``docs/attribution.md``)."""
    n_groups, n_channels, n_values = len(t.groups), len(t.channels), t.values.shape[0]
    conversions = t.part == CONVERSION
    untouched, untouched_values = _sums(t, conversions & (t.a == 0), n_groups)
    touched, touched_values = _sums(t, conversions & (t.a == 1), n_groups)
    out = Credit(
        conversions=np.zeros((n_groups, n_channels)),
        values=np.zeros((n_values, n_groups, n_channels)),
        removal_effect=np.full((n_groups, n_channels), np.nan),
        present=np.zeros((n_groups, n_channels), bool),
        no_touch_conversions=untouched,
        no_touch_values=untouched_values,
        touched_conversions=touched,
        touched_values=touched_values,
    )
    paths = (t.part == TOUCH) | (t.part == FIRST)
    if model == "markov":
        paths |= t.part == JOURNEY
    out.present[t.group[paths], t.channel[paths]] = True
    if model == "markov":
        _markov(t, out)
    elif model == "shapley":
        _shapley(t, out)
    else:
        _rules(t, model, options, out)
    return out
