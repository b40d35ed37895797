"""compute_kpis monthly by channel on every backend, against a hand-written pandas groupby.

Data: ``make_events(100_000)`` (about 11.9M events, 100k customers, two years); ``--quick``
uses ``make_events(10_000)`` (about 1.2M). Each backend's report is first checked equal to the
pandas report (integers exactly, floats to 1e-9 relative), and the hand-written pandas code's
numbers equal to ours, then timed:

* pandas backend against the hand-written pandas code (target: within 1.5x, ratio >= 0.67);
* polars, DuckDB and PySpark against the pandas backend (target for polars and DuckDB: >= 3x);
* peak memory of the pandas backend (tracemalloc: numpy and pandas buffers) against the input
  frame's size, ``df.memory_usage(deep=True).sum()`` (target: <= 3x); and for every row the
  peak resident memory its first call adds in its fresh process (with PySpark's JVM), which
  also sees the engines' native buffers;
* hand-written DuckDB SQL computing the same numbers (three queries, no validation; checked
  equal to ours) on the in-memory and the database-file table: what DuckDB itself needs,
  the floor for our DuckDB backend.

Polars reads in-memory Arrow data; DuckDB a table of an in-memory database (also: the same
in an in-memory database attached with ``COMPRESS`` and checkpointed, a table of a database
file, which DuckDB stores compressed, the Parquet file, and the in-memory Arrow table); PySpark (local[2], 2 cores) reads the same events from a
Parquet file, as on a cluster. Conversions happen before timing. Each backend (and the
hand-written code) is timed in a fresh interpreter: backends run earlier in one process
changed later timings (after DuckDB ran, the pandas backend was measured 1.6x slower).
"""

from __future__ import annotations

import gc
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _harness import (
    Result,
    best_time,
    peak_memory_mb,
    peak_rss_increase_mb,
    read_parquet_with_spark,
)

from retention_kpis import compute_kpis
from retention_kpis.datasets import make_events

KEYS = ["period", "channel"]
LARGE_CUSTOMERS = 256_000  # about 30M events in the Parquet row
# Hand-written queries timed on the same data as our backend (name: ours): DuckDB SQL on the
# in-memory table, the database file and the Parquet file, and polars on the LazyFrame.
SQL_REFERENCES = {
    "duckdb-sql": "duckdb",
    "duckdb-file-sql": "duckdb-file",
    "duckdb-parquet-sql": "duckdb-parquet",
    "polars-hand": "polars-lazy",
}
# The large row: compute_kpis straight from a Parquet file, on DuckDB and polars (name: ours).
PARQUET_REFERENCES = {
    "duckdb-parquet-sql": "duckdb-parquet",
    "polars-parquet-hand": "polars-parquet",
}
HAND_REFERENCES = {**SQL_REFERENCES, **PARQUET_REFERENCES}


def hand_written(events: pd.DataFrame) -> pd.DataFrame:
    """The same KPIs, monthly by channel, as a competent analyst writes them in pandas."""
    e = events.assign(period=events["timestamp"].dt.to_period("M"))
    kind = e["event_type"]
    visits = e.loc[kind == "visit", [*KEYS, "customer_id"]].drop_duplicates()
    buys = e.loc[kind == "purchase"]
    buyers = buys[[*KEYS, "customer_id"]].drop_duplicates()
    out = pd.DataFrame(index=e.groupby(KEYS, observed=True).size().index)
    out["visitors"] = visits.groupby(KEYS).size()
    out["converted"] = visits.merge(buyers, on=[*KEYS, "customer_id"]).groupby(KEYS).size()
    sales = buys.groupby(KEYS).agg(orders=("order_id", "nunique"), revenue=("revenue", "sum"))
    out = out.join(sales)
    out["spend"] = e.loc[kind == "spend"].groupby(KEYS)["cost"].sum()
    first = buys["timestamp"] == buys.groupby("customer_id")["timestamp"].transform("min")
    out["new_customers"] = (
        buys.loc[first, [*KEYS, "customer_id"]].drop_duplicates().groupby(KEYS).size()
    )
    out["active_customers"] = buyers.groupby(KEYS).size()
    before = buyers.assign(period=buyers["period"] + 1)
    out["retained"] = buyers.merge(before, on=[*KEYS, "customer_id"]).groupby(KEYS).size()
    previous = out["active_customers"].rename(lambda p: p + 1, level="period")
    out["previous_active"] = previous.reindex(out.index)
    nps = e.loc[kind == "nps_response"]
    out["nps"] = (
        100
        * ((nps["score"] >= 9).astype(int) - (nps["score"] <= 6).astype(int))
        .groupby([nps["period"], nps["channel"]])
        .mean()
    )
    csat = e.loc[kind == "csat_response"]
    out["csat"] = (csat["score"] >= 4).groupby([csat["period"], csat["channel"]]).mean()
    return _with_ratios(out)


