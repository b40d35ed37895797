"""polars' period lookup table (retention_kpis._core.calendar._polars_periods).

On polars the period index of each row is gathered from a table of the days between
the first and the last event; beyond ``_LOOKUP_DAYS`` days (or with no rows) the
calendar expression is used. Both must give the pandas backend's report (pandas
computes the index from calendar fields, an independent path), on every period
length and on spans that start or end on period boundaries.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import retention_kpis._core.calendar as aggregate_module
from retention_kpis import compute_kpis

PERIODS = ["D", "W", "M", "Q", "Y"]
D = dt.datetime  # naive on purpose: the contract keeps wall-clock times


def events(timestamps: list[dt.datetime]) -> pd.DataFrame:
    n = len(timestamps)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i % 3}" for i in range(n)],
            "timestamp": timestamps,
            "event_type": ["purchase" if i % 2 else "visit" for i in range(n)],
            "revenue": [10.0 if i % 2 else None for i in range(n)],
        }
    )


def same_as_pandas(frame: pd.DataFrame, period: str) -> None:
    expected = compute_kpis(frame, period=period).to_dict()
    for native in (pl.from_pandas(frame), pl.from_pandas(frame).lazy()):
        assert compute_kpis(native, period=period).to_dict() == expected


@pytest.mark.parametrize("period", PERIODS)
def test_lookup_matches_pandas_across_boundaries(period):
    # Year, quarter, month and ISO-week boundaries (2023-12-31 is a Sunday, 2024-01-01 a
    # Monday), a leap day and the last second of a day.
    stamps = [
        D(2023, 12, 31, 23, 59, 59),
        D(2024, 1, 1),
        D(2024, 2, 29, 12),
        D(2024, 3, 31, 23, 59, 59),
        D(2024, 4, 1),
        D(2024, 12, 30),
        D(2025, 1, 1),
    ]
    same_as_pandas(events(stamps), period)


@pytest.mark.parametrize("period", PERIODS)
def test_spans_beyond_the_table_use_the_expression(period, monkeypatch):
    # 1200 to 4100 spans about 1.06M days, beyond _LOOKUP_DAYS (2**20): the expression path.
    stamps = [D(1200, 3, 1), D(2024, 5, 6), D(4100, 7, 8)]
    same_as_pandas(events(stamps), period)
    calls = []
    original = aggregate_module.period_index

    def spy(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(aggregate_module, "period_index", spy)
    compute_kpis(pl.from_pandas(events(stamps)), period=period)
    # Once per query on the rows themselves (the lookup computes it once, on its table).
    assert len(calls) >= 3


@settings(max_examples=40, deadline=None)
@given(
    days=st.lists(st.integers(min_value=-719_000, max_value=2_900_000), min_size=1, max_size=12),
    period=st.sampled_from(PERIODS),
)
def test_lookup_equals_expression_and_pandas(days, period):
    stamps = [D(1970, 1, 1) + dt.timedelta(days=d, hours=d % 24) for d in days]
    frame = events(stamps)
    same_as_pandas(frame, period)
    lookup = compute_kpis(pl.from_pandas(frame), period=period).to_dict()
    original = aggregate_module._LOOKUP_DAYS
    aggregate_module._LOOKUP_DAYS = 0  # every span now takes the expression path
    try:
        expression = compute_kpis(pl.from_pandas(frame), period=period).to_dict()
    finally:
        aggregate_module._LOOKUP_DAYS = original
    assert lookup == expression


def test_empty_polars_frame_has_no_periods():
    frame = pl.DataFrame(
        {"customer_id": [], "timestamp": [], "event_type": []},
        schema={"customer_id": pl.String, "timestamp": pl.Datetime("us"), "event_type": pl.String},
    )
    assert compute_kpis(frame, period="M").to_dict()["period"] == []
