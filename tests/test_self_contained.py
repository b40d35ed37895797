"""Gate: a clone is self-sufficient, so nothing points at data outside the repository.

The reference data used to sit in a folder beside the repository (``..`` then the folder
``S`` below, with a ``data`` folder inside), which exists in the project's CI workspace but
not in a user's clone: tests passed in CI and failed for users. The data the users need now
ships in ``retention_kpis.datasets`` and what only the tests read is in ``tests/data``. This
gate scans every text file of tests/, examples/, docs/, benchmarks/, fuzz/ and tools/ (and
the top-level docs and configuration) for a path into that folder, in any spelling (the
snippets at the end list them). ``.ci/run`` proves the rest by running the suite in a fresh
clone with no such folder beside it. (This file spells the folder's name only through ``S``.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECKED = ("tests", "examples", "docs", "benchmarks", "fuzz", "tools")
TOP_LEVEL = ("README.md", "CONTRIBUTING.md", "pyproject.toml", "mkdocs.yml")
BINARY_SUFFIXES = frozenset({".gz", ".png", ".jpg", ".jpeg", ".svg", ".parquet", ".pyc", ".ico"})

# Written so that this file's own text does not match: ../S, ..\\S, S/data, /work/S, a quoted
# "S" path component (Path(...) / "S"), and the old S_data fixture that pointed there.
OUTSIDE = re.compile(
    r"\.\.[/\\]+shared\b"
    r"|\bshared[/\\]+data\b"
    r"|/work/+shared\b"
    r"|[\"']shared[\"']"
    r"|\bshared_data\b"
)


def outside_references(text: str, filename: str = "<snippet>") -> list[str]:
    """Return one ``file:line: text`` message per line of ``text`` that points outside."""
    return [
        f"{filename}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if OUTSIDE.search(line)
    ]


def checked_files() -> list[Path]:
    files = [
        path
        for folder in CHECKED
        for path in sorted((REPO / folder).rglob("*"))
        if path.is_file()
        and path.suffix not in BINARY_SUFFIXES
        and "__pycache__" not in path.parts
        and ".ipynb_checkpoints" not in path.parts
    ]
    files += [REPO / name for name in TOP_LEVEL]
    assert len(files) > 100, "too few files found: is the repository layout unchanged?"
    return files


def test_no_file_points_outside_the_repository():
    problems = [
        problem
        for path in checked_files()
        for problem in outside_references(
            path.read_text(encoding="utf-8", errors="replace"), str(path.relative_to(REPO))
        )
    ]
    assert problems == []


def test_the_scan_covers_each_folder_and_the_notebooks():
    scanned = {path.relative_to(REPO).parts[0] for path in checked_files()}
    assert scanned >= {*CHECKED, *TOP_LEVEL}
    assert any(path.suffix == ".ipynb" for path in checked_files())
    assert REPO / "tests" / "conftest.py" in checked_files()


# The snippets spell the folder as {S} so that they do not trip the gate themselves.
S = "sha" + "red"


@pytest.mark.parametrize(
    "snippet",
    [
        'DATA = Path(__file__).resolve().parents[2] / "{S}" / "data"',
        "DATA = Path(__file__).parents[2] / '{S}' / 'data' / 'cdnow'",
        'pd.read_csv("../{S}/data/cdnow/CDNOW_sample.txt")',
        "see ..\\{S}\\data for the files",
        "the files are in {S}/data/SOURCES.md",
        "cp /work/{S}/data/donations/donations.csv .",
        "def test_x({S}_data):",
        '    "source": ["df = pd.read_csv(\\"../../{S}/data/x.csv\\")"]',
    ],
)
def test_gate_flags_a_path_outside(snippet):
    assert outside_references(snippet.format(S=S)) != []


@pytest.mark.parametrize(
    "snippet",
    [
        "Rules {S} by every function",
        "one {S} local[2] session per test run",
        "holds 1 order id {S} by more than one customer",
        "order-id-{S}-by-two-customers",
        "Helpers {S} by the 50-digit mpmath reference tests",
        "the {S} L-BFGS-B fit",
    ],
)
def test_gate_ignores_the_word_in_prose(snippet):
    assert outside_references(snippet.format(S=S)) == []
