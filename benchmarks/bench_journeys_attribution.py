"""Attribution from raw events (issue #21): every model, three backends, beside ChannelAttribution.

For ``make_events`` data at about 100k, 1M and 10M events (855, 8,550 and 85,500 customers;
``quick``: 100k only) and each backend (pandas DataFrame, polars LazyFrame, DuckDB table):

* ``attribute(events, model=m)`` for every model of ``MODELS`` (lookback 30 days), timed from
  the raw events (validation included); 10M events run once per model and backend, smaller
  sizes best of 2;
* the process CPU time per call (``cpu_s_per_call``, every thread of the engine; less
  sensitive to other processes than the wall time) and the load average beside each row;
* the peak resident memory one Markov call adds (``peak_rss_increase_mb``: the process's
  high-water mark, native buffers of polars and DuckDB included), beside the input's size
  (``DataFrame.memory_usage(deep=True)``);
* the reference: the same paths built by hand in polars (sort, backward fill of the next
  conversion, one ordered string join per path) and reduced to distinct paths with their
  conversions, revenue and non-converting counts -- checked against our credit (first, last
  touch and linear credit computed from the distinct paths by hand must equal ours to 1e-9) --
  and ChannelAttribution 2.2.5's ``heuristic_models`` and ``markov_model`` on those distinct
  paths, run in its own environment (``CA_PYTHON``, default ``/work/venvs/ca/bin/python``) as
  a subprocess. Its Markov model simulates, so its time is compared and its Monte-Carlo
  error against our exact chain reported (largest relative gap of a channel's conversions).

Timings on a shared machine are noisy; ours and the references run in one process, one
after the other, so load from other processes hits both.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import Result, best_time, peak_rss_increase_mb

LOOKBACK_US = 30 * 86_400 * 10**6
CA_PYTHON = os.environ.get("CA_PYTHON", "/work/venvs/ca/bin/python")
SIZES = {"100k": 855, "1M": 8_550, "10M": 85_500}
CA_SCRIPT = r"""
import json, sys, time
import pandas as pd
from ChannelAttribution import heuristic_models, markov_model
paths = pd.read_csv(sys.argv[1], keep_default_na=False)
start = time.perf_counter()
heuristic = heuristic_models(paths, "path", "conversions", var_value="revenue", flg_pro=False)
heuristic_s = time.perf_counter() - start
start = time.perf_counter()
markov = markov_model(paths, "path", "conversions", var_value="revenue", var_null="nulls",
                      verbose=False, flg_pro=False)
