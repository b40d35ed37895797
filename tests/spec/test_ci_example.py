"""The worked example of docs/ci.md, end to end through the installed console script.

Runs ``retention-kpis`` as a subprocess on ``examples/ci/kpis.yaml`` and ``examples/ci/events.csv``
(generated once with make_events(200, seed=7, start="2024-01-01", end="2024-06-30",
visits_per_week=0.5)), checking exit codes and the text, JSON and JUnit outputs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import EXAMPLES, REPO

CI = EXAMPLES / "ci"
SPEC = CI / "kpis.yaml"
DATA = CI / "events.csv"


@pytest.fixture(scope="module")
def script():
    found = shutil.which("retention-kpis") or shutil.which(
        "retention-kpis", path=str(Path(sys.executable).parent)
    )
    assert found, "the retention-kpis console script is not installed"
    return found


def cli(script, *argv):
    return subprocess.run(  # noqa: S603 - fixed argv built by the test
        [script, *map(str, argv)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=REPO,
    )


def test_docs_show_the_files_of_the_example():
    docs = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    workflow = (CI / "github-workflow.yml").read_text(encoding="utf-8")
    assert "retention-kpis check examples/ci/kpis.yaml --data examples/ci/events.csv" in workflow
    # The workflow in the docs is the committed file, from its `name:` line on.
    assert workflow[workflow.index("name: KPI checks") :] in docs


def test_validate_example_exits_0(script):
    result = cli(script, "validate", "examples/ci/kpis.yaml")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "examples/ci/kpis.yaml: valid (9 metrics, 5 expectations)\n"


def test_check_example_passes_with_text_output(script):
    result = cli(script, "check", "examples/ci/kpis.yaml", "--data", "examples/ci/events.csv")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "OK: 15 checks: 14 passed, 0 failed (0 undefined, 0 missing), 1 skipped"
    # June 2024: revenue 2995.36 over 91 visitors (compute_kpis report of the same file).
    assert (
        "PASS revenue_per_visitor: revenue_per_visitor = 32.916 is >= 20 [period 2024-06-01]"
        in lines
    )
    assert "SKIP retention: retention is undefined (null) [period 2024-01-01]" in lines
    assert "\r" not in result.stderr  # no progress bar: stderr is a pipe


def test_check_example_json_output(script):
    result = cli(script, "check", SPEC, "--data", DATA, "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["passed"] is True
    ledger = [
        r for r in document["results"] if r["name"] == "June revenue matches the finance ledger"
    ]
    assert [(r["period"], r["outcome"]) for r in ledger] == [("2024-06-01", "pass")]
    assert ledger[0]["actual"] == pytest.approx(2995.36, abs=1e-9)  # a float sum of cents


def test_tightened_bound_fails_with_exit_1_and_junit_failure(script, tmp_path):
    spec = tmp_path / "kpis.yaml"
    text = SPEC.read_text(encoding="utf-8")
    assert "    min: 2\n" in text
    spec.write_text(text.replace("    min: 2\n", "    min: 5\n"), encoding="utf-8")
    result = cli(script, "check", spec, "--data", DATA, "--format", "junit", "--quiet")
    assert result.returncode == 1, result.stderr
    root = ET.fromstring(result.stdout.split("?>", 1)[1])  # noqa: S314 - our own output
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("15", "1", "1")
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message") == (
        "ads pay back at least twice in the latest month: roas = 4.79035 is not >= 5 [period 2024-06-01]"
    )
    text_result = cli(script, "check", spec, "--data", DATA, "--quiet")
    assert text_result.returncode == 1
    assert text_result.stdout.splitlines()[0].startswith("FAIL ads pay back")


def test_broken_spec_exits_2(script, tmp_path):
    spec = tmp_path / "kpis.yaml"
    spec.write_text(
        SPEC.read_text(encoding="utf-8").replace("window: M", "window: fortnight"), encoding="utf-8"
    )
    for command in (["validate", spec], ["check", spec, "--data", DATA]):
        result = cli(script, *command)
        assert result.returncode == 2
        # "    window: M" is line 46 of examples/ci/kpis.yaml; its value starts at column 13.
        assert (
            f"{spec}:46:13: metrics[3].window: Input should be 'D', 'W', 'M', 'Q' or 'Y' "
            "(got 'fortnight')" in result.stderr
        )
        assert "Traceback" not in result.stderr


def test_schema_and_version(script):
    result = cli(script, "schema")
    assert result.returncode == 0
    assert json.loads(result.stdout)["properties"]["version"]["const"] == 1
    version = cli(script, "--version")
    assert version.returncode == 0
    assert version.stdout.startswith("retention-kpis ")
