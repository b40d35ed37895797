"""Funnels and cohort tables on pandas, polars and DuckDB, against hand-written queries.

Data: ``make_events(n, seed=1)`` with n = 840, 8,400 and 84,000 customers (about 0.1M, 1.0M
and 10.0M events); ``--quick`` stops at 1M. Jobs, each on pandas, a polars DataFrame and a
table of an in-memory DuckDB database (conversions before timing):

* ``funnel(events, ["visit", "cart_add", "checkout", "purchase"], within="7D")``;
* ``cohort_retention(events)`` (monthly purchase cohorts, "on" retention);
* ``revenue_retention(events)`` (monthly).

References, checked equal to our numbers inside the benchmark before anything is timed
(counts exactly, medians exactly, revenue to 1e-9 relative): the same numbers hand-written
in polars (a group-by and one join per funnel step; one group-by on (cohort, offset)) and in
DuckDB SQL (the same plan as CTEs). No input validation in the references. Our polars and
pandas rows are compared with the polars reference, our DuckDB row with the SQL.

Each (size, job, backend or reference) runs in a fresh interpreter: the peak resident
memory rise of its first call (``peak_rss_increase_mb``: the process high-water mark reset
before the call; a process that ran other calls before reuses freed memory and shows
none) beside the input frame's size; then the best of 3 calls (1 at 10M: the measured
first call), our modules imported before it. Our result is checked against the reference in the same process, after timing. retentioneering's funnel (``Eventstream.funnel_data``, no window,
strictly later steps: other semantics, so time only) runs on the same events in its own
environment (``RETENTIONEERING_PYTHON``, default ``/work/venvs/rete/bin/python``) when there.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import Result, peak_rss_increase_mb

STEPS = ["visit", "cart_add", "checkout", "purchase"]
SIZES = [840, 8_400, 84_000]
JOBS = ["funnel", "cohort_retention", "revenue_retention"]
BACKENDS = ["pandas", "polars", "duckdb"]
HERE = Path(__file__).resolve().parent
RETE = Path(os.environ.get("RETENTIONEERING_PYTHON", "/work/venvs/rete/bin/python"))


# --- hand-written polars ------------------------------------------------------------------------
def polars_funnel(df: Any) -> tuple[list[int], list[float | None]]:
    """Entrants per step and median seconds from the previous step: a join per step."""
    import polars as pl  # noqa: PLC0415 - optional backend

    t = pl.col("timestamp")
    lf = df.lazy()
    first = lf.filter(pl.col("event_type") == STEPS[0]).group_by("customer_id").agg(t.min())
    current = first.select("customer_id", prev=t, start=t)
    parts = [first.select(pl.len().alias("n"), pl.lit(None, pl.Float64).alias("median"))]
    for step in STEPS[1:]:
        hit = (
            lf.filter(pl.col("event_type") == step)
            .select("customer_id", "timestamp")
            .join(current, on="customer_id")
            .filter((t >= pl.col("prev")) & (t <= pl.col("start") + pl.duration(days=7)))
            .group_by("customer_id")
            .agg(t.min(), pl.col("prev").first(), pl.col("start").first())
        )
        gap = (t - pl.col("prev")).dt.total_microseconds()
        parts.append(hit.select(pl.len().alias("n"), gap.median().alias("median")))
        current = hit.select("customer_id", prev=t, start="start")
    rows = pl.concat(parts).collect().rows()
    return [int(n) for n, _ in rows], [None if m is None else m / 1e6 for _, m in rows]


def polars_cohorts(df: Any, *, revenue: bool) -> dict[tuple[int, int], float]:
    """``(cohort month index, offset) -> customers`` (or revenue): one group-by."""
    import polars as pl  # noqa: PLC0415 - optional backend

    month = pl.col("timestamp").dt.year().cast(pl.Int64) * 12 + pl.col("timestamp").dt.month() - 1
    buys = (
        df.lazy()
        .filter(pl.col("event_type") == "purchase")
        .select("customer_id", "revenue", month.alias("idx"))
    )
    first = buys.group_by("customer_id").agg(pl.col("idx").min().alias("cohort"))
    cells = buys.join(first, on="customer_id").with_columns(offset=pl.col("idx") - pl.col("cohort"))
    value = pl.col("revenue").sum() if revenue else pl.col("customer_id").n_unique()
    table = cells.group_by("cohort", "offset").agg(value.alias("v")).collect()
    return {(c, k): float(v) for c, k, v in table.rows()}


# --- hand-written DuckDB SQL --------------------------------------------------------------------
def _funnel_sql() -> str:
    ctes = [
        (
            "s0 AS (SELECT customer_id, min(timestamp) AS r, min(timestamp) AS start, "
            f"NULL::TIMESTAMP AS prev FROM events WHERE event_type = '{STEPS[0]}' GROUP BY ALL)"
        )
    ]
    for k, step in enumerate(STEPS[1:], start=1):
        ctes.append(
            f"s{k} AS (SELECT e.customer_id, min(e.timestamp) AS r, any_value(p.start) AS start, "
            f"any_value(p.r) AS prev FROM events e JOIN s{k - 1} p USING (customer_id) "
            f"WHERE e.event_type = '{step}' AND e.timestamp >= p.r "
            f"AND e.timestamp <= p.start + INTERVAL 7 DAY GROUP BY e.customer_id)"
        )
    parts = [
        f"SELECT {k} AS k, count(*) AS n, median(epoch_us(r) - epoch_us(prev)) AS m FROM s{k}"
        for k in range(len(STEPS))
    ]
    return f"WITH {', '.join(ctes)} {' UNION ALL '.join(parts)} ORDER BY k"


def duckdb_funnel(relation: Any) -> tuple[list[int], list[float | None]]:
    rows = relation.query("events", _funnel_sql()).fetchall()
    return [int(n) for _, n, _ in rows], [None if m is None else m / 1e6 for _, _, m in rows]


def duckdb_cohorts(relation: Any, *, revenue: bool) -> dict[tuple[int, int], float]:
    value = "sum(revenue)" if revenue else "count(DISTINCT customer_id)"
    sql = f"""
        WITH p AS (SELECT customer_id, revenue, year(timestamp) * 12 + month(timestamp) - 1 AS idx
                   FROM events WHERE event_type = 'purchase'),
             f AS (SELECT customer_id, min(idx) AS cohort FROM p GROUP BY ALL)
        SELECT cohort, idx - cohort AS k, {value} AS v FROM p JOIN f USING (customer_id)
        GROUP BY ALL"""
    return {(c, k): float(v) for c, k, v in relation.query("events", sql).fetchall()}


# --- ours ---------------------------------------------------------------------------------------
def ours(job: str, native: Any) -> Any:
    from retention_kpis.cohorts import cohort_retention, revenue_retention  # noqa: PLC0415
    from retention_kpis.funnels import funnel  # noqa: PLC0415

    if job == "funnel":
        return funnel(native, STEPS, within="7D")
    if job == "cohort_retention":
        return cohort_retention(native)
    return revenue_retention(native)


def _same(ours_result: Any, reference: Any, job: str, what: str) -> None:
    """Raise unless our result holds the reference's numbers."""
    if job == "funnel":
        got = (
            [r.entrants for r in ours_result.rows],
            [r.median_seconds_from_previous for r in ours_result.rows],
        )
        ok = got == (reference[0], reference[1])
    else:
        ok = True
        cells = ours_result.counts if job == "cohort_retention" else ours_result.revenue
        for date, size, row in zip(
            ours_result.cohorts, ours_result.cohort_sizes, cells, strict=True
        ):
            cohort = date.year * 12 + date.month - 1
            ok &= job != "cohort_retention" or reference.get((cohort, 0)) == size
            for k, value in enumerate(row):
                if value is not None and (job == "revenue_retention" or k > 0):
                    ok &= math.isclose(value, reference.get((cohort, k), 0.0), rel_tol=1e-9)
        got = cells
    if not ok:
        msg = f"{job}: ours differs from the {what} version: {got} vs {reference}"
        raise AssertionError(msg)


