"""Fuzz run configuration: the ``fuzz`` hypothesis profile and the time budget.

``fuzz/`` is not among pytest's testpaths, so the normal test run never collects
it. Run it with (see CONTRIBUTING.md)::

    FUZZ_MINUTES=10 python -m pytest fuzz -p no:cacheprovider --hypothesis-profile=fuzz -s

``FUZZ_MINUTES`` is the wall-time budget of the whole run, shared equally by the
fuzz targets; each target keeps running fresh batches of hypothesis examples
until its share is spent. Without it every target runs one batch (a smoke run).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The fuzz targets import their strategies from this folder (fuzz/_frames.py).
sys.path.insert(0, str(Path(__file__).parent))

# One batch of examples per call of an inner @given test; batches repeat until the budget ends.
BATCH = 200
TARGETS = 5  # the fuzz targets of this folder, which share FUZZ_MINUTES equally

settings.register_profile(
    "fuzz",
    max_examples=BATCH,
    deadline=None,
    database=None,  # every batch explores new inputs; failures print their reproducer
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_TOTALS: dict[str, tuple[int, int, float]] = {}


def _budget_seconds() -> float:
    minutes = os.environ.get("FUZZ_MINUTES")
    return 0.0 if not minutes else float(minutes) * 60.0 / TARGETS


@pytest.fixture
def fuzz_loop(request: pytest.FixtureRequest) -> Iterator[Callable[[Callable[[], int]], None]]:
    """Call ``run_batch()`` (one hypothesis run, returning its example count) until the budget ends."""
    examples = 0
    batches = 0
    start = time.monotonic()

    def loop(run_batch: Callable[[], int]) -> None:
        nonlocal examples, batches
        budget = _budget_seconds()
        while True:
            examples += run_batch()
            batches += 1
            if time.monotonic() - start >= budget:
                return

    yield loop
    _TOTALS[request.node.name] = (examples, batches, time.monotonic() - start)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print examples and batches run per fuzz target."""
    if not _TOTALS:
        return
    terminalreporter.section("fuzz totals")
    for name, (examples, batches, seconds) in sorted(_TOTALS.items()):
        terminalreporter.write_line(
            f"{name}: {examples} examples in {batches} batches, {seconds:.0f} s"
        )
    total = sum(examples for examples, _, _ in _TOTALS.values())
    terminalreporter.write_line(f"total: {total} examples")
