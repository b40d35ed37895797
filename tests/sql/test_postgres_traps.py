"""SQL traps on the real PostgreSQL server, each with its answer worked by hand (issue #19).

Integer division (integer-typed revenue, cost and scores: no rate may truncate), NULL
ordering (PostgreSQL sorts NULL last ascending and first descending, unlike pandas and
DuckDB; nulls in channels, segments and at tied timestamps), timestamptz written with an
offset and naive ``timestamp`` columns, numeric without a declared scale beside double
precision, column names with upper case and spaces, and empty tables on every entry point.
The ISO week start, numeric(18, 2) cents per month and the non-UTC session are in
test_postgres.py. The server and loader are in tests/sql/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from retention_kpis import ColumnNotFoundError, EventSchema, compute_kpis, engagement_kpis
from retention_kpis.attribution import attribute
from retention_kpis.clv import (
    calibration_holdout_split,
    customer_table,
    rfm_segments,
    rfm_summary,
)
from retention_kpis.cohorts import cohort_retention, revenue_retention
from retention_kpis.datasets import make_events
from retention_kpis.funnels import cart_kpis, funnel

from .conftest import PG_TYPES, load_events
from .test_postgres import rows_of, sqlframe_postgres

JAN = dt.date(2024, 1, 1)


@pytest.fixture
def pg(postgres):
    """A UTC session's connection and a function reading a table through SQLFrame."""
    connection = postgres.connect()
    session = sqlframe_postgres.PostgresSession(conn=connection)
    yield connection, session
    session.stop()


def execute(connection, *statements):
    with connection.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
    connection.commit()


# --- integer division ------------------------------------------------------------------------
# January 2024, every money and score column an integer type in PostgreSQL.
INTEGERS = pd.DataFrame(
    {
        "customer_id": pd.array([1, 1, 2, 2, 3, None, 1, 2, 3], dtype="Int64"),
        "timestamp": pd.to_datetime(
            [
                "2024-01-02 10:00",
                "2024-01-02 11:00",
                "2024-01-03 10:00",
                "2024-01-03 11:00",
                "2024-01-04 10:00",
                "2024-01-05 00:00",
                "2024-01-06 10:00",
                "2024-01-06 11:00",
                "2024-01-06 12:00",
            ]
        ),
        "event_type": [
            "visit",
            "purchase",
            "visit",
            "purchase",
            "visit",
            "spend",
            "nps_response",
            "nps_response",
            "nps_response",
        ],
        "revenue": pd.array([None, 10, None, 5, None, None, None, None, None], dtype="Int64"),
        "cost": pd.array([None, None, None, None, None, 4, None, None, None], dtype="Int32"),
        "score": pd.array([None] * 6 + [10, 9, 3], dtype="Int32"),
    }
)
INTEGER_TYPES = {
    "customer_id": "bigint",
    "timestamp": "timestamptz",
    "event_type": "text",
    "revenue": "bigint",
    "cost": "integer",
    "score": "smallint",
}


def test_rates_of_integer_columns_do_not_truncate(pg):
    connection, session = pg
    load_events(connection, "integer_events", INTEGERS, INTEGER_TYPES)
    (row,) = compute_kpis(session.table("integer_events"), period="M").rows
    # By hand: visitors 1, 2, 3; purchasers 1 (10) and 2 (5); spend 4; NPS scores 10, 9, 3.
    assert (row.period, row.visitors, row.orders, row.active_customers) == (JAN, 3, 2, 2)
    assert row.conversion_rate == pytest.approx(2 / 3, rel=1e-12)  # integer division: 0
    assert (row.revenue, row.spend, row.new_customers) == (15.0, 4.0, 2)
    assert row.aov == 7.5  # 15 / 2 (integer division: 7)
    assert row.roas == 3.75  # 15 / 4 (integer division: 3)
    assert (row.cpa, row.cac, row.purchase_frequency) == (2.0, 2.0, 1.0)
    # NPS: promoters 10 and 9, detractor 3, so 100 * (2 - 1) / 3 (integer division: 33 or 0).
    assert row.nps == pytest.approx(100 / 3, rel=1e-12)


