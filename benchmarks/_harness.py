"""Tiny timing harness shared by the benchmark modules."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
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
