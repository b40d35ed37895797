"""compute_kpis in PostgreSQL through SQLFrame, beside hand-written SQL on the same server.

Data: ``make_events`` for ``--customers`` customers (about 117 events per customer, two
years), loaded in a child process by COPY with warehouse types (bigint, timestamptz,
numeric(18, 2), text, double precision), then ``VACUUM ANALYZE`` (so that neither side pays
for the first reads' hint-bit writes). The server is the one at ``--url``, or without it a
throwaway one this script starts from Debian's binaries as tests/sql/conftest.py does
(``initdb``, ``pg_ctl``; fsync off, ``pg_stat_statements``, time zone UTC; default memory
settings) and stops at the end.

Then ``--repeat`` rounds, alternating which side goes first, in this process:

* ours: ``compute_kpis(session.table("events"), period="M")`` on a SQLFrame PostgreSQL
  session (UTC): validation, then aggregation in the database; only aggregates come back;
* hand-written SQL: three statements computing every input of the same report's KPIs per
  month (visitors and converted visitors; active, new and retained customers; orders,
  revenue, spend and the CSAT and NPS answer counts), without a validation pass. Before
  timing, every KPI of the report (visitors, conversion_rate, orders, revenue, spend,
  new_customers, cpa, cac, roas, aov, purchase_frequency, csat, nps, active_customers,
  retention_rate, churn_rate) is checked equal to the same KPI computed from the
  hand-written counts (counts exactly, money and rates to 1e-9).

Reported: best and median wall times and their ratio; then one more call of each side with
``pg_stat_statements`` reset, giving each statement's time in the database: the rest of our
call is Python (narwhals and SQLFrame building the SQL, the driver fetching rows). Also the
load average (``/proc/loadavg``) at the start and the end, and the peak resident memory of
this process (``ru_maxrss``; the loader runs in a child, so it is not counted) after the
first call and after all of them: flat in the number of events when only aggregates come
back. The machine is shared: both sides share the noise of one run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import multiprocessing
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

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

MONTH = """date_trunc('month', "timestamp" AT TIME ZONE 'UTC')::date"""
HAND_SQL = {
    # visitors, and visitors who also purchased, per month (per month and customer first)
    "customers": f"""
        WITH per_customer AS (
            SELECT {MONTH} AS period, customer_id,
                   bool_or(event_type = 'visit') AS visited,
                   bool_or(event_type = 'purchase') AS bought
            FROM events WHERE event_type IN ('visit', 'purchase') GROUP BY 1, 2)
        SELECT period, count(*) FILTER (WHERE visited) AS visitors,
               count(*) FILTER (WHERE visited AND bought) AS converted
        FROM per_customer GROUP BY 1""",
    # active customers, new ones (first purchase ever in the month), retained ones (they
    # also purchased in the calendar-previous month)
    "purchasers": f"""
        WITH p AS (
            SELECT customer_id, {MONTH} AS period, min("timestamp") AS first_in_period
            FROM events WHERE event_type = 'purchase' AND customer_id IS NOT NULL GROUP BY 1, 2),
        f AS (
            SELECT *, min(first_in_period) OVER (PARTITION BY customer_id) AS first_ever,
                   lag(period) OVER (PARTITION BY customer_id ORDER BY period) AS previous
            FROM p)
        SELECT period, count(*) AS active_customers,
               count(*) FILTER (WHERE first_in_period = first_ever) AS new_customers,
               count(*) FILTER (WHERE previous = (period - interval '1 month')::date) AS retained
        FROM f GROUP BY 1""",
    # orders (distinct order ids, a purchase without one is its own order), revenue, spend
    # and the survey answers (CSAT 4-5 of 1-5 satisfied; NPS promoters 9-10, detractors 0-6)
    "money": f"""
        SELECT {MONTH} AS period,
               count(DISTINCT order_id) FILTER (WHERE event_type = 'purchase')
                 + count(*) FILTER (WHERE event_type = 'purchase' AND order_id IS NULL) AS orders,
               sum(revenue) FILTER (WHERE event_type = 'purchase')::double precision AS revenue,
               sum(cost) FILTER (WHERE event_type = 'spend')::double precision AS spend,
               count(*) FILTER (WHERE event_type = 'spend') AS spend_rows,
               count(score) FILTER (WHERE event_type = 'csat_response') AS csat_answers,
               count(*) FILTER (WHERE event_type = 'csat_response' AND score >= 4) AS satisfied,
               count(score) FILTER (WHERE event_type = 'nps_response') AS nps_answers,
               count(*) FILTER (WHERE event_type = 'nps_response' AND score >= 9) AS promoters,
               count(*) FILTER (WHERE event_type = 'nps_response' AND score <= 6) AS detractors
        FROM events
        WHERE event_type IN ('purchase', 'spend', 'csat_response', 'nps_response')
        GROUP BY 1""",
}


CHUNK = 10_000  # customers per generated chunk: about 1.2M events, ~0.5 GB of pandas at most


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


def load(url, customers):
    """Create the typed table, COPY the chunks into it as CSV, then VACUUM ANALYZE it.

    COPY ... FROM STDIN with FORMAT csv: an unquoted empty field is NULL, an empty text is
    written quoted ("") and stays an empty string. The table is created in the same
    transaction as the COPY, so PostgreSQL can skip most WAL for it (wal_level minimal).
    Runs in a child process: the pandas chunks do not count in the timed process's memory.
    """
    import pyarrow.csv as pa_csv  # noqa: PLC0415 - installed with the 'sql' extra

    start = time.perf_counter()
    rows = 0
    options = pa_csv.WriteOptions(include_header=False, batch_size=65_536)
    conn = psycopg2.connect(url, options="-c timezone=UTC")
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
    conn.commit()
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("VACUUM ANALYZE events")
        cur.execute("SELECT pg_size_pretty(pg_table_size('events'))")
        size = cur.fetchone()[0]
    conn.close()
    took = time.perf_counter() - start
    print(f"loaded {rows:,} events ({customers:,} customers, {size}) in {took:.1f} s", flush=True)


@contextlib.contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a PostgreSQL server from Debian's binaries in a temporary folder; yield its URL."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        msg = "no PostgreSQL binaries: apt-get install postgresql, or pass --url"
        raise SystemExit(msg)
    bin_dir = found[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="rk-bench-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        import pwd  # noqa: PLC0415 - POSIX only

        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    def run(*args):
        command = [*prefix, str(bin_dir / args[0]), *args[1:]]
        subprocess.run(command, check=True, capture_output=True, cwd=folder)

    data = folder / "data"
    run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c shared_preload_libraries=pg_stat_statements -c timezone=UTC"
    )
    run("pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o", options, "start")
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    try:
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.close()
        yield url
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def hand_written(conn):
    """Run the three hand-written statements; return ``{month: {count: value}}``."""
    table: dict = {}
    with conn.cursor() as cur:
        for sql in HAND_SQL.values():
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            for row in cur.fetchall():
                table.setdefault(row[0], {}).update(dict(zip(names[1:], row[1:], strict=True)))
    return table


def _ratio(a, b):
    return a / b if b else math.nan


def hand_kpis(hand):
    """Every KPI of the report per month, from the hand-written counts (docs/metrics.md)."""
    kpis = {}
    months = sorted(hand)
    for index, month in enumerate(months):
        row = {name: hand[month].get(name) or 0 for name in hand[month]}
        get = row.get
        previous = hand[months[index - 1]] if index else {}
        calendar_previous = index and (months[index - 1].month % 12 + 1 == month.month)
        start = previous.get("active_customers", 0) if calendar_previous else 0
        spend = get("spend", 0.0) if get("spend_rows", 0) else math.nan
        retention = _ratio(get("retained", 0), start)
        kpis[month] = {
            "visitors": get("visitors", 0),
            "conversion_rate": _ratio(get("converted", 0), get("visitors", 0)),
            "orders": get("orders", 0),
            "revenue": get("revenue", 0.0),
            "spend": spend,
            "new_customers": get("new_customers", 0),
            "cpa": _ratio(spend, get("orders", 0)),
            "cac": _ratio(spend, get("new_customers", 0)),
            "roas": _ratio(get("revenue", 0.0), spend),
            "aov": _ratio(get("revenue", 0.0), get("orders", 0)),
            "purchase_frequency": _ratio(get("orders", 0), get("active_customers", 0)),
            "csat": _ratio(get("satisfied", 0), get("csat_answers", 0)),
            "nps": 100 * _ratio(get("promoters", 0) - get("detractors", 0), get("nps_answers", 0)),
            "active_customers": get("active_customers", 0),
            "retention_rate": retention,
            "churn_rate": 1 - retention,
        }
    return kpis


def check_equal(report, hand):
    """Every KPI of every month of the report equals the hand-written SQL's."""
    expected = hand_kpis(hand)
    assert sorted(expected) == [row.period for row in report.rows], "months differ"
    for row in report.rows:
        for name, want in expected[row.period].items():
            got = getattr(row, name)
            if isinstance(want, float) and math.isnan(want):
                assert got is None or math.isnan(got), (row.period, name, got, want)
            elif isinstance(want, int):
                assert got == want, (row.period, name, got, want)
            else:
                assert math.isclose(got, want, rel_tol=1e-9), (row.period, name, got, want)
    return len(report.rows), len(expected[report.rows[0].period])


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def statement_times(conn, run):
    """Run ``run()`` once with pg_stat_statements reset: its wall time and per-statement times."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_stat_statements_reset()")
    start = time.perf_counter()
    run()
    wall = time.perf_counter() - start
    with conn.cursor() as cur:
        cur.execute(
            "SELECT calls, total_exec_time / 1000, rows, query FROM pg_stat_statements "
            "WHERE query NOT ILIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC"
        )
        return wall, cur.fetchall()


def _label(query):
    """A short name for a statement of ours (the columns it computes tell which it is)."""
    for marker, name in (
        ('"_converted"', "customers (visitors, converted)"),
        ('"_first_all"', "purchasers (active, new, retained)"),
        ('"order_ids"', "money and surveys"),
        ('"_score_fraction"', "validation screen"),
        ('"_lowest"', "order-id check"),
        ("per_customer", "hand: customers"),
        ("first_ever", "hand: purchasers"),
        ("promoters", "hand: money and surveys"),
    ):
        if marker in query:
            return name
    return " ".join(query.split())[:60]


def report_statements(title, wall, statements):
    database = sum(row[1] for row in statements)
    print(
        f"{title}: {wall:.2f} s wall, {database:.2f} s in the database "
        f"({len(statements)} distinct statements, {sum(r[0] for r in statements)} calls), "
        f"{wall - database:.2f} s elsewhere (Python, driver, round trips)"
    )
    for calls, seconds, rows, query in statements:
        if seconds >= 0.005:
            print(f"    {seconds:7.3f} s  {rows:>6} rows  {calls} x  {_label(query)}")


def bench(url, args):
    conn = psycopg2.connect(url, options="-c timezone=UTC")
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), pg_size_pretty(pg_table_size('events')) FROM events")
        rows, size = cur.fetchone()
        cur.execute("SELECT version()")
        version = cur.fetchone()[0].split(" on ")[0]
    print(f"table events: {rows:,} rows, {size}; {version}; load average {load_average()}")
    session = PostgresSession(conn=conn)

    def ours():
        return compute_kpis(session.table("events"), period="M")

    report = ours()
    rss_first = peak_mib()
    months, kpis = check_equal(report, hand_written(conn))
    print(f"checked: {months} months x {kpis} KPIs equal (report vs hand-written SQL)")

    times = {"compute_kpis": [], "hand-written SQL": []}
    sides = [("compute_kpis", ours), ("hand-written SQL", lambda: hand_written(conn))]
    for round_ in range(args.repeat):
        for name, run in sides if round_ % 2 == 0 else sides[::-1]:
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    rss_after = peak_mib()
    ours_s, sql_s = times["compute_kpis"], times["hand-written SQL"]
    print(
        f"compute_kpis best {min(ours_s):.2f} s (median {statistics.median(ours_s):.2f}), "
        f"hand-written SQL best {min(sql_s):.2f} s (median {statistics.median(sql_s):.2f}): "
        f"ratio {min(ours_s) / min(sql_s):.2f}x best, "
        f"{statistics.median(ours_s) / statistics.median(sql_s):.2f}x median "
        f"({args.repeat} alternating rounds)"
    )
    # Each round's two runs are next to each other in time: their ratio shares that round's
    # load, which the best and median of each side taken apart do not.
    paired = [ours_t / sql_t for ours_t, sql_t in zip(ours_s, sql_s, strict=True)]
    print(
        "ratio within each round: "
        + ", ".join(f"{ratio:.2f}x" for ratio in paired)
        + f"; median {statistics.median(paired):.2f}x"
    )
    print(
        f"peak RSS of this process: {rss_first:.0f} MiB after the first compute_kpis, "
        f"{rss_after:.0f} MiB after all the runs"
    )
    try:
        report_statements("compute_kpis", *statement_times(conn, ours))
        report_statements("hand-written SQL", *statement_times(conn, lambda: hand_written(conn)))
    except psycopg2.Error as exc:  # pg_stat_statements not loaded on this server
        conn.rollback()
        print(f"no per-statement times: {exc}".strip())
    print(f"load average at the end: {load_average()}")
    session.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="postgresql://user@host:port/db (default: start a server)")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-load", action="store_true", help="reuse the table events")
    args = parser.parse_args()
    # Stopped by a signal, still stop the server this script started (its `finally`).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"load average at the start: {load_average()}")
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(throwaway_server())
        if not args.no_load:
            child = multiprocessing.get_context("spawn").Process(
                target=load, args=(url, args.customers)
            )
            child.start()
            child.join()
            if child.exitcode:
                raise SystemExit(child.exitcode)
        bench(url, args)


if __name__ == "__main__":
    main()
