"""Time retentioneering's funnel on a Parquet file of events (run in its own venv).

Usage: ``python _retentioneering_funnel.py EVENTS.parquet STEP [STEP ...]``; prints one JSON
line: the seconds to build the Eventstream (its preprocessing sorts and indexes the
events), the best of three ``funnel_data`` calls, the peak resident memory of the process
(MiB) and the users reaching each step. Tracking is switched off (RETENTIONEERING_NO_TRACK,
set before the import): retentioneering sends usage events to PostHog by default.

Semantics differ from ``retention_kpis.funnels.funnel``: retentioneering's ordered funnel
has no conversion window and needs each step strictly after the previous one in the
event order (its row index after sorting by time); ours matches at or after the previous
step's time within ``within`` of the first step.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

os.environ["RETENTIONEERING_NO_TRACK"] = "1"


def main(path: str, steps: list[str]) -> None:
    import pandas as pd  # noqa: PLC0415 - in retentioneering's own environment
    from retentioneering.eventstream import Eventstream  # noqa: PLC0415

    events = pd.read_parquet(path, columns=["customer_id", "timestamp", "event_type"])
    events = events.dropna(subset=["customer_id"])
    frame = events.rename(columns={"customer_id": "user_id", "event_type": "event"})
    start = time.perf_counter()
    stream = Eventstream(frame, schema={"path_cols": ["user_id"]})
    build = time.perf_counter() - start
    best = float("inf")
    result: dict[str, list[dict[str, float]]] = {}
    for _ in range(3):
        start = time.perf_counter()
        result = stream.funnel_data(steps=steps)
        best = min(best, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reached = [int(step["unique_paths"]) for step in result["steps"]]
    print(json.dumps({"build_s": build, "seconds": best, "peak_rss_mib": peak, "reached": reached}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
