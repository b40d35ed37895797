"""Speed and memory of the synthetic event generator (retention_kpis.datasets.make_events).

There is no reference implementation to race: the figures are absolute (events per
second, peak traced memory, frame size). Target: about 10 million events (100,000
customers over the default two years) in seconds.
"""

from __future__ import annotations

from _harness import Result, best_time, peak_memory_mb

from retention_kpis.datasets import make_events


def run(quick: bool) -> list[Result]:
    sizes = [10_000] if quick else [10_000, 100_000]
    results = []
    for n in sizes:
        events = make_events(n, seed=0)
        rows = len(events)
        frame_mb = events.memory_usage(deep=True).sum() / 2**20
        del events
        seconds = best_time(lambda n=n: make_events(n, seed=0), repeat=1 if n >= 100_000 else 3)
        peak = peak_memory_mb(lambda n=n: make_events(n, seed=0))
        results.append(
            Result(
                name=f"make_events n_customers={n:,} ({rows:,} events)",
                ours_s=seconds,
                reference_s=None,
                reference="(none: absolute figures)",
                target="10M events in seconds" if n >= 100_000 else "",
                extra={
                    "events": rows,
                    "events_per_customer": round(rows / n, 1),
                    "million_events_per_s": round(rows / seconds / 1e6, 2),
                    "peak_traced_mb": round(peak),
                    "frame_mb": round(frame_mb),
                },
            )
        )
    return results


if __name__ == "__main__":
    for result in run(quick=False):
        print(result.name, f"{result.ours_s:.2f}s", result.extra)
