"""The KPIs computed in PostgreSQL and DuckDB through SQLFrame equal the pandas ones (issue #19).

The events are loaded into a real PostgreSQL server (tests/sql/conftest.py) with warehouse
types (bigint, timestamptz, numeric(18, 2), text, double precision, nulls) and read as a
SQLFrame table; the same events go to a SQLFrame DuckDB session. The reference is the pandas
result on the same events (itself checked by hand-calculated examples in tests/report);
integers must be equal, floats equal to 1e-9 relative. Where the work runs is checked with
PostgreSQL's own statistics (pg_stat_statements: rows each statement returned).
"""

from __future__ import annotations

import datetime as dt
import math

import narwhals.stable.v2 as nw
import pandas as pd
import pytest

from retention_kpis import EventSchema, InvalidInputError, compute_kpis
from retention_kpis.cohorts import cohort_retention
from retention_kpis.datasets import make_events
from retention_kpis.funnels import funnel

from .conftest import PG_TYPES, REQUIRE, load_events

if REQUIRE:  # CI: a missing SQLFrame is a failure, not a skip
    import sqlframe.duckdb as sqlframe_duckdb
    import sqlframe.postgres as sqlframe_postgres
else:
    sqlframe_postgres = pytest.importorskip("sqlframe.postgres", reason="pip install -e '.[sql]'")
    sqlframe_duckdb = pytest.importorskip("sqlframe.duckdb", reason="pip install -e '.[sql]'")

END = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def events():
    # ~4,000 events of 40 customers over two years, with revenue, cost, scores, channels,
    # order ids and nulls in every optional column.
    return make_events(40, seed=11)


@pytest.fixture(scope="module")
def clv_events():
    # customer_table fits BG/NBD and Gamma-Gamma: 40 customers give 6 repeat buyers, too few to
    # identify Gamma-Gamma's three parameters (the fit refuses them, issue #16 item 6); 150
    # customers give 66 purchasers.
    return make_events(150, seed=11)


@pytest.fixture(scope="module")
def loaded(postgres, events, clv_events):
    connection = postgres.connect()
    load_events(connection, "events", events, PG_TYPES)
    load_events(connection, "clv_events", clv_events, PG_TYPES)
    connection.close()
    return postgres


def session_on(connection):
    """A SQLFrame PostgreSQL session on ``connection``.

    SQLFrame keeps ONE session per process: its functions read the dialect of the latest
    session created, and creating a session of the same class again returns the existing
    one with its old connection. Each test therefore stops its session (which closes the
    connection and clears SQLFrame's singleton) before the next one starts.
    """
    return sqlframe_postgres.PostgresSession(conn=connection)


@pytest.fixture
def conn(loaded):
    connection = loaded.connect()
    yield connection
    connection.close()


@pytest.fixture
def pg_session(conn):
    session = session_on(conn)
    yield session
    session.stop()


@pytest.fixture
def duck_session(events):
    import duckdb  # noqa: PLC0415 - test extra

    connection = duckdb.connect()
    connection.register("pandas_events", events)
    connection.execute("CREATE TABLE events AS SELECT * FROM pandas_events")
    session = sqlframe_duckdb.DuckDBSession(conn=connection)
    yield session
    session.stop()


def plain(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date()  # pandas has no date dtype: midnight timestamps
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, (str, bytes)) else value


def same_report(got, expected):
    """Every cell equal: integers and text exactly, floats to 1e-9 relative, nulls alike."""
    a, b = got.to_dict(), expected.to_dict()
    assert list(a) == list(b)
    for name in b:
        assert len(a[name]) == len(b[name]), name
        for raw_x, raw_y in zip(a[name], b[name], strict=True):
            x, y = plain(raw_x), plain(raw_y)
            if isinstance(y, float):
                assert isinstance(x, float), (name, x, y)
                assert math.isclose(x, y, rel_tol=1e-9), (name, x, y)
            else:
                assert x == y, (name, x, y)
                assert type(x) is type(y), (name, x, y)


