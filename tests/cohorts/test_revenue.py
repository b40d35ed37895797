"""Tests of retention_kpis.cohorts.revenue (revenue_retention)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl
import pytest

from retention_kpis import ColumnNotFoundError, InvalidInputError, UndefinedKPIWarning
from retention_kpis.cohorts import RevenueRetentionTable, revenue_retention


def frame(rows):
    """Purchases from (customer, timestamp, revenue) rows."""
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "timestamp": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
            "event_type": ["purchase"] * len(rows),
            "revenue": [float(r[2]) for r in rows],
        }
    )


R = frame(
    [
        ("a", "2024-01-05", 100),
        ("a", "2024-02-10", 50),
        ("a", "2024-04-02", 20),
        ("b", "2024-01-20", 50),
        ("b", "2024-03-15", 100),
        ("c", "2024-01-31", 30),
        ("d", "2024-02-03", 40),
        ("d", "2024-02-20", 20),
        ("d", "2024-03-01", 60),
        ("e", "2024-02-28", 10),
        ("e", "2024-04-30 23:00", 5),
    ]
)
END = dt.date(2024, 4, 30)


def test_net_revenue_retention_matches_hand_calculation():
    table = revenue_retention(R, observation_end=END)
    # Jan cohort {a, b, c}: Jan 100 + 50 + 30 = 180; Feb 50; Mar 100; Apr 20.
    # Feb cohort {d, e}:    Feb 40 + 20 + 10 = 70;   Mar 60;  Apr 5;  May not observed.
    assert table.revenue == ((180.0, 50.0, 100.0, 20.0), (70.0, 60.0, 5.0, None))
    assert table.shares[0] == pytest.approx((1.0, 50 / 180, 100 / 180, 20 / 180))
    assert table.shares[1] == pytest.approx((1.0, 60 / 70, 5 / 70, None))
    # Pooled: offset 1 (50 + 60) / (180 + 70) = 0.44; offset 2 (100 + 5) / 250 = 0.42;
    # offset 3 only Jan: 20 / 180.
    assert table.average == pytest.approx((1.0, 0.44, 0.42, 20 / 180))
    assert table.cohort_sizes == (3, 2)


def test_expansion_gives_shares_above_one():
    table = revenue_retention(
        frame([("a", "2024-01-05", 10), ("a", "2024-02-05", 25)]),
        observation_end=dt.date(2024, 2, 29),
    )
    # 25 / 10 = 2.5: the cohort spent more in its second month.
    assert table.shares == ((1.0, 2.5),)


def test_rolling_window_uses_30_day_periods():
    table = revenue_retention(R, window="rolling", observation_end=END)
    # Offsets = days since each customer's first purchase // 30 (see test_retention):
    #   Jan: offset 0: 180; offset 1: a Feb 10 (36 d) 50 + b Mar 15 (55 d) 100 = 150;
    #        offset 2: a Apr 2 (88 d) 20.  Complete to offset 2 (latest start Jan 31).
    #   Feb: offset 0: 40 + 20 + 60 (d, 17 d and 27 d) + 10 = 130; complete to offset 1;
    #        offset 1: nothing (e's Apr 30 is 62 d -> offset 2).
    assert table.revenue == ((180.0, 150.0, 20.0), (130.0, 0.0, None))


def test_zero_first_period_revenue_warns_and_gives_none():
    events = frame([("a", "2024-01-05", 0), ("a", "2024-02-05", 25)])
    with pytest.warns(UndefinedKPIWarning, match="offset-0 revenue is 0"):
        table = revenue_retention(events, observation_end=dt.date(2024, 2, 29))
    assert table.shares == ((None, None),)
    assert table.average == (None, None)
    assert revenue_retention(
        events, observation_end=dt.date(2024, 2, 29), zero_division=0.0
    ).shares == ((0.0, 0.0),)


def test_round_trips_json_and_frames():
    table = revenue_retention(R, observation_end=END)
    assert RevenueRetentionTable.model_validate_json(table.model_dump_json()) == table
    wide = table.to_frame("revenue")
    assert wide["0"].tolist() == [180.0, 70.0]
    assert table.to_frame(form="long")["shares"].isna().sum() == 1


def test_polars_lazy_gives_the_pandas_table():
    assert revenue_retention(pl.from_pandas(R).lazy(), observation_end=END) == revenue_retention(
        R, observation_end=END
    )


def test_missing_revenue_column_raises():
    events = R.drop(columns="revenue").assign(event_type="signup")
    with pytest.raises(ColumnNotFoundError, match="Missing column 'revenue' in events"):
        revenue_retention(events, cohort_event="signup")


def test_bad_kind_raises():
    with pytest.raises(InvalidInputError) as excinfo:
        revenue_retention(R).to_frame("counts")
    assert str(excinfo.value) == (
        "The 'kind' parameter of RevenueRetentionTable.to_frame must be 'shares' or 'revenue'. "
        "Got 'counts' instead."
    )
