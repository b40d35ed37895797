"""Wall time of ``import retention_kpis`` in a fresh interpreter (target: under 0.3 s).

The reference row is ``import pandas`` alone, which the package does not need at import.
"""

from __future__ import annotations

import subprocess
import sys
import time

from _harness import Result


def _fresh_import(module: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - start


def _interpreter() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def run(quick: bool) -> list[Result]:
    repeat = 3 if quick else 7
    base = min(_interpreter() for _ in range(repeat))
    ours = min(_fresh_import("retention_kpis") for _ in range(repeat)) - base
    pandas = min(_fresh_import("pandas") for _ in range(repeat)) - base
    return [
        Result(
            "import retention_kpis (interpreter start subtracted)",
            ours,
            pandas,
            "import pandas",
            target="< 0.3 s",
        )
    ]