def _with_ratios(out: pd.DataFrame) -> pd.DataFrame:
    """Fill the empty counts and sums, then the ratio KPIs (shared by both hand-written codes)."""
    counts = ["visitors", "converted", "orders", "new_customers", "active_customers", "retained"]
    out[counts] = out[counts].fillna(0).astype("int64")
    out[["revenue", "spend"]] = out[["revenue", "spend"]].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["conversion_rate"] = out["converted"] / out["visitors"]
        out["aov"] = out["revenue"] / out["orders"]
        out["purchase_frequency"] = out["orders"] / out["active_customers"]
        out["cac"] = out["spend"] / out["new_customers"]
        out["roas"] = out["revenue"] / out["spend"]
        out["retention_rate"] = out["retained"] / out["previous_active"]
        out["churn_rate"] = 1 - out["retention_rate"]
        out["clv"] = out["aov"] * out["purchase_frequency"] / out["churn_rate"]
    return out.replace([np.inf, -np.inf], np.nan).reset_index()


_PERIOD_SQL = "year(timestamp) * 12 + month(timestamp) - 1"
_DUCKDB_QUERIES = {
    # Distinct visitors and converted visitors: one hash group-by on (period, channel, customer).
    "customers": f"""
        SELECT p, channel, count_if(v) AS visitors, count_if(v AND b) AS converted
        FROM (
            SELECT {_PERIOD_SQL} AS p, channel, customer_id,
                   bool_or(event_type = 'visit') AS v, bool_or(event_type = 'purchase') AS b
            FROM events GROUP BY ALL
        ) GROUP BY ALL""",
    # Active, new (first purchase ever falls in the key) and retained (bought the month before).
    "purchasers": f"""
        SELECT p, channel, count(*) AS active_customers,
               count_if(first_buy = first_ever) AS new_customers,
               count_if(previous = p - 1) AS retained
        FROM (
            SELECT *, min(first_buy) OVER (PARTITION BY customer_id) AS first_ever,
                   lag(p) OVER (PARTITION BY channel, customer_id ORDER BY p) AS previous
            FROM (
                SELECT {_PERIOD_SQL} AS p, channel, customer_id, min(timestamp) AS first_buy
                FROM events WHERE event_type = 'purchase' GROUP BY ALL
            )
        ) GROUP BY ALL""",
    "money": f"""
        SELECT {_PERIOD_SQL} AS p, channel,
               count(DISTINCT order_id) FILTER (event_type = 'purchase') AS orders,
               sum(revenue) FILTER (event_type = 'purchase') AS revenue,
               sum(cost) FILTER (event_type = 'spend') AS spend,
               100 * (avg((score >= 9)::INT) FILTER (event_type = 'nps_response')
                      - avg((score <= 6)::INT) FILTER (event_type = 'nps_response')) AS nps,
               avg((score >= 4)::INT) FILTER (event_type = 'csat_response') AS csat
        FROM events
        WHERE event_type IN ('purchase', 'spend', 'nps_response', 'csat_response')
        GROUP BY ALL""",
}


def hand_written_duckdb(relation: Any) -> pd.DataFrame:
    """The same KPIs in hand-written DuckDB SQL: three queries, no input validation.

    The floor of what DuckDB itself does with the same numbers on this machine: our DuckDB
    backend runs the same three aggregations plus the validation queries.
    """
    return _hand_finish([relation.query("events", sql).df() for sql in _DUCKDB_QUERIES.values()])


