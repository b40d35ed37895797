"""Engagement intervals computed in PostgreSQL through SQLFrame equal the pandas ones (issue #18).

``engagement_kpis(confidence=0.95)`` and ``compute_kpis(engagement=True, confidence=0.95)``
on a SQLFrame PostgreSQL table of a real server (tests/sql/conftest.py) against the same
functions on the pandas events. The reference is the pandas result (itself checked against
statsmodels and hand calculations in tests/report and tests/stats); integers and text must
be equal, floats equal to 1e-9 relative, nulls alike.

Before the fixes beside this test, the second one failed on main twice over: the interval
sums cast a boolean to bigint (PostgreSQL: "cannot cast type boolean to bigint"), and the
quarter index came back as a double from SQLFrame's floor division ("'float' object cannot
be interpreted as an integer"), so compute_kpis(period="Q") failed on PostgreSQL.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from retention_kpis import compute_kpis, engagement_kpis
from retention_kpis.datasets import make_events

from .conftest import PG_TYPES, REQUIRE, load_events

if REQUIRE:  # CI: a missing SQLFrame is a failure, not a skip
    import sqlframe.postgres as sqlframe_postgres
else:
    sqlframe_postgres = pytest.importorskip("sqlframe.postgres", reason="pip install -e '.[sql]'")

TABLE = "interval_events"


@pytest.fixture(scope="module")
def events():
    # ~4,000 events of 40 customers over two years, with referrals, emails, purchases,
    # channels and nulls in the optional columns.
    return make_events(40, seed=11)


@pytest.fixture(scope="module")
def loaded(postgres, events):
    connection = postgres.connect()
    load_events(connection, TABLE, events, PG_TYPES)
    connection.close()
    return postgres


@pytest.fixture
def pg_session(loaded):
    # SQLFrame keeps one session per process: each test stops its own (see test_postgres.py).
    connection = loaded.connect()
    session = sqlframe_postgres.PostgresSession(conn=connection)
    yield session
    session.stop()
    connection.close()


def _plain(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date()  # pandas has no date dtype: midnight timestamps
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, (str, bytes)) else value


def _rows(native):
    """Rows of a result frame as plain dicts (SQLFrame: fetched rows; pandas: records)."""
    if isinstance(native, pd.DataFrame):
        return [{k: _plain(v) for k, v in row.items()} for row in native.to_dict("records")]
    return [{k: _plain(v) for k, v in row.asDict().items()} for row in native.collect()]


def _same(got, expected):
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert list(a) == list(b)
        for name, y in b.items():
            x = a[name]
            if isinstance(y, float) or isinstance(x, float):
                assert isinstance(x, float), (name, x, y)
                assert isinstance(y, float), (name, x, y)
                assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (name, x, y)
            else:
                assert x == y, (name, x, y)


def _bounded(rows, kpi):
    return sum(row[f"{kpi}_low"] is not None for row in rows)


def test_engagement_kpis_with_intervals_in_postgres_equal_pandas(pg_session, events):
    got = engagement_kpis(pg_session.table(TABLE), period="M", confidence=0.95)
    assert isinstance(got, sqlframe_postgres.PostgresDataFrame)
    expected = _rows(engagement_kpis(events, period="M", confidence=0.95))
    # a real comparison: months with bounds of every kind
    for kpi in ("email_open_rate", "referral_rate", "pareto_share", "referred_customer_share"):
        assert _bounded(expected, kpi) > 5, kpi
    _same(_rows(got), expected)


def test_compute_kpis_with_engagement_intervals_in_postgres_equals_pandas(pg_session, events):
    options = {"period": "Q", "by": ["channel"], "engagement": True, "confidence": 0.95}
    got = compute_kpis(pg_session.table(TABLE), **options)
    expected = compute_kpis(events, **options)
    assert len(expected.rows) > 20
    bounded = [r for r in expected.rows if not math.isnan(r.email_open_rate_low)]
    assert len(bounded) > 5
    assert len(got.rows) == len(expected.rows)
    for a, b in zip(got.rows, expected.rows, strict=True):
        x, y = a.model_dump(), b.model_dump()
        assert list(x) == list(y)
        for name, value in y.items():
            if name == "interval_inputs":
                assert set(x[name]) == set(value), name
                for kpi, sums in value.items():
                    assert x[name][kpi] == pytest.approx(sums, rel=1e-9), kpi
            elif isinstance(value, float):
                other = x[name]
                assert isinstance(other, float), (name, other, value)
                assert (math.isnan(other) and math.isnan(value)) or math.isclose(
                    other, value, rel_tol=1e-9, abs_tol=1e-12
                ), (name, other, value)
            else:
                assert x[name] == value, (name, x[name], value)
