"""Tiny timing harness shared by the benchmark modules."""

from __future__ import annotations

import gc
import math
import os
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Result:
    """One comparison: our time against the reference's, in the same run."""

    name: str
    ours_s: float
    reference_s: float | None
    reference: str
    target: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """reference_time / our_time: above 1 means we are faster."""
        if self.reference_s is None or self.ours_s == 0:
            return None
        return self.reference_s / self.ours_s


def best_time(func: Callable[[], object], *, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def peak_memory_mb(func: Callable[[], object]) -> float:
    """Peak Python-tracked allocation (numpy and pandas included) of one call, in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def read_parquet_with_spark(path: Path, app_name: str) -> Any:
    """A Parquet file as a PySpark DataFrame in a ``local[2]`` session (2 cores), as on a cluster.

    The session (UTC, no UI, 4 GiB driver, 8 shuffle partitions, Arrow transfers) is the
    one every benchmark uses; stop it with ``frame.sparkSession.stop()``.
    """
    from pyspark.sql import SparkSession  # noqa: PLC0415 - optional backend

    session = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session.read.parquet(str(path))


def _status_kib(pid: int, field: str) -> int:
    """One ``kB`` field of ``/proc/<pid>/status`` (0 when the process is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (PySpark's JVM is one), from the parent ids in /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def peak_rss_increase_mb(func: Callable[[], object]) -> float:
    """Peak resident memory one call adds, in MiB: this process and its children.

    Linux only (nan elsewhere): each process's high-water mark (``VmHWM``) is reset to its
    current resident size through ``/proc/<pid>/clear_refs``, the call runs, and the rise of
    the mark is summed. It sees what tracemalloc cannot: the engines' native buffers
    (polars, DuckDB) and the JVM of PySpark.
    """
    if not Path("/proc/self/clear_refs").exists():
        return math.nan
    pids = [os.getpid(), *_descendants(os.getpid())]
    before = {pid: _status_kib(pid, "VmRSS") for pid in pids}
    try:
        for pid in pids:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return math.nan
    gc.collect()
    func()
    return sum(max(_status_kib(pid, "VmHWM") - before[pid], 0) for pid in pids) / 1024
