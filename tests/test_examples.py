"""Every script in examples/ runs to completion with warnings as errors.

The examples are part of the documentation; this keeps them working.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_examples_folder_is_not_empty():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("script", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs_cleanly(script, tmp_path):
    completed = subprocess.run(  # noqa: S603 - our own scripts, run with this interpreter
        [sys.executable, "-W", "error", str(script)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip(), f"{script.name} printed nothing"