def test_funnel_and_rfm_of_integer_columns_do_not_truncate(pg):
    connection, session = pg
    load_events(connection, "integer_events", INTEGERS, INTEGER_TYPES)
    steps = funnel(session.table("integer_events"), steps=["visit", "purchase"], within="1D")
    second = rows_of(steps.to_frame())[1]
    # 3 visitors, 2 purchase an hour after their visit: 2 / 3 converts, 1 / 3 drops off.
    assert second["entrants"] == 2
    assert second["conversion_from_first"] == pytest.approx(2 / 3, rel=1e-12)
    assert second["drop_off_share"] == pytest.approx(1 / 3, rel=1e-12)
    assert second["median_seconds_from_previous"] == 3600.0
    purchases = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01"]),
            "revenue": np.array([10, 5, 6, 7], dtype=np.int64),
        }
    )
    load_events(connection, "integer_purchases", purchases, {**PG_TYPES, "revenue": "bigint"})
    summary = rfm_summary(
        session.table("integer_purchases"),
        customer_id="customer_id",
        timestamp="timestamp",
        monetary_value="revenue",
        time_scaler=7.0,
    )
    # Customer 1: days 0, 1, 2 -> frequency 2, recency 2 / 7 days, T 2 / 7 (the last day is
    # the observation end), mean repeat value (5 + 6) / 2 = 5.5 (integer division: 5).
    # Customer 2: one day -> 0, 0, T 2 / 7, 0.
    assert rows_of(summary) == [
        {"customer_id": 1, "frequency": 2, "recency": 2 / 7, "T": 2 / 7, "monetary_value": 5.5},
        {"customer_id": 2, "frequency": 0, "recency": 0.0, "T": 2 / 7, "monetary_value": 0.0},
    ]


# --- NULL ordering ---------------------------------------------------------------------------
# January 2024. Customer 1's first moment (09:00) has three visits: a null channel,
# "referral" and "ads"; customer 2's first visit has a null channel, the next one "referral";
# customer 3 arrives by "referral". Customer 2 has a null campaign.
NULLS = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 1, 2, 2, 2, 3, 3],
        "timestamp": pd.to_datetime(
            [
                "2024-01-10 09:00",
                "2024-01-10 09:00",
                "2024-01-10 09:00",
                "2024-01-10 12:00",
                "2024-01-11 09:00",
                "2024-01-12 09:00",
                "2024-01-12 10:00",
                "2024-01-13 09:00",
                "2024-01-14 10:00",
            ]
        ),
        "event_type": [
            *["visit"] * 3,
            "purchase",
            "visit",
            "visit",
            "purchase",
            "visit",
            "purchase",
        ],
        "channel": [None, "referral", "ads", "email", None, "referral", None, "referral", None],
        "campaign": ["spring"] * 4 + [None] * 3 + ["spring"] * 2,
        "revenue": [None, None, None, 20.0, None, None, 30.0, None, 40.0],
    }
)
NULL_TYPES = {**PG_TYPES, "revenue": "numeric(18, 2)"}


@pytest.fixture
def nulls(pg):
    connection, session = pg
    load_events(connection, "null_events", NULLS, NULL_TYPES)
    return session.table("null_events")