markov_s = time.perf_counter() - start
print(json.dumps({
    "heuristic_s": heuristic_s,
    "markov_s": markov_s,
    "heuristic": heuristic.to_dict(orient="list"),
    "markov": markov.to_dict(orient="list"),
}))
"""


def hand_written_paths(events: Any) -> Any:
    """Distinct paths with conversions, revenue and non-converting journeys, in polars."""
    import polars as pl  # noqa: PLC0415 - optional backend

    frame = pl.from_pandas(events[["customer_id", "timestamp", "event_type", "channel", "revenue"]])
    rows = (
        frame.lazy()
        .filter(
            (pl.col("event_type") == "purchase")
            | ((pl.col("event_type") == "visit") & pl.col("channel").is_not_null())
        )
        .select(
            "customer_id",
            pl.col("timestamp").dt.timestamp("us").alias("us"),
            (pl.col("event_type") == "purchase").alias("conv"),
            pl.col("channel"),
            pl.col("revenue").fill_null(0.0),
        )
        .sort("customer_id", "us", "conv", "channel")
        .with_columns(
            pl.when("conv").then(pl.col("us")).backward_fill().over("customer_id").alias("end")
        )
        .with_columns(pl.col("us").max().over("customer_id", "end").alias("ref"))
        .filter(pl.col("conv") | (pl.col("ref") - pl.col("us") <= LOOKBACK_US))
    )
    touches = (
        rows.filter(~pl.col("conv"))
        .group_by("customer_id", "end", maintain_order=True)
        .agg(pl.col("channel").str.join(">").alias("path"))
    )
    conversions = (
        rows.filter("conv")
        .group_by("customer_id", "end")
        .agg(pl.len().alias("conversions"), pl.col("revenue").sum())
    )
    converting = conversions.join(touches, on=["customer_id", "end"], how="left")
    journeys = touches.filter(pl.col("end").is_null())
    distinct = (
        pl.concat(
            [
                converting.select("path", "conversions", "revenue", pl.lit(0).alias("nulls")),
                journeys.select(
                    "path",
                    pl.lit(0).alias("conversions"),
                    pl.lit(0.0).alias("revenue"),
                    pl.lit(1).alias("nulls"),
                ),
            ],
            how="vertical_relaxed",
        )
        .group_by("path")
        .agg(pl.col("conversions", "revenue", "nulls").sum())
        .sort("path", nulls_last=True)
    )
    return distinct.collect()


def _rule_credit(paths: Any, model: str) -> dict[str, float]:
    """First/last touch and linear conversions per channel from the distinct paths."""
    credit: dict[str, float] = {}
    for path, conversions in zip(
        paths["path"].to_list(), paths["conversions"].to_list(), strict=True
    ):
        if path is None or not conversions:
            continue
        channels = path.split(">")
        if model == "linear":
            for channel in channels:
                credit[channel] = credit.get(channel, 0.0) + conversions / len(channels)
        else:
            channel = channels[0] if model == "first_touch" else channels[-1]
            credit[channel] = credit.get(channel, 0.0) + conversions
    return credit


def _channel_attribution(paths: Any) -> dict[str, Any] | None:
    """ChannelAttribution's heuristics and Markov model on the distinct paths (subprocess)."""
    if not Path(CA_PYTHON).exists():
        return None
    touched = paths.filter(paths["path"].is_not_null())
    with tempfile.TemporaryDirectory() as tmp:
        csv, script = Path(tmp) / "paths.csv", Path(tmp) / "ca.py"
        touched.write_csv(csv)
        script.write_text(CA_SCRIPT)
        out = subprocess.run(
            [CA_PYTHON, str(script), str(csv)], check=True, capture_output=True, text=True
        )
    payload: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return payload


def _natives(events: Any) -> dict[str, Any]:
    import duckdb  # noqa: PLC0415 - optional backend
    import polars as pl  # noqa: PLC0415 - optional backend

    connection = duckdb.connect()
    connection.register("events_frame", events)
    connection.execute("CREATE TABLE events AS SELECT * FROM events_frame")
    connection.unregister("events_frame")
    return {
        "pandas": events,
        "polars": pl.from_pandas(events).lazy(),
        "duckdb": connection.table("events"),
    }


def _credit(result: Any) -> dict[str, float]:
    return {c.channel: c.conversions for c in result.credits if c.channel != "(none)"}


def _close(a: dict[str, float], b: dict[str, float], tolerance: float) -> float:
    """Largest relative gap between two credit dicts (raise above ``tolerance``)."""
    keys = {k for k in {*a, *b} if max(abs(a.get(k, 0.0)), abs(b.get(k, 0.0))) > 0}
    gap = (
        max(
            (abs(a.get(k, 0.0) - b.get(k, 0.0)) / max(abs(a.get(k, 0.0)), abs(b.get(k, 0.0))))
            for k in keys
        )
        if keys
        else 0.0
    )
    if gap > tolerance:
        msg = f"credits differ by {gap:.3g} (> {tolerance}): {a} vs {b}"
        raise AssertionError(msg)
    return gap


