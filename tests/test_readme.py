"""The README's quickstart runs as written (in a subprocess, warnings as errors).

The "scaling out" blocks need a Parquet folder or a Spark cluster; the same calls run on
generated data in tests/backends/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


QUICKSTART = [block for block in BLOCKS if "make_events(" in block]


def test_readme_has_one_quickstart_block():
    assert len(QUICKSTART) == 1


def test_readme_quickstart_runs(tmp_path):
    for block in QUICKSTART:
        completed = subprocess.run(  # noqa: S603 - the README's own example, this interpreter
            [sys.executable, "-W", "error", "-c", block],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
            check=False,
        )
        assert completed.returncode == 0, f"{block}\n{completed.stderr[-3000:]}"
