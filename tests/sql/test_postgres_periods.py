"""The period index as PostgreSQL computes it for SQLFrame (``postgres_period_sql``).

On SQLFrame PostgreSQL sessions the period column is integer arithmetic on days since
1970 and ``DATE_TRUNC`` starts (see ``retention_kpis._core.calendar``), not the calendar
fields SQLFrame writes for ``dt.year()``. The reference here is PostgreSQL's own calendar:
``EXTRACT`` of the year, month and quarter, ISO weeks from Monday, days from the epoch in
seconds. Every day of the years 1 to 9999 is checked, at its first and last microsecond.
compute_kpis over every period against pandas is in test_postgres.py.
"""

from __future__ import annotations

import pytest

from retention_kpis._core.calendar import postgres_period_sql

pytest.importorskip("psycopg2", reason="pip install -e '.[sql]'")

# Every day of the years 1 to 9999, at 00:00 and at 23:59:59.999999 (7.3M timestamps).
DAYS = """
    SELECT d + t AS "__rk_timestamp"
    FROM generate_series(timestamp '0001-01-01', timestamp '9999-12-31', interval '1 day') d,
         (VALUES (interval '0'), (interval '23:59:59.999999')) times (t)
"""
# The period index of the module docstring of retention_kpis._core.calendar, from
# PostgreSQL's calendar fields; floor() keeps days before 1970 on the earlier day.
REFERENCE = {
    "D": """floor(extract(epoch FROM "__rk_timestamp") / 86400)""",
    "W": """floor((floor(extract(epoch FROM "__rk_timestamp") / 86400) + 3) / 7)""",
    "M": """extract(year FROM "__rk_timestamp") * 12 + extract(month FROM "__rk_timestamp") - 1""",
    "Q": """extract(year FROM "__rk_timestamp") * 4 + extract(quarter FROM "__rk_timestamp") - 1""",
    "Y": """extract(year FROM "__rk_timestamp")""",
}


@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_the_postgres_period_index_equals_the_calendar_on_every_day(postgres, period):
    with postgres.connect() as conn, conn.cursor() as cur:
        cur.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {postgres_period_sql(period)} "  # noqa: S608 - our own SQL
            f"IS DISTINCT FROM {REFERENCE[period]}), "
            f"min({postgres_period_sql(period)}), max({postgres_period_sql(period)}) "
            f"FROM ({DAYS}) days"
        )
        rows, wrong, first, last = cur.fetchone()
    assert rows == 2 * 3_652_059  # days from 0001-01-01 to 9999-12-31 (Python's date ordinals)
    assert wrong == 0
    # Hand-computed ends: day 1 is 719,162 days before 1970 (date(1970, 1, 1).toordinal() - 1).
    expected = {
        "D": (-719_162, 2_932_896),
        "W": (-102_737, 418_985),
        "M": (12 * 1 + 0, 12 * 9999 + 11),
        "Q": (4 * 1 + 0, 4 * 9999 + 3),
        "Y": (1, 9999),
    }
    assert (first, last) == expected[period]
