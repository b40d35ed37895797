"""What comes back from PostgreSQL to Python for cohorts, funnels and attribution (issue #19).

Two independent witnesses: PostgreSQL's own statistics (pg_stat_statements: rows each
statement returned) and a spy on SQLFrame's ``DataFrame.collect`` (rows and columns of every
fetch the library makes). cohort_retention, funnel and attribute return aggregated tables only:
funnels are grouped queries and joins per step, attribution paths are cut with window
functions and credited by one group-by in the database (docs/warehouses.md).
The expected row counts are counted with pandas on the loaded events.
"""

from __future__ import annotations

import datetime as dt

import pytest

from retention_kpis.attribution import attribute
from retention_kpis.cohorts import cohort_retention
from retention_kpis.datasets import make_events
from retention_kpis.funnels import funnel

from .conftest import PG_TYPES, load_events
from .test_postgres import sqlframe_postgres

END = dt.date(2025, 12, 31)


@pytest.fixture(scope="module")
def events():
    return make_events(40, seed=11)  # 4,073 events of 40 customers over two years


@pytest.fixture
def where(postgres, events, monkeypatch):
    """(SQLFrame table, spied fetches, function returning (statements, most rows returned))."""
    connection = postgres.connect()
    load_events(connection, "where_events", events, PG_TYPES)
    session = sqlframe_postgres.PostgresSession(conn=connection)
    fetched = []
    original = sqlframe_postgres.PostgresDataFrame.collect

    def spy(self, *args, **kwargs):
        rows = original(self, *args, **kwargs)
        fetched.append((len(rows), tuple(self.columns)))
        return rows

    monkeypatch.setattr(sqlframe_postgres.PostgresDataFrame, "collect", spy)
    stats = postgres.connect()
    stats.autocommit = True

    def reset():
        fetched.clear()
        with stats.cursor() as cur:
            cur.execute("SELECT pg_stat_statements_reset()")

    def statements():
        with stats.cursor() as cur:
            cur.execute(
                "SELECT count(*), coalesce(max(rows / calls), 0) FROM pg_stat_statements "
                "WHERE query NOT ILIKE '%pg_stat_statements%' AND calls > 0"
            )
            return cur.fetchone()

    yield session.table("where_events"), fetched, reset, statements
    session.stop()
    stats.close()


def test_cohort_retention_returns_only_aggregates(where, events):
    table, fetched, reset, statements = where
    reset()
    got = cohort_retention(table, cohort_event="signup", return_event="visit", observation_end=END)
    count, most_rows = statements()
    cells = len(got.cohorts) * len(got.offsets)  # 24 monthly cohorts x 24 offsets
    visits = int((events["event_type"] == "visit").sum())
    assert cells < visits / 4  # fetching the visit rows would break the bound below
    assert count > 0
    assert fetched, "the library fetched nothing through SQLFrame"
    # One row per (cohort, offset) cell at most, or per event type (the validation screen).
    assert most_rows <= cells
    assert max(rows for rows, _ in fetched) <= cells


def test_funnel_returns_only_aggregates(where, events):
    table, fetched, reset, statements = where
    reset()
    steps = ["cart_add", "checkout"]
    got = funnel(table, steps)
    _, most_rows = statements()
    # Step rows of customers: cart_add and checkout events with a customer id (pandas count).
    step_rows = int((events["event_type"].isin(steps) & events["customer_id"].notna()).sum())
    assert step_rows > 100  # 331 of 4,073 events: fetching them would break the bound below
    # The largest result is the validation screen: one row per event type (13 in the data);
    # the funnel itself comes back as one row per segment (here one segment).
    event_types = events["event_type"].nunique()
    assert len(got.rows) == len(steps)  # one segment: one row per step
    assert fetched, "the library fetched nothing through SQLFrame"
    assert most_rows <= event_types
    assert max(rows for rows, _ in fetched) <= event_types


def test_attribute_returns_only_aggregates(where, events):
    table, fetched, reset, statements = where
    reset()
    got = attribute(table, model="last_touch")
    _, most_rows = statements()
    # Touches are visits with a channel, conversions purchases; both need a customer id.
    has_customer = events["customer_id"].notna()
    touches = (events["event_type"] == "visit") & events["channel"].notna()
    conversions = events["event_type"] == "purchase"
    touch_rows = int(((touches | conversions) & has_customer).sum())
    assert touch_rows > 3_000  # 3,137 of 4,073 events: fetching them breaks the bounds below
    # Paths are cut and credited in the database; what comes back is one row per credited
    # channel and key of the model (tens of rows) or the validation screen (one per event type).
    channels = int(events.loc[touches, "channel"].nunique())
    assert len(got.credits) <= channels
    assert fetched, "the library fetched nothing through SQLFrame"
    assert most_rows < touch_rows / 10
    rows, columns = max(fetched)
    assert rows < touch_rows / 10
    assert "customer_id" not in columns
    assert "timestamp" not in columns