def test_null_channels_at_the_first_touch(nulls):
    (row,) = rows_of(engagement_kpis(nulls, period="M", referral_channel="referral"))
    # Referred: customer 1 (a referral visit at the first moment, beside a null and "ads")
    # and 3; not customer 2, whose first visit has a null channel. Top 20% of 3 purchasers
    # is ceil(0.6) = 1: customer 3's 40 of 20 + 30 + 40 = 90.
    assert (row["customers"], row["referred_customers"]) == (3, 2)
    assert row["referred_customer_share"] == pytest.approx(2 / 3, rel=1e-12)
    assert row["pareto_share"] == pytest.approx(40 / 90, rel=1e-12)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # Touches at the same moment are ordered by channel name (docs/attribution.md): at
        # customer 1's 09:00, "ads" before "referral"; the null-channel visits are no touch.
        # Segments: the null campaign first, as pandas sorts it (nulls first).
        (
            "first_touch",
            [
                (None, "referral", 1.0, 30.0),
                ("spring", "ads", 1.0, 20.0),
                ("spring", "referral", 1.0, 40.0),
            ],
        ),
        (
            "last_touch",
            [
                (None, "referral", 1.0, 30.0),
                ("spring", "ads", 0.0, 0.0),
                ("spring", "referral", 2.0, 60.0),
            ],
        ),
    ],
)
def test_ties_and_null_segments_in_attribution(nulls, model, expected):
    frame = attribute(nulls, model=model, by="campaign").to_frame()
    got = [tuple(row.values()) for row in rows_of(frame)]
    assert got == expected


def test_null_segments_come_last_in_the_report(nulls):
    report = compute_kpis(nulls, period="M", by=["channel"])
    got = [
        (row.segment["channel"], row.visitors, row.active_customers, row.revenue)
        for row in report.rows
    ]
    # By hand: "ads" visited by 1; "email" bought by 1 (20); "referral" visited by 1, 2, 3;
    # null: visits of 1 and 2, purchases of 2 (30) and 3 (40). Null last (report order).
    assert got == [
        ("ads", 1, 0, 0.0),
        ("email", 0, 1, 20.0),
        ("referral", 3, 0, 0.0),
        (None, 2, 2, 70.0),
    ]


# --- timestamps ------------------------------------------------------------------------------
def test_offsets_and_naive_timestamps(pg):
    connection, session = pg
    execute(
        connection,
        "DROP TABLE IF EXISTS zoned, naive",
        "CREATE TABLE zoned (customer_id bigint, timestamp timestamptz, event_type text)",
        "CREATE TABLE naive (customer_id bigint, timestamp timestamp, event_type text)",
        # 23:30 at UTC-5 on Jan 31 is 04:30 UTC on Feb 1; 2024-01-31 23:30 naive is taken as
        # UTC (the library's rule for naive times), so January.
        "INSERT INTO zoned VALUES (1, '2024-01-31 23:30:00-05:00', 'visit')",
        "INSERT INTO naive VALUES (1, '2024-01-31 23:30:00', 'visit')",
    )
    zoned = compute_kpis(session.table("zoned"), period="M").rows
    naive = compute_kpis(session.table("naive"), period="M").rows
    assert [(row.period, row.visitors) for row in zoned] == [(dt.date(2024, 2, 1), 1)]
    assert [(row.period, row.visitors) for row in naive] == [(JAN, 1)]


# --- numeric and double precision ------------------------------------------------------------
@pytest.mark.parametrize("money", ["numeric", "numeric(18, 2)", "double precision"])
def test_numeric_without_scale_keeps_its_cents(pg, money):
    # SQLFrame reads a numeric without declared precision as DECIMAL(10, 0); a cast through
    # that type would round 0.10 and 0.20 to 0. The library casts money to double precision,
    # so every type gives 0.1 + 0.2 summed in doubles: 0.30000000000000004, pandas' sum.
    connection, session = pg
    execute(
        connection,
        "DROP TABLE IF EXISTS money_events",
        f"CREATE TABLE money_events (customer_id bigint, timestamp timestamptz, "
        f"event_type text, revenue {money})",
        "INSERT INTO money_events VALUES (1, '2024-01-02', 'purchase', 0.10), "
        "(2, '2024-01-03', 'purchase', 0.20)",
    )
    (row,) = compute_kpis(session.table("money_events"), period="M").rows
    assert row.revenue == 0.1 + 0.2
    assert row.aov == (0.1 + 0.2) / 2
    summary = rfm_summary(
        session.table("money_events"),
        customer_id="customer_id",
        timestamp="timestamp",
        monetary_value="revenue",
    )
    assert [r["customer_id"] for r in rows_of(summary)] == [1, 2]