def hand_written_polars(events: Any) -> pd.DataFrame:
    """The same KPIs as a hand-written polars query on a LazyFrame: no input validation.

    The three queries of :data:`_DUCKDB_QUERIES` written with polars expressions and run
    together by ``pl.collect_all`` (which shares their common scan), as a polars user would.
    """
    import polars as pl  # noqa: PLC0415 - optional backend

    kind = pl.col("event_type")
    e = events.with_columns(
        p=pl.col("timestamp").dt.year().cast(pl.Int64) * 12
        + pl.col("timestamp").dt.month().cast(pl.Int64)
        - 1
    )
    customers = (
        e.group_by("p", "channel", "customer_id")
        .agg(v=(kind == "visit").any(), b=(kind == "purchase").any())
        .group_by("p", "channel")
        .agg(visitors=pl.col("v").sum(), converted=(pl.col("v") & pl.col("b")).sum())
    )
    purchasers = (
        e.filter(kind == "purchase")
        .group_by("p", "channel", "customer_id")
        .agg(first_buy=pl.col("timestamp").min())
        .sort("channel", "customer_id", "p")
        .with_columns(
            first_ever=pl.col("first_buy").min().over("customer_id"),
            previous=pl.col("p").shift(1).over("channel", "customer_id"),
        )
        .group_by("p", "channel")
        .agg(
            active_customers=pl.len(),
            new_customers=(pl.col("first_buy") == pl.col("first_ever")).sum(),
            retained=(pl.col("previous") == pl.col("p") - 1).sum(),
        )
    )
    score = pl.col("score")
    money = (
        e.filter(kind.is_in(["purchase", "spend", "nps_response", "csat_response"]))
        .group_by("p", "channel")
        .agg(
            orders=pl.col("order_id").filter(kind == "purchase").drop_nulls().n_unique(),
            revenue=pl.col("revenue").filter(kind == "purchase").sum(),
            spend=pl.col("cost").filter(kind == "spend").sum(),
            nps=100
            * (
                (score >= 9).filter(kind == "nps_response").mean()
                - (score <= 6).filter(kind == "nps_response").mean()
            ),
            csat=(score >= 4).filter(kind == "csat_response").mean(),
        )
    )
    parts = pl.collect_all([customers, purchasers, money])
    return _hand_finish([part.to_pandas() for part in parts])