def run(
    *,
    quick: bool = False,
    sizes: tuple[str, ...] | None = None,
    backends: tuple[str, ...] = ("pandas", "polars", "duckdb"),
    models: tuple[str, ...] | None = None,
) -> list[Result]:
    from retention_kpis.attribution import MODELS, attribute  # noqa: PLC0415 - after sys.path
    from retention_kpis.datasets import make_events  # noqa: PLC0415 - same

    results: list[Result] = []
    chosen = sizes or (("100k",) if quick else tuple(SIZES))
    for size in chosen:
        events = make_events(SIZES[size], seed=1)
        input_mib = events.memory_usage(deep=True).sum() / 2**20
        start = time.perf_counter()
        paths = hand_written_paths(events)
        hand_s = time.perf_counter() - start
        ca = _channel_attribution(paths)
        natives = _natives(events)
        repeat = 1 if size == "10M" else 2
        for backend in backends:
            native = natives[backend]
            peak = peak_rss_increase_mb(
                lambda n=native: attribute(n, model="markov", unknown_events="ignore")
            )
            for model in models or MODELS:
                result = attribute(native, model=model, unknown_events="ignore")
                cpu = time.process_time()
                seconds = (
                    best_time(
                        lambda n=native, m=model: attribute(n, model=m, unknown_events="ignore"),
                        repeat=repeat,
                    )
                    if repeat > 1
                    else _once(
                        lambda n=native, m=model: attribute(n, model=m, unknown_events="ignore")
                    )
                )
                cpu = (time.process_time() - cpu) / repeat
                extra: dict[str, Any] = {
                    "cpu_s_per_call": round(cpu, 2),
                    "load": round(os.getloadavg()[0], 1),
                    "events": len(events),
                    "input_mib": round(input_mib, 1),
                    "distinct_paths": paths.height,
                }
                reference_s, reference = hand_s, "hand-written polars paths"
                if model in {"first_touch", "last_touch", "linear"}:
                    extra["gap_vs_hand"] = _close(_credit(result), _rule_credit(paths, model), 1e-9)
                if ca is not None and model in {"first_touch", "last_touch", "linear"}:
                    name = {
                        "first_touch": "first_touch",
                        "last_touch": "last_touch",
                        "linear": "linear_touch",
                    }[model]
                    theirs = dict(
                        zip(
                            ca["heuristic"]["channel_name"],
                            ca["heuristic"][f"{name}_conversions"],
                            strict=True,
                        )
                    )
                    extra["gap_vs_ca"] = _close(_credit(result), theirs, 1e-9)
                    reference_s, reference = ca["heuristic_s"], "ChannelAttribution heuristics"
                if ca is not None and model == "markov":
                    theirs = dict(
                        zip(
                            ca["markov"]["channel_name"],
                            ca["markov"]["total_conversions"],
                            strict=True,
                        )
                    )
                    extra["ca_monte_carlo_gap"] = round(_close(_credit(result), theirs, 1.0), 4)
                    reference_s, reference = ca["markov_s"], "ChannelAttribution markov_model"
                if model == "markov":
                    extra["peak_rss_mib"] = round(peak, 1)
                    extra["peak/input"] = round(peak / input_mib, 2)
                extra["hand_paths_s"] = round(hand_s, 3)
                results.append(
                    Result(
                        f"attribute {model} {size} events ({backend})",
                        seconds,
                        reference_s,
                        reference + " (on aggregated paths)"
                        if reference.startswith("Channel")
                        else reference,
                        "< 2 s at 10M (polars, DuckDB)",
                        extra,
                    )
                )
    return results


def _once(func: Any) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


if __name__ == "__main__":
    import sys

    sizes = tuple(sys.argv[1].split(",")) if len(sys.argv) > 1 else ("100k",)
    backends = (
        tuple(sys.argv[2].split(",")) if len(sys.argv) > 2 else ("pandas", "polars", "duckdb")
    )
    models = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    for r in run(sizes=sizes, backends=backends, models=models):
        ratio = "n/a" if r.ratio is None else f"{r.ratio:.2f}x"
        ref = "-" if r.reference_s is None else f"{r.reference_s:.3f}s"
        print(
            f"{r.name:<48} ours {r.ours_s:7.3f}s  {r.reference:<44} {ref:>8} ratio {ratio:>7} {r.extra}",
            flush=True,
        )