# --- identifiers -----------------------------------------------------------------------------
CASED = (
    (
        'CREATE TABLE cased_events ("Customer ID" bigint, "EventTime" timestamptz, '
        '"Event Type" text, "Revenue" numeric(18, 2))'
    ),
    (
        "INSERT INTO cased_events VALUES (1, '2024-01-02 10:00+00', 'visit', NULL), "
        "(1, '2024-01-02 11:00+00', 'purchase', 12.50), (2, '2024-02-01 09:00+00', 'visit', NULL)"
    ),
)


def test_upper_case_and_spaced_names_fail_inside_sqlframe(pg):
    # SQLFrame's sessions read and write column names in Spark's dialect, which is case
    # insensitive: every identifier, quoted or not, is lowercased, so "Customer ID" is asked
    # of PostgreSQL as "customer id", which does not exist. It fails in SQLFrame's own schema
    # query, before the library sees a column. When SQLFrame changes this, the test fails
    # and docs/warehouses.md should be updated.
    connection, session = pg
    execute(connection, "DROP TABLE IF EXISTS cased_events", *CASED)
    table = session.table("cased_events")
    with pytest.raises(Exception, match='column "customer id" does not exist'):
        table.schema  # noqa: B018 - SQLFrame's own schema query
    connection.rollback()
    schema = EventSchema(customer_id="Customer ID", timestamp="EventTime", event_type="Event Type")
    with pytest.raises(Exception, match='column "customer id" does not exist'):
        compute_kpis(table, period="M", schema=schema)


def test_upper_case_names_through_a_case_sensitive_select(pg):
    # The way around it (docs/warehouses.md): select the columns in PostgreSQL's dialect,
    # marked case sensitive for SQLFrame's parser, under lower-case aliases; EventSchema maps
    # those aliases.
    connection, session = pg
    execute(connection, "DROP TABLE IF EXISTS cased_events", *CASED)
    frame = session.sql(
        'SELECT "Customer ID" /* sqlglot.meta case_sensitive */ AS customer_ref, '
        '"EventTime" /* sqlglot.meta case_sensitive */ AS event_time, '
        '"Event Type" /* sqlglot.meta case_sensitive */ AS kind, '
        '"Revenue" /* sqlglot.meta case_sensitive */ AS amount FROM cased_events',
        dialect="postgres",
        qualify=False,
    )
    schema = EventSchema(
        customer_id="customer_ref", timestamp="event_time", event_type="kind", revenue="amount"
    )
    report = compute_kpis(frame, period="M", schema=schema)
    # By hand: January, customer 1 visits and buys for 12.50; February, customer 2 visits.
    got = [(row.period, row.visitors, row.active_customers, row.revenue) for row in report.rows]
    assert got == [(JAN, 1, 1, 12.5), (dt.date(2024, 2, 1), 1, 0, 0.0)]


def test_names_with_spaces_come_back_quoted_and_the_error_says_what_to_do(pg):
    # Lower-case names with spaces reach PostgreSQL, but SQLFrame's schema (what narwhals
    # reads) spells them quoted (`customer id`), so a schema naming them plainly finds no
    # such column. The error names the way around it, which works: select them under names
    # without spaces.
    connection, session = pg
    execute(
        connection,
        "DROP TABLE IF EXISTS spaced_events",
        'CREATE TABLE spaced_events ("customer id" bigint, "event time" timestamptz, '
        "event_type text)",
        "INSERT INTO spaced_events VALUES (1, '2024-01-02', 'visit'), (2, '2024-01-03', 'visit')",
    )
    table = session.table("spaced_events")
    schema = EventSchema(customer_id="customer id", timestamp="event time")
    with pytest.raises(ColumnNotFoundError) as error:
        compute_kpis(table, period="M", schema=schema)
    assert "Available columns: ['`customer id`', '`event time`', 'event_type']" in str(error.value)
    assert (
        "SQLFrame lists ['customer id', 'event time'] quoted: select them under names without "
        "spaces first, e.g. frame.select(F.col('customer id').alias('customer_id'), ...)."
    ) in str(error.value)
    from sqlframe.postgres import functions  # noqa: PLC0415 - the 'sql' extra

    renamed = table.select(
        functions.col("customer id").alias("customer_ref"),
        functions.col("event time").alias("event_time"),
        "event_type",
    )
    report = compute_kpis(
        renamed, period="M", schema=EventSchema(customer_id="customer_ref", timestamp="event_time")
    )
    assert [(row.period, row.visitors) for row in report.rows] == [(JAN, 2)]  # by hand


