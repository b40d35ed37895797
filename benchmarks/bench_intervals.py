"""Cost of ``compute_kpis(confidence=0.95)`` against the same call without intervals.

Monthly by channel on polars (lazy, from Arrow) and DuckDB (a table of an in-memory
database), on ``make_events(10_000)`` (about 1.2M events; ``--quick``) and
``make_events(100_000)`` (about 11.9M). Intervals add five per-customer aggregations and
five per-key sums to the query that already groups purchases per customer; the share and
NPS intervals come from counts already collected. Both variants are timed in the same
process, alternating, best of 3 (goal: at most 1.3x, i.e. ratio >= 0.77). Noise from
other processes on the machine affects both sides alike.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from _harness import Result

from retention_kpis import compute_kpis
from retention_kpis.datasets import make_events


def _natives(events: Any) -> dict[str, Any]:
    import duckdb  # noqa: PLC0415 - optional backend
    import polars as pl  # noqa: PLC0415 - optional backend
    import pyarrow as pa  # noqa: PLC0415 - optional backend

    table = pa.Table.from_pandas(events, preserve_index=False)
    con = duckdb.connect()
    con.register("arrow_events", table)
    con.execute("CREATE TABLE events AS SELECT * FROM arrow_events")
    con.unregister("arrow_events")
    return {"polars-lazy": pl.from_arrow(table).lazy(), "duckdb": con.table("events")}


def _alternating(native: Any, repeat: int = 3) -> tuple[float, float]:
    """Best times without and with intervals, the two calls alternating."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, confidence in enumerate((None, 0.95)):
            start = time.perf_counter()
            compute_kpis(native, period="M", by="channel", confidence=confidence)
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def run(*, quick: bool = False) -> list[Result]:
    results = []
    for n_customers in (10_000,) if quick else (10_000, 100_000):
        events = make_events(n_customers, seed=1)
        for name, native in _natives(events).items():
            plain, with_intervals = _alternating(native)
            results.append(
                Result(
                    name=f"compute_kpis confidence=0.95 {name} {len(events) / 1e6:.1f}M",
                    ours_s=with_intervals,
                    reference_s=plain,
                    reference="same call, confidence=None",
                    target="ratio >= 0.77 (<= 30 % extra)",
                    extra={"extra_pct": round(100 * (with_intervals / plain - 1), 1)},
                )
            )
    return results


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result.name, f"{result.reference_s:.3f}s -> {result.ours_s:.3f}s", result.extra)
