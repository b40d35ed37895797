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


CHUNK = 10_000  # customers per generated chunk: about 1.1M events, ~0.5 GB of pandas at most


def chunks(customers):
    """``make_events`` in chunks of customers (seeds 1, 2, ...), ids made distinct per chunk.

    Each chunk is a pyarrow table with the warehouse's column order: timestamps in whole
    seconds (written as text in the UTC session, so COPY reads them as UTC), nulls as nulls.
    """
    import pyarrow as pa  # noqa: PLC0415 - installed with the 'sql' extra

    orders = 0
    for number, first in enumerate(range(0, customers, CHUNK)):
        size = min(CHUNK, customers - first)
        events = make_events(size, seed=1 + number)
        events["customer_id"] += first  # ids 1..size -> first+1..first+size
        events["order_id"] += orders  # order ids 1, 2, ... continue from the last chunk's
        orders = int(events["order_id"].max())
        table = pa.Table.from_pandas(events, preserve_index=False)
        stamp = table.column("timestamp").cast(pa.timestamp("s"))
        yield table.set_column(table.schema.get_field_index("timestamp"), "timestamp", stamp)


def load(conn, customers):
    """Create the typed table and COPY the chunks into it as CSV (pyarrow's C++ writer).

    COPY ... FROM STDIN with FORMAT csv: an unquoted empty field is NULL, an empty text is
    written quoted ("") and stays an empty string. The table is created in the same
    transaction as the COPY, so PostgreSQL can skip most WAL for it (wal_level minimal).
    """
    import pyarrow.csv as pa_csv  # noqa: PLC0415 - installed with the 'sql' extra

    rows = 0
    options = pa_csv.WriteOptions(include_header=False, batch_size=65_536)
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS events")
        cur.execute(
            "CREATE TABLE events (" + ", ".join(f'"{k}" {v}' for k, v in TYPES.items()) + ")"
        )
        columns = ", ".join(f'"{k}"' for k in TYPES)
        for table in chunks(customers):
            buffer = io.BytesIO()
            pa_csv.write_csv(table.select(list(TYPES)), buffer, write_options=options)
            buffer.seek(0)
            cur.copy_expert(f"COPY events ({columns}) FROM STDIN WITH (FORMAT csv)", buffer)
            rows += table.num_rows
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