# --- empty tables ----------------------------------------------------------------------------
END = dt.date(2025, 12, 31)
RFM = {"customer_id": "customer_id", "timestamp": "timestamp", "monetary_value": "revenue"}
ENTRY_POINTS = {
    "compute_kpis": lambda f: compute_kpis(f, period="M").rows,
    "engagement_kpis": lambda f: engagement_kpis(f, period="M"),
    "rfm_summary": lambda f: rfm_summary(f, **RFM, observation_end=END),
    "calibration_holdout_split": lambda f: calibration_holdout_split(
        f, **RFM, calibration_end="2025-01-01", observation_end=END
    ),
    "rfm_segments": lambda f: rfm_segments(f, **RFM),
    "cohort_retention": lambda f: cohort_retention(
        f, cohort_event="signup", return_event="visit", observation_end=END
    ),
    "revenue_retention": lambda f: revenue_retention(f, observation_end=END),
    "funnel": lambda f: funnel(f, steps=["visit", "purchase"]),
    "cart_kpis": cart_kpis,
    "attribute": lambda f: attribute(f, model="last_touch"),
}


def outcome(call, frame):
    """What a call gives: its rows and columns (frames), its value, or its error; warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(frame)
    frames = (pd.DataFrame, sqlframe_postgres.PostgresDataFrame)
    if not isinstance(result, frames) and callable(getattr(result, "to_frame", None)):
        result = result.to_frame()
    if isinstance(result, frames):
        result = (rows_of(result), list(result.columns))
    return result, sorted(str(w.message) for w in caught)


@pytest.fixture(scope="module")
def empty_events():
    return make_events(5, seed=1).iloc[:0]


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_an_empty_table_gives_the_pandas_answer(pg, empty_events, name):
    connection, session = pg
    load_events(connection, "empty_all", empty_events, PG_TYPES)
    call = ENTRY_POINTS[name]
    got = outcome(call, session.table("empty_all"))
    expected = outcome(call, empty_events)
    assert got == expected


def test_customer_table_refuses_an_empty_table_as_pandas_does(pg, empty_events):
    connection, session = pg
    load_events(connection, "empty_all", empty_events, PG_TYPES)
    message = "events hold no purchase rows"
    with pytest.raises(Exception, match=message) as pandas_error:
        customer_table(empty_events, observation_end=END)
    with pytest.raises(type(pandas_error.value), match=message) as error:
        customer_table(session.table("empty_all"), observation_end=END)
    assert str(error.value) == str(pandas_error.value)


def test_empty_results_are_frames_of_the_session(pg, empty_events):
    connection, session = pg
    load_events(connection, "empty_all", empty_events, PG_TYPES)
    summary = rfm_summary(session.table("empty_all"), **RFM, observation_end=END)
    assert isinstance(summary, sqlframe_postgres.PostgresDataFrame)
    assert summary.columns == ["customer_id", "frequency", "recency", "T", "monetary_value"]


@pytest.fixture
def duck_cased():
    """A SQLFrame DuckDB session on a table with "Customer ID", "EventTime" and "Revenue"."""
    import duckdb  # noqa: PLC0415 - test extra

    from .test_postgres import sqlframe_duckdb  # noqa: PLC0415

    connection = duckdb.connect()
    connection.execute(
        'CREATE TABLE cased (cid BIGINT, "Customer ID" BIGINT, "EventTime" TIMESTAMP, '
        'event_type VARCHAR, "Revenue" DECIMAL(18, 2))'
    )
    connection.execute(
        "INSERT INTO cased VALUES (1, 1, '2024-01-02 10:00', 'visit', NULL), "
        "(1, 1, '2024-01-02 11:00', 'purchase', 12.50), (2, 2, '2024-02-01 09:00', 'visit', NULL)"
    )
    session = sqlframe_duckdb.DuckDBSession(conn=connection)
    yield session.table("cased")
    session.stop()


# By hand: January, customer 1 visits and buys for 12.50; February, customer 2 visits.
CASED_MONTHS = [(JAN, 1, 1, 12.5), (dt.date(2024, 2, 1), 1, 0, 0.0)]


def months_of(report):
    return [(row.period, row.visitors, row.active_customers, row.revenue) for row in report.rows]


def test_sqlframe_duckdb_keeps_upper_case_but_quotes_spaced_names(duck_cased):
    # DuckDB's SQLFrame session reads "EventTime" and "Revenue" as they are (DuckDB resolves
    # names case-insensitively) but spells "Customer ID" quoted, like the PostgreSQL session.
    schema = EventSchema(customer_id="Customer ID", timestamp="EventTime", revenue="Revenue")
    with pytest.raises(ColumnNotFoundError, match=r"SQLFrame lists \['Customer ID'\] quoted"):
        compute_kpis(duck_cased, period="M", schema=schema)
    schema = EventSchema(customer_id="cid", timestamp="EventTime", revenue="Revenue")
    assert months_of(compute_kpis(duck_cased, period="M", schema=schema)) == CASED_MONTHS


def test_upper_case_names_selected_in_sqlframe_keep_revenue(duck_cased):
    # A select in SQLFrame records display names ("EventTime", "Revenue") that SQLFrame then
    # gives to any later column equal to them but for case: before the fix, the library's own
    # revenue sum came back as "Revenue" and the report showed 0.0 (validate_events now
    # forgets the display names of the columns it renamed).
    from sqlframe.duckdb import functions  # noqa: PLC0415 - the 'sql' extra

    selected = duck_cased.select(
        functions.col("Customer ID").alias("customer_ref"), "EventTime", "event_type", "Revenue"
    )
    schema = EventSchema(customer_id="customer_ref", timestamp="EventTime", revenue="Revenue")
    assert months_of(compute_kpis(selected, period="M", schema=schema)) == CASED_MONTHS


def test_an_upper_case_alias_in_postgres_keeps_revenue(pg):
    # The same SQLFrame behaviour on PostgreSQL (0.0 before the fix): a lower-case table, one
    # column given the alias "Revenue" in SQLFrame. By hand: January, customer 1 buys 12.50.
    connection, session = pg
    execute(
        connection,
        "DROP TABLE IF EXISTS plain_events",
        "CREATE TABLE plain_events (cid bigint, ts timestamptz, event_type text, "
        "amount numeric(18, 2))",
        "INSERT INTO plain_events VALUES (1, '2024-01-02 10:00+00', 'visit', NULL), "
        "(1, '2024-01-02 11:00+00', 'purchase', 12.50)",
    )
    from sqlframe.postgres import functions  # noqa: PLC0415 - the 'sql' extra

    selected = session.table("plain_events").select(
        "cid", "ts", "event_type", functions.col("amount").alias("Revenue")
    )
    schema = EventSchema(customer_id="cid", timestamp="ts", revenue="Revenue")
    assert months_of(compute_kpis(selected, period="M", schema=schema)) == [(JAN, 1, 1, 12.5)]


def test_lower_case_names_selected_in_sqlframe_keep_revenue(duck_cased):
    # Lower-case aliases, never affected.
    from sqlframe.duckdb import functions  # noqa: PLC0415 - the 'sql' extra

    selected = duck_cased.select(
        functions.col("Customer ID").alias("customer_ref"),
        functions.col("EventTime").alias("event_time"),
        "event_type",
        functions.col("Revenue").alias("amount"),
    )
    schema = EventSchema(customer_id="customer_ref", timestamp="event_time", revenue="amount")
    assert months_of(compute_kpis(selected, period="M", schema=schema)) == CASED_MONTHS
