"""Multi-touch attribution: which channels deserve credit for conversions and revenue.

:func:`attribute` builds each customer's conversion paths from an events frame
and credits channels with a rule (first/last touch, last non-direct, linear,
time-decay, position-based), an exactly solved first-order Markov chain, or exact
Shapley values. Credit always sums to the conversions and the revenue.
:func:`attributed_channel_totals` gives the same credit keyed for the
``compute_kpis`` facade. See ``docs/attribution.md``.
"""

from __future__ import annotations

from retention_kpis.attribution._attribute import (
    AttributedTotals,
    ChannelTotals,
    attribute,
    attributed_channel_totals,
)
from retention_kpis.attribution._options import MODELS, Model
from retention_kpis.attribution._result import (
    AttributionParameters,
    AttributionResult,
    ChannelCredit,
)
from retention_kpis.attribution.markov import markov_removal_effects
from retention_kpis.attribution.rules import path_credit
from retention_kpis.attribution.shapley import MAX_SHAPLEY_CHANNELS, shapley_values

__all__ = [
    "MAX_SHAPLEY_CHANNELS",
    "MODELS",
    "AttributedTotals",
    "AttributionParameters",
    "AttributionResult",
    "ChannelCredit",
    "ChannelTotals",
    "Model",
    "attribute",
    "attributed_channel_totals",
    "markov_removal_effects",
    "path_credit",
    "shapley_values",
]
