"""compute_kpis in PostgreSQL through SQLFrame, beside hand-written SQL on the same server.

Data: ``make_events(N)`` (about 100 events per customer, two years; ``--customers``), loaded
with warehouse types (bigint, timestamptz, numeric(18, 2), text, double precision) by COPY
into a table of the server at ``--url`` (a throwaway server: see tests/sql/conftest.py for how
the tests start one from Debian's binaries). Then, each ``--repeat`` times, in this process:

* ``compute_kpis(session.table("events"), period="M")`` on a SQLFrame PostgreSQL session
  (UTC); every query runs in PostgreSQL, only aggregates come back;
* hand-written SQL computing the same columns (visitors, orders, revenue, new and active
  customers): three statements like the library's three aggregation queries, without its
  validation pass; checked equal to the report before timing.

Reported: best-of wall times, their ratio, the number of statements the library ran
(pg_stat_statements when loaded) and the peak resident memory of this Python process
(``ru_maxrss``) before and after the library's runs: flat in the number of events when only
aggregates come back. The machine is shared, so both sides share the noise of one run.
"""

from __future__ import annotations

import argparse
import io
import resource
import time

import psycopg2
from sqlframe.postgres import PostgresSession

from retention_kpis import compute_kpis
from retention_kpis.datasets import make_events

TYPES = {
    "customer_id": "bigint",
    "timestamp": "timestamptz",
    "event_type": "text",
    "revenue": "numeric(18, 2)",
    "cost": "numeric(18, 2)",
    "channel": "text",
    "campaign": "text",
    "score": "double precision",
    "order_id": "bigint",
}

HAND_SQL = [
    # visitors per month
    """SELECT date_trunc('month', "timestamp" AT TIME ZONE 'UTC')::date AS period,
              count(DISTINCT customer_id) AS visitors
       FROM events WHERE event_type = 'visit' GROUP BY 1""",
    # active (purchasing) and new customers per month
    """WITH p AS (SELECT customer_id, date_trunc('month', "timestamp" AT TIME ZONE 'UTC')::date AS period,
                         min("timestamp") AS first_in_period
                  FROM events WHERE event_type = 'purchase' AND customer_id IS NOT NULL GROUP BY 1, 2),
            f AS (SELECT *, min(first_in_period) OVER (PARTITION BY customer_id) AS first_ever FROM p)
       SELECT period, count(*) AS active_customers,
              sum(CASE WHEN first_in_period = first_ever THEN 1 ELSE 0 END) AS new_customers
       FROM f GROUP BY 1""",
    # orders (distinct order ids, a purchase without one is its own order) and revenue
    """SELECT date_trunc('month', "timestamp" AT TIME ZONE 'UTC')::date AS period,
              count(DISTINCT order_id) + count(*) FILTER (WHERE order_id IS NULL) AS orders,
              sum(revenue)::double precision AS revenue
       FROM events WHERE event_type = 'purchase' GROUP BY 1""",
]


def load(conn, customers):
    events = make_events(customers, seed=1)
    frame = events.copy()
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S+00")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    rows = len(frame)
    del frame, events
    buffer.seek(0)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS events")
        cur.execute(
            "CREATE TABLE events (" + ", ".join(f'"{k}" {v}' for k, v in TYPES.items()) + ")"
        )
        cur.copy_expert("COPY events FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
        cur.execute("ANALYZE events")
    conn.commit()
    return rows


def hand_written(conn):
    table: dict = {}
    with conn.cursor() as cur:
        for sql in HAND_SQL:
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                table.setdefault(row[0], {}).update(dict(zip(names[1:], row[1:], strict=True)))
    return table


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="postgresql://user@host:port/db")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-load", action="store_true", help="reuse the loaded table (peak RSS without loading)"
    )
    args = parser.parse_args()
    conn = psycopg2.connect(args.url, options="-c timezone=UTC")
    if not args.no_load:
        start = time.perf_counter()
        rows = load(conn, args.customers)
        took = time.perf_counter() - start
        print(f"loaded {rows:,} events ({args.customers:,} customers) in {took:.1f} s")
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM events")
        print(f"table events: {cur.fetchone()[0]:,} rows")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    session = PostgresSession(conn=conn)

    report = compute_kpis(session.table("events"), period="M")
    hand = hand_written(conn)
    for row in report.rows:
        mine = hand[row.period]
        assert row.visitors == mine.get("visitors", 0), (row.period, row.visitors, mine)
        assert row.orders == mine.get("orders", 0), (row.period, row.orders, mine)
        assert row.active_customers == mine.get("active_customers", 0)
        assert row.new_customers == mine.get("new_customers", 0)
        if "revenue" in mine:
            assert abs(row.revenue - mine["revenue"]) <= 1e-9 * abs(mine["revenue"])
    print(f"checked: {len(report.rows)} months equal (visitors, orders, revenue, new, active)")

    lib, sql = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        compute_kpis(session.table("events"), period="M")
        lib.append(time.perf_counter() - t)
        t = time.perf_counter()
        hand_written(conn)
        sql.append(time.perf_counter() - t)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    statements = None
    with conn.cursor() as cur:
        try:
            cur.execute("SELECT pg_stat_statements_reset()")
            compute_kpis(session.table("events"), period="M")
            cur.execute(
                "SELECT sum(calls) FROM pg_stat_statements WHERE query NOT ILIKE '%pg_stat%'"
            )
            statements = cur.fetchone()[0]
        except psycopg2.Error:
            conn.rollback()
    print(
        f"compute_kpis best {min(lib):.2f} s, hand-written SQL best {min(sql):.2f} s, "
        f"ratio {min(lib) / min(sql):.2f}x; statements per compute_kpis: {statements}; "
        f"peak RSS {rss_before:.0f} MiB before the runs, {rss_after:.0f} MiB after them"
    )


if __name__ == "__main__":
    main()
