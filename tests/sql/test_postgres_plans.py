"""What PostgreSQL plans for the library's SQL (issue #19's speed): filters it can estimate.

SQLFrame writes narwhals' ``is_in`` as ``CASE WHEN x IS NULL THEN NULL ELSE x IN (...) END``,
whose selectivity PostgreSQL cannot estimate from its statistics; on 10.2M events it planned
5.1M rows for a filter keeping 0.3M, and the inflated cost switched on JIT inlining and
optimisation (1.2 s of CPU in a 1.6 s query). ``one_of`` (equalities joined by OR), which the
report's engine tables use for event types, is estimated from the column's statistics.
"""

from __future__ import annotations

import json

import narwhals.stable.v2 as nw
import pytest

from retention_kpis._core.frames import one_of

from .test_postgres import sqlframe_postgres

# 1,000 events: 10 purchases, 10 spend rows, 980 visits (counted by hand from the VALUES).
ROWS = 1_000
KEPT = 20


@pytest.fixture
def planned(postgres):
    """A function returning PostgreSQL's planned row count of a filter on ``plan_events``."""
    connection = postgres.connect()
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS plan_events")
        cur.execute(
            "CREATE TABLE plan_events AS SELECT CASE WHEN i <= 10 THEN 'purchase' "
            "WHEN i <= 20 THEN 'spend' ELSE 'visit' END AS event_type "
            "FROM generate_series(1, 1000) i"
        )
        cur.execute("ANALYZE plan_events")
    connection.commit()
    session = sqlframe_postgres.PostgresSession(conn=connection)

    def rows(condition: nw.Expr) -> tuple[int, int]:
        frame = nw.from_native(session.table("plan_events")).filter(condition)
        sql = frame.to_native().sql(dialect="postgres", optimize=False, pretty=False)
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cur.fetchone()[0]
            cur.execute(f"SELECT count(*) FROM ({sql}) kept")  # noqa: S608 - SQLFrame's SQL
            kept = cur.fetchone()[0]
        if isinstance(plan, str):  # pragma: no cover - psycopg2 decodes json columns
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"]), int(kept)

    yield rows
    session.stop()


def test_event_type_filters_are_estimated_from_the_statistics(planned):
    estimate, kept = planned(one_of("event_type", ["purchase", "spend"]))
    assert kept == KEPT
    assert estimate <= 2 * KEPT  # PostgreSQL's most-common-values statistics: 20 of 1,000
    # What the engine tables used before: the same rows, planned as half the table.
    estimate, kept = planned(nw.col("event_type").is_in(["purchase", "spend"]))
    assert kept == KEPT
    assert estimate >= ROWS // 4