def _native(path: str, kind: str) -> tuple[Any, float]:
    """The events as one backend's native frame, and that frame's size in MiB."""
    import pyarrow.parquet as pq  # noqa: PLC0415 - optional backend

    if kind == "pandas":
        import pandas as pd  # noqa: PLC0415

        events = pd.read_parquet(path)
        return events, events.memory_usage(deep=True).sum() / 2**20
    table = pq.read_table(path)
    if kind == "polars":
        import polars as pl  # noqa: PLC0415 - optional backend

        frame = pl.from_arrow(table)
        return frame, frame.estimated_size() / 2**20
    import duckdb  # noqa: PLC0415 - optional backend

    con = duckdb.connect()
    con.register("arrow_events", table)
    con.execute("CREATE TABLE events AS SELECT * FROM arrow_events")
    con.unregister("arrow_events")
    return con.table("events"), table.nbytes / 2**20  # the Arrow table it was copied from


def _reference(job: str, hand: str, native: Any) -> Any:
    if job == "funnel":
        return polars_funnel(native) if hand == "polars" else duckdb_funnel(native)
    revenue = job == "revenue_retention"
    if hand == "polars":
        return polars_cohorts(native, revenue=revenue)
    return duckdb_cohorts(native, revenue=revenue)


def _measure(func: Any, repeat: int) -> tuple[float, float]:
    """Peak RSS rise of the first call (MiB) and the best wall time of ``repeat`` calls."""
    times: list[float] = []

    def timed() -> None:
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)

    peak = peak_rss_increase_mb(timed)
    for _ in range(repeat - 1):
        timed()
    return peak, min(times)


