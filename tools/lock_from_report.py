r"""Turn a ``pip install --dry-run --report`` JSON file into the pinned lines of ci-lock.txt.

Usage (from the repository root; see CONTRIBUTING.md)::

    pip install --dry-run --ignore-installed --quiet --report /tmp/ci-lock.json \
        -e ".[test,lint,spark,sql]"
    python tools/lock_from_report.py /tmp/ci-lock.json > requirements/ci-lock.txt

The project itself and pip are left out (pip-audit audits the installed pip separately).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HEADER = """\
# The resolved dependency set of CI's development install
# (`pip install -e ".[test,lint,spark,sql]"`), pinned ==, audited by `.ci/run` with pip-audit.
# Refresh after changing dependencies or extras
# (see CONTRIBUTING.md, "Dependency audit"):
#   pip install --dry-run --ignore-installed --quiet --report /tmp/ci-lock.json \\
#     -e ".[test,lint,spark,sql]"
#   python tools/lock_from_report.py /tmp/ci-lock.json > requirements/ci-lock.txt
"""
SKIPPED = frozenset({"retention-kpis", "pip"})


def lock_lines(report: dict) -> list[str]:
    """Return ``name==version`` per resolved package, sorted by name (case-insensitive)."""
    pins = {
        item["metadata"]["name"]: item["metadata"]["version"]
        for item in report["install"]
        if item["metadata"]["name"].lower() not in SKIPPED
    }
    return [f"{name}=={pins[name]}" for name in sorted(pins, key=str.lower)]


def main(argv: list[str]) -> int:
    """Print the lock file of the report named by ``argv[1]``."""
    if len(argv) != 2:
        sys.stderr.write("usage: python tools/lock_from_report.py REPORT.json\n")
        return 2
    report = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    sys.stdout.write(HEADER + "".join(f"{line}\n" for line in lock_lines(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