@pytest.mark.parametrize(
    ("period", "by"),
    [("M", None), ("W", ["channel"]), ("D", None), ("Q", ["channel"]), ("Y", ["channel"])],
)
def test_compute_kpis_in_postgres_equals_pandas(pg_session, events, period, by):
    table = pg_session.table("events")
    report = compute_kpis(table, period=period, by=by)
    reference = compute_kpis(events, period=period, by=by)
    # two years of days / weeks / months / quarters / years, x channels
    assert len(reference.rows) > (5 if period == "Y" else 20)
    same_report(report, reference)
    frame = report.to_frame()
    assert isinstance(frame, sqlframe_postgres.PostgresDataFrame)  # the input's kind ...
    assert frame.session is pg_session  # ... in the input's session
    assert frame.count() == len(reference.rows)


def test_compute_kpis_in_sqlframe_duckdb_equals_pandas(duck_session, events):
    frame = duck_session.table("events")
    report = compute_kpis(frame, period="M")
    same_report(report, compute_kpis(events, period="M"))
    out = report.to_frame()
    assert isinstance(out, sqlframe_duckdb.DuckDBDataFrame)
    assert out.session is duck_session


def statement_rows(conn):
    """(statements run, most rows one statement returned) since the last reset."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), coalesce(max(rows / calls), 0) FROM pg_stat_statements "
            "WHERE query NOT ILIKE '%pg_stat_statements%' AND calls > 0"
        )
        return cur.fetchone()


def test_postgres_returns_only_aggregated_tables(conn, pg_session, events):
    with conn.cursor() as cur:
        cur.execute("SELECT pg_stat_statements_reset()")
    report = compute_kpis(pg_session.table("events"), period="M")
    statements, most_rows = statement_rows(conn)
    months = len(report.rows)  # 24 months
    # The largest result is one row per (month, customer) at most (40 customers): far
    # below the 4,073 events, so no statement shipped the event rows out of the database.
    assert statements > 0
    assert most_rows <= months * 40 < len(events) / 4


def test_cohorts_and_funnel_in_postgres_equal_pandas(pg_session, events):
    table = pg_session.table("events")
    got = cohort_retention(table, cohort_event="signup", return_event="visit", observation_end=END)
    expected = cohort_retention(
        events, cohort_event="signup", return_event="visit", observation_end=END
    )
    assert got == expected
    assert isinstance(got.to_frame("counts"), sqlframe_postgres.PostgresDataFrame)
    steps = ["visit", "signup", "purchase"]
    got_funnel = funnel(table, steps=steps, within="30D")
    assert got_funnel == funnel(events, steps=steps, within="30D")
    assert isinstance(got_funnel.to_frame(), sqlframe_postgres.PostgresDataFrame)


def test_sqlframe_create_dataframe_from_pandas_with_nan_text_is_sqlframes_own_error(duck_session):
    # Issue #19's "Cannot combine types VARCHAR and FLOAT": SQLFrame's createDataFrame types a
    # pandas column by its first value, and pandas' NaN in a text column is a float. The frame
    # is wrong before the library sees it, so docs/warehouses.md says to load a table (or pass
    # None, not NaN); this test records the SQLFrame behaviour the page describes.
    frame = duck_session.createDataFrame(pd.DataFrame({"channel": [float("nan"), "email"]}))
    with pytest.raises(Exception, match="Could not convert string 'email'"):
        frame.collect()


# --- SQL traps -------------------------------------------------------------------------------
# Hand-made events whose answers are counted by hand in the comments.
TRAPS = pd.DataFrame(
    {
        "customer_ref": [1, 1, 2, 2, 3],
        # 2024-01-31 23:30 UTC is already February in Tokyo and still January in UTC;
        # 2024-02-05 is a Monday (ISO week start), 2024-02-04 a Sunday.
        "event_time": pd.to_datetime(
            [
                "2024-01-31 23:30:00",
                "2024-02-04 12:00:00",
                "2024-02-05 00:00:00",
                "2024-02-05 10:00:00",
                "2024-02-05 11:00:00",
            ]
        ),
        "event_type": ["purchase", "visit", "visit", "purchase", "visit"],
        # numeric(18, 2) cents that a double would not add exactly: 0.10 + 0.20
        "revenue": [0.10, None, None, 0.20, None],
    }
)
TRAP_TYPES = {
    "customer_ref": "bigint",
    "event_time": "timestamptz",
    "event_type": "text",
    "revenue": "numeric(18, 2)",
}


@pytest.fixture
def traps(postgres):
    connection = postgres.connect(options="-c timezone=Asia/Tokyo")  # a non-UTC session
    load_events(connection, "trap_events", TRAPS, TRAP_TYPES)
    session = session_on(connection)
    yield session
    session.stop()


@pytest.fixture
def utc_traps(postgres):
    connection = postgres.connect(options="-c timezone=UTC")
    load_events(connection, "trap_events_utc", TRAPS, TRAP_TYPES)
    session = session_on(connection)
    yield session
    session.stop()


def test_traps_iso_week_start_and_mapped_names(utc_traps):
    session = utc_traps
    schema = EventSchema(customer_id="customer_ref", timestamp="event_time")
    table = session.table("trap_events_utc")
    expected = compute_kpis(TRAPS, period="W", schema=schema)
    got = compute_kpis(table, period="W", schema=schema)
    same_report(got, expected)
    # By hand (UTC): week of Mon 2024-01-29 holds the 01-31 purchase and the Sunday 02-04
    # visit; the week of Mon 2024-02-05 holds the three Monday events.
    assert [row.period for row in expected.rows] == [dt.date(2024, 1, 29), dt.date(2024, 2, 5)]


def test_a_non_utc_session_is_refused_with_the_fix(traps):
    # SQLFrame reads timestamptz as the session zone's wall time: in this Tokyo session the
    # 23:30 UTC purchase of Jan 31 would count in February. The library refuses the frame.
    schema = EventSchema(customer_id="customer_ref", timestamp="event_time")
    message = (
        "The 'events' parameter must come from a PostgreSQL session in UTC "
        "(SQLFrame reads timestamptz as the session zone's wall time). Got TimeZone "
        "'Asia/Tokyo' instead.\nHint: connect with options='-c timezone=UTC', or run SET TIME "
        "ZONE 'UTC'."
    )
    with pytest.raises(InvalidInputError) as error:
        compute_kpis(traps.table("trap_events"), period="M", schema=schema)
    assert str(error.value) == message


def test_timestamptz_months_and_numeric_cents_in_a_utc_session(utc_traps):
    schema = EventSchema(customer_id="customer_ref", timestamp="event_time")
    monthly = compute_kpis(utc_traps.table("trap_events_utc"), period="M", schema=schema)
    # By hand: 0.10 in January, 0.20 in February (numeric cents, exact).
    assert [(row.period, row.revenue) for row in monthly.rows] == [
        (dt.date(2024, 1, 1), 0.10),
        (dt.date(2024, 2, 1), 0.20),
    ]


def test_empty_table_in_postgres_gives_the_pandas_answer(postgres):
    connection = postgres.connect()
    load_events(connection, "empty_events", TRAPS.iloc[:0], TRAP_TYPES)
    schema = EventSchema(customer_id="customer_ref", timestamp="event_time")
    session = session_on(connection)
    try:
        got = compute_kpis(session.table("empty_events"), period="M", schema=schema)
    finally:
        session.stop()
    assert got.rows == compute_kpis(TRAPS.iloc[:0], period="M", schema=schema).rows == ()


def test_upper_case_column_names_are_a_known_sqlframe_limitation(postgres):
    # SQLFrame lowercases the identifiers it quotes, so "CustomerRef" is asked for as
    # "customer_ref" and PostgreSQL (case-sensitive for quoted names) has no such column.
    # docs/warehouses.md says so; this test fails when SQLFrame changes (xfail is strict).
    connection = postgres.connect()
    load_events(
        connection,
        "upper_events",
        TRAPS.rename(columns={"customer_ref": "CustomerRef"}),
        {**TRAP_TYPES, "CustomerRef": "bigint"},
    )
    schema = EventSchema(customer_id="CustomerRef", timestamp="event_time")
    session = session_on(connection)
    try:
        with pytest.raises(Exception, match='column "customerref" does not exist'):
            compute_kpis(session.table("upper_events"), period="M", schema=schema)
    finally:
        session.stop()


# --- the other analyses ----------------------------------------------------------------------
def rows_of(native):
    """Rows of a result frame as plain dicts (SQLFrame: fetched rows; pandas: records)."""
    if isinstance(native, pd.DataFrame):
        return [{k: plain(v) for k, v in row.items()} for row in native.to_dict("records")]
    return [{k: plain(v) for k, v in row.asDict().items()} for row in native.collect()]


def same_rows(got, expected, fitted=frozenset()):
    """Same columns and rows in the same order: floats to 1e-9 relative, the rest exactly.

    Columns in ``fitted`` come from a maximum-likelihood fit: PostgreSQL sums the monetary
    values in another order than pandas (last-bit differences), and an optimiser stopping at
    its tolerance turns a 1e-15 change of the inputs into about 1e-8 in the estimates
    (measured on this data), so those columns are compared to 1e-6.
    """
    assert len(got) == len(expected)
    assert len(expected) > 0
    for a, b in zip(got, expected, strict=True):
        assert list(a) == list(b)
        for name in b:
            x, y = a[name], b[name]
            if isinstance(y, float) or isinstance(x, float):
                tolerance = 1e-6 if name in fitted else 1e-9
                assert math.isclose(float(x), float(y), rel_tol=tolerance), (name, x, y)
            else:
                assert x == y, (name, x, y)


def test_engagement_kpis_in_postgres_equal_pandas(pg_session, events):
    from retention_kpis.report import engagement_kpis  # noqa: PLC0415

    got = engagement_kpis(pg_session.table("events"), period="M")
    expected = engagement_kpis(events, period="M")
    assert isinstance(got, sqlframe_postgres.PostgresDataFrame)
    same_rows(rows_of(got), rows_of(expected))


def test_customer_table_and_rfm_in_postgres_equal_pandas(pg_session, events, clv_events):
    from retention_kpis.clv import customer_table, rfm_summary  # noqa: PLC0415

    got = customer_table(pg_session.table("clv_events"), observation_end=END)
    expected = customer_table(clv_events, observation_end=END)
    assert isinstance(got, sqlframe_postgres.PostgresDataFrame)
    key = "customer_id"
    same_rows(
        sorted(rows_of(got), key=lambda row: row[key]),
        sorted(rows_of(expected), key=lambda row: row[key]),
        fitted=frozenset(
            {"probability_alive", "expected_purchases", "expected_average_value", "clv"}
        ),
    )
    purchases = pg_session.table("events").filter("event_type = 'purchase'")
    options = {
        "customer_id": "customer_id",
        "timestamp": "timestamp",
        "monetary_value": "revenue",
        "observation_end": END,
    }
    got_rfm = rfm_summary(purchases, **options)
    expected_rfm = rfm_summary(events[events["event_type"] == "purchase"], **options)
    assert isinstance(got_rfm, sqlframe_postgres.PostgresDataFrame)
    same_rows(
        sorted(rows_of(got_rfm), key=lambda row: row[key]),
        sorted(rows_of(expected_rfm.reset_index()), key=lambda row: row[key])
        if key not in expected_rfm.columns
        else sorted(rows_of(expected_rfm), key=lambda row: row[key]),
    )


def test_revenue_retention_cart_and_attribution_in_postgres_equal_pandas(pg_session, events):
    from retention_kpis.attribution import attribute  # noqa: PLC0415
    from retention_kpis.cohorts import revenue_retention  # noqa: PLC0415
    from retention_kpis.funnels import cart_kpis  # noqa: PLC0415

    table = pg_session.table("events")
    for call in (
        lambda frame: revenue_retention(frame, observation_end=END),
        cart_kpis,
        lambda frame: attribute(frame, model="last_touch"),
    ):
        got, expected = call(table), call(events)
        got_frame, expected_frame = got.to_frame(), expected.to_frame()
        assert isinstance(got_frame, sqlframe_postgres.PostgresDataFrame)
        same_rows(rows_of(got_frame), rows_of(expected_frame))


def test_collect_fetches_postgres_rows_with_their_types(pg_session, events):
    from retention_kpis._core.frames import collect  # noqa: PLC0415

    lf = nw.from_native(pg_session.table("events"))
    got = collect(
        lf.select(
            nw.col("timestamp").max(),
            nw.col("revenue").sum(),
            nw.len(),
            nw.col("channel").max(),
        )
    )
    assert isinstance(got, nw.DataFrame)
    row = got.rows(named=True)[0]
    # The same aggregates by pandas on the loaded frame: a naive UTC datetime, the exact
    # numeric sum of the cents (as a Decimal from PostgreSQL), the row count, the text max.
    assert row["timestamp"] == events["timestamp"].max().to_pydatetime()
    assert math.isclose(float(row["revenue"]), events["revenue"].sum(), rel_tol=1e-12)
    assert row["len"] == len(events)
    assert row["channel"] == events["channel"].max()
