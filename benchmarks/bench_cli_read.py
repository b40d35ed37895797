"""``retention-kpis report`` on a file: the DuckDB (and polars) reader against the pandas reader.

Data: 10M synthetic events (``--quick``: 1M; ``RK_BENCH_CLI_EVENTS`` overrides) of 200k
customers over two years: visits, purchases with revenue and order ids, spend rows, a
channel; written once as CSV and as Parquet (zstd) by DuckDB. The console script runs in
a fresh process per measurement (``retention-kpis report FILE --reader R --format csv -q
--output /dev/null``, the monthly report), and its wall time and peak resident memory
(``ru_maxrss`` of that child, from ``os.wait4``) are recorded. Both readers' CSV outputs are
first checked identical on the Parquet file. Goal on Parquet: the DuckDB reader at least 3x
faster than the pandas reader, and at most half its peak memory.

The ratio is ``pandas time / duckdb time``; ``extra`` holds both peak memories in MiB, and the
polars reader's time and peak memory (run after the other two, checked equal to pandas).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import Result

_SCRIPT = shutil.which("retention-kpis") or str(Path(sys.executable).with_name("retention-kpis"))


def _write(folder: Path, events: int) -> tuple[Path, Path]:
    import duckdb  # noqa: PLC0415 - benchmark dependency

    csv_path, parquet_path = folder / "events.csv", folder / "events.parquet"
    con = duckdb.connect()
    con.execute("SELECT setseed(0.42)")
    con.execute(
        f"""
        CREATE TABLE events AS
        WITH base AS (
            SELECT i, random() AS r, random() AS s,
                   CAST(floor(random() * 200000) AS BIGINT) AS c
            FROM range({events}) t(i)
        )
        SELECT
            printf('%07d', c) AS customer_id,
            strftime(TIMESTAMP '2024-01-01' + to_seconds(CAST(floor(s * 63072000) AS BIGINT)),
                     '%Y-%m-%d %H:%M:%S') AS timestamp,
            CASE WHEN r < 0.70 THEN 'visit' WHEN r < 0.97 THEN 'purchase' ELSE 'spend' END
                AS event_type,
            CASE WHEN r >= 0.70 AND r < 0.97 THEN round(5 + (r - 0.70) * 700, 2) END AS revenue,
            CASE WHEN r >= 0.97 THEN round(50 + (r - 0.97) * 5000, 2) END AS cost,
            CASE WHEN r >= 0.70 AND r < 0.97 THEN 'o' || i END AS order_id,
            ['email', 'paid_search', 'social', 'organic'][1 + CAST(floor(s * 4) AS INT) % 4]
                AS channel
        FROM base
        """
    )
    con.execute(f"COPY events TO '{csv_path}' (HEADER, DELIMITER ',')")
    con.execute(f"COPY events TO '{parquet_path}' (FORMAT parquet, COMPRESSION zstd)")
    con.close()
    return csv_path, parquet_path


def _run(path: Path, reader: str) -> tuple[float, float, bytes]:
    """Wall seconds, peak RSS (MiB) and stdout of one ``report`` in a fresh process."""
    out = path.with_suffix(f".{reader}.out.csv")
    argv = [_SCRIPT, "report", str(path), "--reader", reader, "--format", "csv", "-q"]
    start = time.perf_counter()
    with subprocess.Popen([*argv, "--output", str(out)]) as process:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        msg = f"{argv} exited {process.returncode}"
        raise RuntimeError(msg)
    return elapsed, usage.ru_maxrss / 1024, out.read_bytes()


def _close(a: str, b: str) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    except ValueError:
        return a == b


def _check_same(left: bytes, right: bytes, name: str) -> None:
    """Both readers' reports agree: text cells exactly, numbers to 1e-9 relative.

    Sums differ in the last bits with the summation order of each engine.
    """
    rows_left, rows_right = left.decode().splitlines(), right.decode().splitlines()
    same = len(rows_left) == len(rows_right)
    for row_left, row_right in zip(rows_left, rows_right, strict=False):
        for a, b in zip(row_left.split(","), row_right.split(","), strict=True):
            same &= _close(a, b)
    if not same:
        msg = f"the readers disagree on {name}"
        raise AssertionError(msg)


def run(*, quick: bool = False) -> list[Result]:
    """Time both readers on CSV and Parquet; return one Result per format."""
    events = int(os.environ.get("RK_BENCH_CLI_EVENTS", "1000000" if quick else "10000000"))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        csv_path, parquet_path = _write(folder, events)
        print(f"  wrote {events:,} events in {time.perf_counter() - start:.1f}s", flush=True)
        for path in (parquet_path, csv_path):
            duck_s, duck_mb, duck_out = _run(path, "duckdb")
            pandas_s, pandas_mb, pandas_out = _run(path, "pandas")
            _check_same(duck_out, pandas_out, path.name)
            polars_s, polars_mb, polars_out = _run(path, "polars")
            _check_same(polars_out, pandas_out, path.name)
            results.append(
                Result(
                    name=f"report {path.suffix[1:]} {events:,} events: duckdb reader",
                    ours_s=duck_s,
                    reference_s=pandas_s,
                    reference="pandas reader",
                    target=">= 3x, <= 0.5x memory" if path == parquet_path else "",
                    extra={
                        "duckdb_peak_mib": round(duck_mb),
                        "pandas_peak_mib": round(pandas_mb),
                        "memory_ratio": round(duck_mb / pandas_mb, 2),
                        "polars_s": round(polars_s, 1),
                        "polars_peak_mib": round(polars_mb),
                    },
                )
            )
    return results
