"""Cohort tables collect one aggregated table on lazy engines (collect spy).

Cohort sizes and the per-(cohort, offset) values come back in a single collected table
(one grouped query on (cohort, key)); the other collects are the validation screen and
the latest timestamp. Bounds come from the input, counted with pandas.
"""

from __future__ import annotations

import datetime as dt

import pytest

from retention_kpis.cohorts import cohort_retention, revenue_retention
from retention_kpis.datasets import make_events


@pytest.fixture(scope="module")
def events():
    # ~4,000 events of 40 customers over two years.
    return make_events(40, seed=11)


@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb", "pyspark"], indirect=True)
@pytest.mark.parametrize(
    "call",
    [
        lambda native: cohort_retention(native, cohort_event="signup", return_event="visit"),
        lambda native: cohort_retention(native, mode="on_or_after", window="rolling"),
        lambda native: cohort_retention(native, mode="bracket", brackets=[(1, 2), (3, 6)]),
        lambda native: revenue_retention(native, observation_end=dt.date(2025, 6, 30)),
    ],
    ids=["on", "on_or_after", "bracket", "revenue"],
)
def test_cohort_tables_collect_one_cell_table(constructor, events, spy_collects, call):
    native = constructor(events)
    collected = spy_collects()
    table = call(native)
    cells = [(rows, columns) for rows, columns in collected if "__rk_cohort" in columns]
    assert len(cells) == 1
    rows, _ = cells[0]
    # One row per cohort (its size) plus at most one per (cohort, offset or bracket) cell.
    assert rows <= len(table.cohorts) * (1 + len(table.offsets))
    days = (events["timestamp"].max() - events["timestamp"].min()).days  # ~730: two years
    assert rows <= 25 * 25 < days
