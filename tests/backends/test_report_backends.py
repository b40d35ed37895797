"""compute_kpis on every backend: same numbers as pandas, work done in the engine, edge cases.

The ``constructor`` fixture (tests/conftest.py) builds each backend's native frame from the
same pandas frame; the pandas report is the reference, compared with integers exact and
floats to 1e-9 relative. Hand-calculated values are given where a case is small.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from retention_kpis import InvalidInputError
from retention_kpis.datasets import make_events
from retention_kpis.report import compute_kpis

D = dt.datetime
LAZY = ["polars_lazy", "duckdb", "pyspark"]


def same(left, right):
    """Integers and strings exactly, floats to 1e-9 relative, None (undefined) alike."""
    assert left.keys() == right.keys()
    for column in left:
        assert len(left[column]) == len(right[column]), column
        for a, b in zip(left[column], right[column], strict=True):
            if isinstance(a, float) and isinstance(b, float):
                assert math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0), (column, a, b)
            else:
                assert a == b, (column, a, b)
                assert type(a) is type(b), (column, a, b)


@pytest.fixture(scope="module")
def synthetic():
    # ~7,000 events of 60 customers over two years, 4 channels, every event type.
    return make_events(60, seed=7)


@pytest.mark.parametrize("period", ["M", "W", None])
def test_synthetic_events_give_the_pandas_report_on_every_backend(constructor, synthetic, period):
    expected = compute_kpis(synthetic, period=period, by="channel").to_dict()
    got = compute_kpis(constructor(synthetic), period=period, by="channel").to_dict()
    same(got, expected)


@pytest.mark.parametrize("constructor", LAZY, indirect=True)
def test_lazy_backends_collect_only_the_aggregated_tables(constructor, synthetic, monkeypatch):
    # Every collect narwhals runs is recorded with its row count. Collecting the event table
    # (7,000 rows) would exceed the bound: one row per (period, channel), or per score value of
    # a survey type (at most 11 NPS + 5 CSAT values), per aggregated table.
    collected = []
    original = nw.LazyFrame.collect

    def spy(self, *args, **kwargs):
        frame = original(self, *args, **kwargs)
        collected.append(len(frame))
        return frame

    monkeypatch.setattr(nw.LazyFrame, "collect", spy)
    report = compute_kpis(constructor(synthetic), period="M", by="channel")
    bound = len(report.rows) * 16
    assert bound < len(synthetic) / 4  # so the check can fail
    assert collected, "nothing was collected through narwhals"
    assert max(collected) <= bound


def test_duckdb_relation_generated_in_the_engine_is_never_collected(monkeypatch):
    # 400,000 rows made by DuckDB's range(); never a Python object. Same spy as above.
    con = duckdb.connect()
    relation = con.sql(
        """
        SELECT i % 5000 AS customer_id,
               TIMESTAMP '2023-01-01' + to_seconds(((i * 7919) % 63072000)::BIGINT) AS timestamp,
               CASE WHEN i % 4 = 0 THEN 'purchase' ELSE 'visit' END AS event_type,
               CASE WHEN i % 4 = 0 THEN (i % 100)::DOUBLE END AS revenue,
               CASE WHEN i % 3 = 0 THEN 'web' ELSE 'email' END AS channel
        FROM range(400000) t(i)
        """
    )
    collected = []
    original = nw.LazyFrame.collect

    def spy(self, *args, **kwargs):
        frame = original(self, *args, **kwargs)
        collected.append(len(frame))
        return frame

    monkeypatch.setattr(nw.LazyFrame, "collect", spy)
    report = compute_kpis(relation, period="M", by="channel")
    assert max(collected) <= 48  # 24 months x 2 channels
    # revenue: i % 4 == 0 rows carry i % 100 in {0, 4, ..., 96}; each of the 25 values appears
    # 400,000 / 100 = 4,000 times -> 4,000 * (0 + 4 + ... + 96) = 4,000 * 1,200 = 4,800,000.
    assert sum(row.revenue for row in report.rows) == 4_800_000.0
    assert sum(row.orders for row in report.rows) == 100_000


# --- Time zones ------------------------------------------------------------------------------


def purchases(timestamps, **columns):
    n = len(timestamps)
    return pd.DataFrame(
        {
            "customer_id": columns.pop("customer_id", ["a"] * n),
            "timestamp": timestamps,
            "event_type": columns.pop("event_type", ["purchase"] * n),
            "revenue": columns.pop("revenue", [10.0] * n),
            **columns,
        }
    )


def test_utc_aware_timestamps_read_as_their_wall_clock_on_every_backend(constructor):
    # 2024-01-31 23:30 UTC is January (the zone is dropped, the UTC wall clock kept).
    stamps = pd.to_datetime(["2024-01-31 23:30", "2024-02-01 00:10"]).tz_localize("UTC")
    rows = compute_kpis(constructor(purchases(stamps))).rows
    assert [(str(r.period), r.orders) for r in rows] == [("2024-01-01", 1), ("2024-02-01", 1)]


def test_iso_strings_with_an_offset_keep_their_wall_clock_on_every_backend(constructor):
    # 23:30+01:00 on January 31 stays January 31 (22:30 UTC would too; 00:30+01:00 would not).
    stamps = ["2024-01-31T23:30:00+01:00", "2024-02-01T00:30:00+01:00"]
    rows = compute_kpis(constructor(purchases(stamps))).rows
    assert [(str(r.period), r.orders) for r in rows] == [("2024-01-01", 1), ("2024-02-01", 1)]


def test_mixed_offsets_in_strings_are_rejected_on_every_backend(constructor):
    stamps = ["2024-01-31T23:30:00+01:00", "2024-02-01T00:30:00Z"]
    with pytest.raises(
        InvalidInputError, match=r"mixes time zones: 2 rows carry 2 different UTC offsets"
    ):
        compute_kpis(constructor(purchases(stamps)))


def test_duckdb_reads_aware_timestamps_in_its_session_time_zone():
    # DuckDB stores instants (TIMESTAMPTZ) without the column's zone: the wall clock is the
    # connection's TimeZone, so setting it to the data's zone gives pandas' answer.
    # 2024-01-31 23:30 UTC = 2024-02-01 00:30 in Paris -> February there, January in UTC.
    stamps = pd.to_datetime(["2024-01-31 23:30", "2024-01-31 10:00"]).tz_localize("UTC")
    events = purchases(stamps.tz_convert("Europe/Paris"))
    expected = compute_kpis(events).to_dict()
    assert [str(p) for p in expected["period"]] == ["2024-01-01", "2024-02-01"]
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Paris'")
    table = pa.Table.from_pandas(events, preserve_index=False)
    same(compute_kpis(con.from_arrow(table)).to_dict(), expected)


# --- Nulls, integer widths, empty groups -------------------------------------------------------


def test_null_segments_form_their_own_group_on_every_backend(constructor):
    # channel None is a segment of its own; spend rows without a customer are allowed.
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", None],
            "timestamp": [D(2024, 1, 5), D(2024, 1, 6), D(2024, 1, 7), D(2024, 1, 8)],
            "event_type": ["visit", "purchase", "visit", "spend"],
            "revenue": [None, 20.0, None, None],
            "cost": [None, None, None, 5.0],
            "channel": ["web", None, None, "web"],
        }
    )
    report = compute_kpis(constructor(events), by="channel")
    got = report.to_dict()
    same(got, compute_kpis(events, by="channel").to_dict())
    # web: visitor a, spend 5, no order; None: visitor b and a's purchase -> orders 1, revenue 20.
    assert got["channel"] == ["web", None]
    assert got["visitors"] == [1, 1]
    assert got["orders"] == [0, 1]
    assert got["spend"] == [5.0, 0.0]
    assert got["conversion_rate"] == [0.0, 0.0]  # a bought under None, not under web


def test_int32_ids_and_amounts_do_not_overflow_on_every_backend(constructor):
    # Three purchases of 2e9 each in int32 (max 2,147,483,647): the sum 6e9 needs 64 bits.
    events = purchases(
        [D(2024, 1, 5), D(2024, 1, 6), D(2024, 1, 7)],
        customer_id=np.array([2_147_483_647, 2_147_483_647, 5], dtype=np.int32),
        revenue=np.array([2_000_000_000] * 3, dtype=np.int32),
        order_id=np.array([2_147_483_647, -2_147_483_648, 7], dtype=np.int32),
    )
    row = compute_kpis(constructor(events)).rows[0]
    assert (row.revenue, row.orders, row.active_customers) == (6e9, 3, 2)
    assert row.aov == 2e9  # 6e9 / 3


def test_counts_come_back_as_python_ints_on_every_backend(constructor, synthetic):
    report = compute_kpis(constructor(synthetic), period="Q")
    for row in report.rows:
        for name in ("visitors", "orders", "new_customers", "active_customers"):
            assert type(getattr(row, name)) is int


def test_groups_without_customers_give_zero_counts_and_null_rates(constructor):
    # February holds only a spend row and a signup: zero visitors and orders, so
    # conversion, aov and purchase_frequency are undefined (null), spend is 7, retention 0/1 -> 0.
    events = pd.DataFrame(
        {
            "customer_id": ["a", None, "b"],
            "timestamp": [D(2024, 1, 5), D(2024, 2, 1), D(2024, 2, 2)],
            "event_type": ["purchase", "spend", "signup"],
            "revenue": [10.0, None, None],
            "cost": [None, 7.0, None],
        }
    )
    report = compute_kpis(constructor(events))
    feb = report.to_dict()
    same(feb, compute_kpis(events).to_dict())
    assert feb["visitors"][1] == 0
    assert feb["orders"][1] == 0
    assert feb["spend"][1] == 7.0
    assert feb["conversion_rate"][1] is None
    assert feb["aov"][1] is None
    assert feb["retention_rate"][1] == 0.0  # January's {a} not active in February


def test_ignoring_every_event_gives_an_empty_report_on_every_backend(constructor):
    events = purchases([D(2024, 1, 5)], event_type=["click"])
    report = compute_kpis(constructor(events), unknown_events="ignore")
    assert report.rows == ()
    assert report.notes == ("Ignored 1 row with unknown event types: 'click' (1 row).",)


def test_bad_input_messages_are_the_same_on_every_backend(constructor):
    events = purchases([D(2024, 1, 5), D(2024, 1, 6)], revenue=[-1.0, None])
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(constructor(events))
    assert str(excinfo.value) == (
        "Column 'revenue' of events must be >= 0 (refunds are not supported). "
        "Got 1 row that does not (event types: 'purchase')."
    )
    unparseable = purchases(["2024-01-05", "yesterday"])
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(constructor(unparseable))
    assert str(excinfo.value) == (
        "Column 'timestamp' of events holds 1 row that cannot be parsed as ISO 8601 "
        "timestamps (first: 'yesterday').\nHint: convert the column to datetimes first."
    )