def child(n_customers: int, path: str, job: str, target: str) -> None:
    """Time one job on one backend (or a reference) in this fresh process; print JSON.

    Ours is then checked against the hand-written version on the same data (polars for
    pandas and polars, the SQL for DuckDB), after the timed calls.
    """
    hand = target.removeprefix("hand-")
    kind = "duckdb" if hand == "sql" else hand
    native, size = _native(path, kind)
    # Import our modules before the timed call: at 10M the one timed call included about
    # 0.27 s of importing retention_kpis (the references' imports happen in _native).
    for module in ("retention_kpis.cohorts", "retention_kpis.funnels"):
        importlib.import_module(module)
    repeat = 1 if n_customers >= 50_000 else 3
    if target.startswith("hand-"):
        peak, seconds = _measure(lambda: _reference(job, hand, native), repeat)
    else:
        peak, seconds = _measure(lambda: ours(job, native), repeat)
        hand = "sql" if target == "duckdb" else "polars"
        reference_native = native if target != "pandas" else _native(path, "polars")[0]
        _same(ours(job, native), _reference(job, hand, reference_native), job, hand)
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak, "input_mib": size}))


def _retentioneering(path: Path) -> dict[str, Any] | None:
    if not RETE.exists():
        print(f"  retentioneering skipped: no interpreter at {RETE}", flush=True)
        return None
    command = [str(RETE), str(HERE / "_retentioneering_funnel.py"), str(path), *STEPS]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(*, quick: bool = False) -> list[Result]:
    from retention_kpis.datasets import make_events  # noqa: PLC0415

    results: list[Result] = []
    previous: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n_customers in SIZES:
            if quick and n_customers > 10_000:
                break
            events = make_events(n_customers, seed=1)
            label = f"{len(events) / 1e6:.2f}M events"
            path = Path(tmp) / f"events_{n_customers}.parquet"
            events.to_parquet(path)
            del events
            measured: dict[str, dict[str, float]] = {}
            for job in JOBS:
                for target in [*BACKENDS, "hand-polars", "hand-sql"]:
                    command = [sys.executable, __file__, str(n_customers), str(path), job, target]
                    done = subprocess.run(command, check=True, capture_output=True, text=True)
                    measured[f"{job}/{target}"] = json.loads(done.stdout.strip().splitlines()[-1])
            for job in JOBS:
                for backend in BACKENDS:
                    row = measured[f"{job}/{backend}"]
                    hand = "sql" if backend == "duckdb" else "polars"
                    reference = measured[f"{job}/hand-{hand}"]
                    key = f"{job}/{backend}"
                    extra = {
                        "peak_rss_mib": round(row["peak_rss_mib"], 1),
                        "input_mib": round(row["input_mib"], 1),
                        "peak/input": round(row["peak_rss_mib"] / row["input_mib"], 2),
                        "hand_peak_rss_mib": round(reference["peak_rss_mib"], 1),
                    }
                    if n_customers == 84_000 and key in previous:
                        extra["x(10M/1M)"] = round(row["seconds"] / previous[key], 1)
                    previous[key] = row["seconds"]
                    results.append(
                        Result(
                            f"{job} {backend}, {label}",
                            row["seconds"],
                            reference["seconds"],
                            f"hand-written {'DuckDB SQL' if hand == 'sql' else 'polars'}",
                            "ratio >= 0.5 at 10M (polars, DuckDB)" if backend != "pandas" else "",
                            extra,
                        )
                    )
            rete = _retentioneering(path)
            if rete is not None:
                ours_s = measured["funnel/polars"]["seconds"]
                results.append(
                    Result(
                        f"funnel polars vs retentioneering, {label}",
                        ours_s,
                        rete["seconds"],
                        "retentioneering funnel_data",
                        "other semantics: no window, strictly later",
                        {
                            "rete_build_s": round(rete["build_s"], 3),
                            "rete_reached": rete["reached"],
                            "rete_peak_rss_mib": round(rete["peak_rss_mib"], 1),
                        },
                    )
                )
    return results


if __name__ == "__main__":
    child(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])
