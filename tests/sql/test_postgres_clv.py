"""The CLV summaries and segments on SQLFrame PostgreSQL and DuckDB equal pandas (issue #19).

calibration_holdout_split, rfm_segments, segment_value and transaction_tracking on purchases
loaded into the real PostgreSQL server (tests/sql/conftest.py) with warehouse types, and on a
SQLFrame DuckDB session. The reference is the pandas result on the same purchases (itself
checked by hand-calculated cases in tests/clv and tests/plot); one case is worked by hand here.
Integers must be equal, floats equal to 1e-9 relative.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from retention_kpis.clv import (
    BetaGeoModel,
    GammaGammaModel,
    calibration_holdout_split,
    rfm_segments,
    segment_value,
)
from retention_kpis.datasets import make_events
from retention_kpis.plot import transaction_tracking

from .conftest import PG_TYPES, load_events
from .test_postgres import rows_of, same_rows, sqlframe_duckdb, sqlframe_postgres

# BG/NBD and Gamma-Gamma at the published CDNOW estimates (Fader, Hardie & Lee 2005; Fader,
# Hardie & Berger 2004 for Gamma-Gamma): fixed parameters, so segment_value is a function of
# the summary alone and PostgreSQL's and pandas' answers can be compared to 1e-9.
BGNBD = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
GAMMA_GAMMA = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
COLUMNS = {"customer_id": "customer_id", "timestamp": "timestamp", "monetary_value": "revenue"}


@pytest.fixture(scope="module")
def purchases():
    # 150 customers over two years (2024-2025): 66 purchasers, about 400 purchases.
    events = make_events(150, seed=11)
    bought = events.loc[events["event_type"] == "purchase", ["customer_id", "timestamp"]]
    return bought.assign(revenue=events.loc[bought.index, "revenue"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def loaded(postgres, purchases):
    connection = postgres.connect()
    load_events(connection, "clv_purchases", purchases, PG_TYPES)
    connection.close()
    return postgres


@pytest.fixture
def pg_purchases(loaded):
    session = sqlframe_postgres.PostgresSession(conn=loaded.connect())
    yield session.table("clv_purchases")
    session.stop()


@pytest.fixture
def duck_purchases(purchases):
    import duckdb  # noqa: PLC0415 - test extra

    connection = duckdb.connect()
    connection.register("pandas_purchases", purchases)
    connection.execute("CREATE TABLE clv_purchases AS SELECT * FROM pandas_purchases")
    session = sqlframe_duckdb.DuckDBSession(conn=connection)
    yield session.table("clv_purchases")
    session.stop()


def by_customer(native):
    return sorted(rows_of(native), key=lambda row: row["customer_id"])


@pytest.mark.parametrize(("time_unit", "scaler"), [("D", 1.0), ("W", 1.0), ("M", 1.0), ("h", 24.0)])
def test_calibration_holdout_split_in_postgres_equals_pandas(
    pg_purchases, purchases, time_unit, scaler
):
    options = {
        **COLUMNS,
        "calibration_end": "2025-03-31",
        "observation_end": "2025-12-31",
        "time_unit": time_unit,
        "time_scaler": scaler,
    }
    got = calibration_holdout_split(pg_purchases, **options)
    expected = calibration_holdout_split(purchases, **options)
    assert isinstance(got, sqlframe_postgres.PostgresDataFrame)  # the input's kind
    assert len(expected) > 30  # customers with a purchase by March 2025
    assert (expected["frequency_holdout"] > 0).sum() > 5  # holdout purchases to compare
    same_rows(rows_of(got), rows_of(expected))  # sorted by id on both sides


def test_calibration_holdout_split_in_sqlframe_duckdb_equals_pandas(duck_purchases, purchases):
    options = {**COLUMNS, "calibration_end": "2025-03-31"}  # observation_end: last purchase
    got = calibration_holdout_split(duck_purchases, **options)
    assert isinstance(got, sqlframe_duckdb.DuckDBDataFrame)
    same_rows(rows_of(got), rows_of(calibration_holdout_split(purchases, **options)))


def test_calibration_holdout_split_in_postgres_by_hand(postgres):
    # The docstring's example, worked by hand. Customer 1 buys on Jan 1, 5 and 12, customer 2
    # on Jan 2, customer 3 first on Jan 11; calibration to Jan 7, holdout to Jan 14 (days).
    # 1: calibration days 1 and 5 -> frequency 1, recency 4, T 7 - 1 = 6; holdout day 12 -> 1.
    # 2: one day -> frequency 0, recency 0, T 7 - 2 = 5; no holdout purchase -> 0.
    # 3: first purchase after calibration_end -> not in the calibration cohort.
    # duration_holdout = 14 - 7 = 7 for everyone.
    frame = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3],
            "timestamp": pd.to_datetime(
                ["2024-01-01", "2024-01-05", "2024-01-12", "2024-01-02", "2024-01-11"]
            ),
        }
    )
    connection = postgres.connect()
    load_events(connection, "hand_purchases", frame, PG_TYPES)
    session = sqlframe_postgres.PostgresSession(conn=connection)
    try:
        got = calibration_holdout_split(
            session.table("hand_purchases"),
            customer_id="customer_id",
            timestamp="timestamp",
            calibration_end="2024-01-07",
            observation_end="2024-01-14",
        )
        assert rows_of(got) == [
            {
                "customer_id": 1,
                "frequency": 1,
                "recency": 4.0,
                "T": 6.0,
                "frequency_holdout": 1,
                "duration_holdout": 7.0,
            },
            {
                "customer_id": 2,
                "frequency": 0,
                "recency": 0.0,
                "T": 5.0,
                "frequency_holdout": 0,
                "duration_holdout": 7.0,
            },
        ]
    finally:
        session.stop()


def test_rfm_segments_and_segment_value_in_postgres_equal_pandas(pg_purchases, purchases):
    # Before the fix rfm_segments' checks used null_count (count_if, which SQLFrame's
    # PostgreSQL functions lack: AttributeError) and cast booleans to bigint.
    options = {**COLUMNS, "time_scaler": 7.0, "observation_end": dt.date(2025, 12, 31)}
    got = rfm_segments(pg_purchases, **options)
    expected = rfm_segments(purchases, **options)
    assert isinstance(got, sqlframe_postgres.PostgresDataFrame)
    assert len(set(expected["segment"])) > 3  # several segments, with ties in frequency
    same_rows(by_customer(got), by_customer(expected))
    got_value = segment_value(got, BGNBD, GAMMA_GAMMA, time_unit="W")
    expected_value = segment_value(expected, BGNBD, GAMMA_GAMMA, time_unit="W")
    assert isinstance(got_value, sqlframe_postgres.PostgresDataFrame)
    same_rows(rows_of(got_value), rows_of(expected_value))  # sorted by total_clv


def test_transaction_tracking_reads_postgres_purchases(pg_purchases, purchases):
    options = {
        "customer_id": "customer_id",
        "timestamp": "timestamp",
        "calibration_end": "2025-03-31",
        "time_scaler": 7.0,
    }
    got = transaction_tracking(BGNBD, pg_purchases, **options)
    expected = transaction_tracking(BGNBD, purchases, **options)
    assert len(expected) > 50
    same_rows(rows_of(got), rows_of(expected))
