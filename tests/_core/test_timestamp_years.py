"""Timestamps outside Python's dates (years 1 to 9999) raise InvalidInputError (found by fuzz/).

Before: the string ``"0000-01-01"`` passed the ISO 8601 check and a polars
datetime before year 1 reached ``datetime.date``, raising ValueError or
OverflowError out of compute_kpis.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest

from retention_kpis import InvalidInputError, compute_kpis


def visits(timestamps):
    n = len(timestamps)
    return pd.DataFrame(
        {"customer_id": ["a"] * n, "timestamp": timestamps, "event_type": ["visit"] * n}
    )


@pytest.mark.parametrize("text", ["0000-01-01", "0000-02-29", "0000-06-01 10:00"])
@pytest.mark.parametrize("to_polars", [False, True])
def test_year_zero_string_is_an_unparseable_timestamp(text, to_polars):
    events = visits([text, "2024-01-01"])
    native = pl.from_pandas(events) if to_polars else events
    with pytest.raises(InvalidInputError) as caught:
        compute_kpis(native)
    assert str(caught.value) == (
        "Column 'timestamp' of events holds 1 row that cannot be parsed as ISO 8601 "
        f"timestamps (first: {text!r}).\nHint: convert the column to datetimes first."
    )


@pytest.mark.parametrize(
    ("period", "index"), [("D", -719893), ("W", -102842), ("M", -12), ("Q", -4), ("Y", -1)]
)
def test_native_datetime_before_year_one_raises_invalid_input(period, index):
    # 2024-01-01 minus 2025 years is 1 January of year -1; the indices count periods from
    # year 0 (M: year * 12 + month - 1 = -12) or from 1970-01-01 (D, W; weeks from Monday).
    start = dt.datetime(2024, 1, 1)  # noqa: DTZ001 - naive on purpose: the contract's default
    events = pl.DataFrame(
        {"customer_id": ["a"], "timestamp": [start], "event_type": ["visit"]}
    ).with_columns(pl.col("timestamp").dt.offset_by("-2025y"))
    with pytest.raises(InvalidInputError) as caught:
        compute_kpis(events, period=period)
    assert str(caught.value) == (
        "Timestamps of events must fall in the years 1 to 9999 (the range of Python dates). "
        f"Got one outside it (period {period!r}, index {index})."
    )


@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_first_and_last_representable_days_still_work(period):
    report = compute_kpis(visits(["0001-01-01", "9999-12-31 23:59:59"]), period=period)
    # 0001-01-01 is a Monday, so it starts its own day, week, month, quarter and year.
    assert report.rows[0].period == dt.date(1, 1, 1)
    assert len(report.rows) == 2