def _hand_finish(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Join the three hand-written tables (period index ``p``, channel) and add the ratios."""
    out = parts[0]  # every (period, channel) with events
    for part in parts[1:]:
        out = out.merge(part, on=["p", "channel"], how="left")
    out["period"] = [pd.Period(year=p // 12, month=p % 12 + 1, freq="M") for p in out.pop("p")]
    out = out.set_index(KEYS).sort_index()
    previous = out["active_customers"].rename(lambda p: p + 1, level="period")
    out["previous_active"] = previous.reindex(out.index)
    return _with_ratios(out)


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9)
    return bool(a == b)


def _check_same(got: dict[str, list[Any]], expected: dict[str, list[Any]], what: str) -> None:
    for column, values in expected.items():
        bad = [
            i for i, (a, b) in enumerate(zip(got[column], values, strict=True)) if not _close(a, b)
        ]
        if bad or len(got[column]) != len(values):
            msg = f"{what}: column {column} differs at rows {bad[:5]}"
            raise AssertionError(msg)


def _hand_as_report(frame: pd.DataFrame) -> dict[str, list[Any]]:
    frame = frame.sort_values(KEYS)
    data = {
        name: [None if isinstance(v, float) and math.isnan(v) else v for v in frame[name].tolist()]
        for name in frame.columns
        if name not in {"converted", "retained", "previous_active"}
    }
    data["period"] = [p.start_time.date() for p in frame["period"]]
    return data


def _duckdb_table(table: Any, *, compressed: bool) -> Any:
    """The Arrow table copied into a table of a new in-memory DuckDB database.

    ``compressed``: the database is attached with ``COMPRESS`` and checkpointed (DuckDB
    compresses at the checkpoint), so strings are stored dictionary-encoded as in a file.
    """
    import duckdb  # noqa: PLC0415 - optional backend

    con = duckdb.connect()
    schema = "main"
    if compressed:
        con.execute("ATTACH ':memory:' AS compressed (COMPRESS)")
        schema = "compressed"
    con.register("arrow_events", table)
    con.execute(f"CREATE TABLE {schema}.events AS SELECT * FROM arrow_events")
    con.unregister("arrow_events")
    if compressed:
        con.execute("CHECKPOINT compressed")
    return con.table(f"{schema}.events")


def _natives(events: pd.DataFrame | None, parquet: Path, names: list[str]) -> dict[str, Any]:
    """The events as each backend's native frame (conversions happen before timing).

    ``events`` may be None when every name reads the Parquet file (the large row).
    """
    import duckdb  # noqa: PLC0415 - optional backend
    import polars as pl  # noqa: PLC0415 - optional backend
    import pyarrow as pa  # noqa: PLC0415 - optional backend

    table = None if events is None else pa.Table.from_pandas(events, preserve_index=False)
    con = duckdb.connect()
    natives: dict[str, Any] = {}
    for name in names:
        if name in {"hand-written", "pandas"}:
            natives[name] = events
        elif name in {"polars", "polars-lazy", "polars-hand"}:
            natives[name] = (
                pl.from_arrow(table) if name == "polars" else pl.from_arrow(table).lazy()
            )
        elif name in {"polars-parquet", "polars-parquet-hand"}:
            natives[name] = pl.scan_parquet(parquet)
        elif name in {"duckdb", "duckdb-sql", "duckdb-compressed"}:  # the data lives in DuckDB
            natives[name] = _duckdb_table(table, compressed=name == "duckdb-compressed")
        elif name in {"duckdb-file", "duckdb-file-sql"}:  # a database file (compressed storage)
            natives[name] = duckdb.connect(str(parquet.with_suffix(".duckdb"))).table("events")
        elif name in {"duckdb-parquet", "duckdb-parquet-sql"}:
            natives[name] = con.read_parquet(str(parquet))
        elif name == "duckdb-arrow":  # scans the in-memory Arrow table
            natives[name] = con.from_arrow(table)
        elif name == "pyspark":
            natives[name] = read_parquet_with_spark(parquet, "retention_kpis-bench")
    return natives


def _ours(native: Any) -> Any:
    return compute_kpis(native, period="M", by="channel")


def time_in_fresh_process(name: str, n_customers: int, parquet: Path) -> dict[str, float]:
    """Best of 3 (2 for PySpark) in a new interpreter, so that no backend run before it
    changes its timing: after DuckDB ran in a process, pandas' large temporary arrays were
    measured 2.6x slower (get_group_index 0.25 -> 0.65 s), which skewed same-process ratios.
    Also the peak resident memory the first call adds (process and children, in MiB).
    """
    command = [sys.executable, __file__, name, str(n_customers), str(parquet)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    measured: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return measured


def run(*, quick: bool = False) -> list[Result]:
    import pyarrow as pa  # noqa: PLC0415 - optional backend
    import pyarrow.parquet as pq  # noqa: PLC0415 - optional backend

    n_customers = 10_000 if quick else 100_000
    events = make_events(n_customers, seed=1)
    size_mb = events.memory_usage(deep=True).sum() / 2**20
    label = f"{len(events) / 1e6:.1f}M events"
    print(f"  compute_kpis monthly by channel on {label} ({size_mb:.0f} MiB in pandas)", flush=True)

    expected = _ours(events).to_dict()
    hand = _hand_as_report(hand_written(events))
    _check_same(hand, {k: v for k, v in expected.items() if k in hand}, "hand-written pandas")
    peak = peak_memory_mb(lambda: _ours(events))
    hand_peak = peak_memory_mb(lambda: hand_written(events))

    names = [
        "polars",
        "polars-lazy",
        "duckdb",
        "duckdb-compressed",
        "duckdb-file",
        "duckdb-parquet",
        "duckdb-arrow",
        "pyspark",
    ]
    tmp = tempfile.TemporaryDirectory()
    try:
        parquet = Path(tmp.name) / "events.parquet"
        # Spark reads microsecond timestamps only (make_events has whole seconds).
        table = pa.Table.from_pandas(events, preserve_index=False)
        pq.write_table(table, parquet, coerce_timestamps="us")
        del table
        import duckdb  # noqa: PLC0415 - optional backend

        with duckdb.connect(str(parquet.with_suffix(".duckdb"))) as con:
            con.execute(f"CREATE TABLE events AS SELECT * FROM read_parquet('{parquet}')")
        try:
            natives = _natives(events, parquet, names)
        except Exception as exc:  # pyspark is optional for the benchmark
            print(f"  pyspark skipped: {exc}", flush=True)
            names.remove("pyspark")
            natives = _natives(events, parquet, names)
        for name, native in natives.items():
            _check_same(_ours(native).to_dict(), expected, name)
        sql = _hand_as_report(hand_written_duckdb(natives["duckdb"]))
        _check_same(sql, {k: v for k, v in expected.items() if k in sql}, "hand-written DuckDB")
        by_polars = _hand_as_report(hand_written_polars(natives["polars-lazy"]))
        _check_same(
            by_polars, {k: v for k, v in expected.items() if k in by_polars}, "hand-written polars"
        )
        if "pyspark" in natives:
            natives["pyspark"].sparkSession.stop()
        del natives

        measured = {
            name: time_in_fresh_process(name, n_customers, parquet)
            for name in ["hand-written", "pandas", *names]
        }
        pairs = {
            hand: time_pair_in_fresh_process(hand, n_customers, parquet) for hand in SQL_REFERENCES
        }
    finally:
        tmp.cleanup()
    seconds = {name: row["seconds"] for name, row in measured.items()}
    rss = {name: round(row["peak_rss_mib"], 1) for name, row in measured.items()}
    pandas_s = seconds["pandas"]
    results = [
        Result(
            f"compute_kpis pandas, {label}",
            pandas_s,
            seconds["hand-written"],
            "hand-written pandas",
            "ratio >= 0.67 (within 1.5x)",
            {
                "peak_mib": round(peak, 1),
                "input_mib": round(size_mb, 1),
                "peak/input": round(peak / size_mb, 2),
                "hand_peak_mib": round(hand_peak, 1),
                "peak_rss_mib": rss["pandas"],
                "hand_peak_rss_mib": rss["hand-written"],
            },
        )
    ]
    for name in names:
        target = ">= 3x vs pandas backend" if name in {"polars", "duckdb"} else ""
        results.append(
            Result(
                f"compute_kpis {name}, {label}",
                seconds[name],
                pandas_s,
                "compute_kpis pandas",
                target,
                {"peak_rss_mib": rss[name]},
            )
        )
    results += _pair_results(pairs, label)
    if not quick:
        results += run_large_parquet(LARGE_CUSTOMERS)
    return results


def _pair_results(pairs: dict[str, dict[str, float]], label: str) -> list[Result]:
    """One row per (ours, hand-written) pair: medians of alternated calls, best beside them."""
    results = []
    for hand, ours in HAND_REFERENCES.items():
        if hand not in pairs:
            continue
        row = pairs[hand]
        reference = "hand-written polars" if ours.startswith("polars") else "hand-written SQL"
        results.append(
            Result(
                f"compute_kpis {ours} vs {reference}, {label}",
                row["ours_median"],
                row["hand_median"],
                f"{reference} (median)",
                "ours/hand <= 1.2" if ours.startswith("duckdb") else "ours/hand <= 1",
                {
                    "ours/hand median": round(row["ours_median"] / row["hand_median"], 3),
                    "ours/hand best": round(row["ours_best"] / row["hand_best"], 3),
                    "ours_s": row["ours"],
                    "hand_s": row["hand"],
                    "peak_rss_mib": round(row["peak_rss_mib"], 1),
                    "hand_peak_rss_mib": round(row["hand_peak_rss_mib"], 1),
                },
            )
        )
    return results


def time_pair_in_fresh_process(
    hand: str, n_customers: int, parquet: Path, rounds: int = 3
) -> dict[str, Any]:
    """Ours and the hand-written query on the same native frame, alternated ``rounds`` times.

    One fresh interpreter per pair; the calls alternate (ours, hand, ours, hand, ...) so that
    the noise of this shared machine falls on both sides alike. Also the peak resident memory
    each side's first call adds (MiB).
    """
    command = [sys.executable, __file__, f"pair:{hand}", str(n_customers), str(parquet)]
    command.append(str(rounds))
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    measured: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return measured


def _hand_function(hand: str, native: Any) -> Any:
    if hand.startswith("polars"):
        return lambda: hand_written_polars(native)
    return lambda: hand_written_duckdb(native)


def write_large_parquet(n_customers: int, path: Path, chunk: int = 25_000) -> int:
    """Write ``make_events`` for ``n_customers`` in chunks of ``chunk`` customers to Parquet.

    Each chunk is ``make_events(chunk, seed=index)`` with its customer and order ids moved
    past the previous chunks' (so ids stay distinct): about 117 events per customer over the
    same two years, without holding every event in pandas at once. Returns the rows written.
    """
    import pyarrow as pa  # noqa: PLC0415 - optional backend
    import pyarrow.parquet as pq  # noqa: PLC0415 - optional backend

    rows = 0
    writer = None
    try:
        for index in range(math.ceil(n_customers / chunk)):
            events = make_events(min(chunk, n_customers - index * chunk), seed=index)
            events["customer_id"] += index * chunk
            events["order_id"] += index * 10**10
            table = pa.Table.from_pandas(events, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, coerce_timestamps="us")
            writer.write_table(table)
            rows += len(events)
    finally:
        if writer is not None:
            writer.close()
    return rows


def run_large_parquet(n_customers: int, rounds: int = 3) -> list[Result]:
    """compute_kpis from a Parquet file of ``n_customers`` (30M events at 256k) on DuckDB and
    polars, each against its hand-written query, alternated in one fresh process per pair.

    Both sides read the same file; the hand-written results are checked equal to ours
    (integers exactly, floats to 1e-9) in the pair's process before timing.
    """
    with tempfile.TemporaryDirectory() as folder:
        parquet = Path(folder) / "large.parquet"
        rows = write_large_parquet(n_customers, parquet)
        label = f"{rows / 1e6:.1f}M events from Parquet"
        print(f"  compute_kpis monthly by channel, {label}", flush=True)
        pairs = {
            hand: time_pair_in_fresh_process(hand, n_customers, parquet, rounds)
            for hand in PARQUET_REFERENCES
        }
    return _pair_results(pairs, label)


def _main_pair(hand: str, n_customers: int, parquet: str, rounds: int) -> None:
    """Alternate ours and the hand-written query in this fresh process; print JSON last.

    The hand-written result is checked equal to ours first (the large row has no other check).
    """
    ours_name = HAND_REFERENCES[hand]
    events = None if "parquet" in ours_name else make_events(n_customers, seed=1)
    native = _natives(events, Path(parquet), [ours_name])[ours_name]
    ours: Any = lambda: _ours(native)  # noqa: E731
    written = _hand_function(hand, native)
    peak = peak_rss_increase_mb(ours)  # the first calls: a fresh process's real peaks
    hand_peak = peak_rss_increase_mb(written)
    expected = _ours(native).to_dict()
    got = _hand_as_report(written())
    _check_same(got, {k: v for k, v in expected.items() if k in got}, hand)
    times: dict[str, list[float]] = {"ours": [], "hand": []}
    for _ in range(rounds):
        for side, func in (("ours", ours), ("hand", written)):
            gc.collect()
            start = time.perf_counter()
            func()
            times[side].append(round(time.perf_counter() - start, 3))
    print(
        json.dumps(
            {
                **times,
                **{f"{side}_best": min(values) for side, values in times.items()},
                **{f"{side}_median": statistics.median(values) for side, values in times.items()},
                "peak_rss_mib": peak,
                "hand_peak_rss_mib": hand_peak,
            }
        )
    )


def _main(name: str, n_customers: int, parquet: str) -> None:
    """Time one target in this fresh process; print ``{"seconds": ...}`` as the last line."""
    events = make_events(n_customers, seed=1)
    native = _natives(events, Path(parquet), [name])[name]
    if name == "hand-written":
        func: Any = lambda: hand_written(events)  # noqa: E731 - one of three timed calls
    else:
        func = lambda: _ours(native)  # noqa: E731
    peak = peak_rss_increase_mb(func)  # the first call: a fresh process's real peak
    seconds = best_time(func, repeat=2 if name == "pyspark" else 3)
    if name == "pyspark":
        native.sparkSession.stop()
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak}))


if __name__ == "__main__":
    if sys.argv[1].startswith("pair:"):
        _main_pair(
            sys.argv[1].removeprefix("pair:"), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        )
    elif sys.argv[1] == "large":  # python bench_backends.py large <customers> [rounds]
        for result in run_large_parquet(
            int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 3
        ):
            print(result.name, round(result.ours_s, 3), round(result.reference_s or 0, 3))
            print("   ", result.extra, flush=True)
    else:
        _main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
