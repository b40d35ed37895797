"""Paths are cut in the engine: lazy backends collect only the small path table (issue #21).

The collect spy (the ``spy_collects`` fixture of tests/conftest.py) records every narwhals collect.
Before issue #21 attribution collected every touch and conversion row (3,137 of the 4,073
events below, with the customer and timestamp columns); now it collects one table keyed by
(kind of row, group, channel, model keys) and never a customer or a timestamp column. The
credits themselves are checked against hand calculations in the other tests of this folder.
"""

from __future__ import annotations

import pytest

from retention_kpis import compute_kpis
from retention_kpis.attribution import MODELS, attribute
from retention_kpis.datasets import make_events

CHANNEL = "__rk_channel"
PRIVATE_ROW_COLUMNS = {"__rk_customer", "__rk_timestamp", "__rk_us"}


@pytest.fixture(scope="module")
def events():
    # ~4,000 events of 40 customers: 3,090 visits (the touches) and 47 purchases.
    return make_events(40, seed=11)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb"], indirect=True)
def test_attribution_collects_only_the_path_table_on_lazy_engines(
    constructor, events, spy_collects, model
):
    native = constructor(events)
    touches = int((events["event_type"] == "visit").sum())
    collected = spy_collects()
    attribute(native, model=model, unknown_events="ignore")
    tables = [(rows, columns) for rows, columns in collected if CHANNEL in columns]
    assert len(tables) == 1  # one path table per call
    rows, columns = tables[0]
    assert rows < touches / 10  # collecting the 3,090 touch rows would fail here
    assert not set(columns) & PRIVATE_ROW_COLUMNS
    assert max(rows for rows, _ in collected) < touches / 10


@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb"], indirect=True)
def test_attributed_report_builds_the_paths_once(constructor, events, spy_collects):
    # Attributed orders, revenue and new customers come from one path table (before #21
    # the facade cut the paths twice: once for revenue, once for first purchases).
    native = constructor(events)
    touches = int((events["event_type"] == "visit").sum())
    collected = spy_collects()
    compute_kpis(native, by="channel", attribution="markov", engagement=False)
    tables = [(rows, columns) for rows, columns in collected if CHANNEL in columns]
    assert len(tables) == 1
    assert tables[0][0] < touches / 10
    assert not set(tables[0][1]) & PRIVATE_ROW_COLUMNS
