"""Tests of the spec commands of ``retention-kpis``: validate, check, schema, report SPEC.

Exit codes: 0 ok, 1 a check expectation failed, 2 invalid spec/data/usage, 3 unexpected error.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

import pytest
import yaml

import retention_kpis.spec.evaluate
from retention_kpis.cli import main
from retention_kpis.cli.progress import ProgressBar


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def spec_file(tmp_path, base_spec):
    path = tmp_path / "kpis.yaml"
    base_spec["expectations"] = [{"metric": "revenue", "min": 0}]
    path.write_text(yaml.safe_dump(base_spec), encoding="utf-8")
    return path


@pytest.fixture
def failing_spec(tmp_path, base_spec):
    path = tmp_path / "failing.yaml"
    base_spec["expectations"] = [
        {"metric": "conversion", "segment": {"channel": "organic"}, "min": 0.1}
    ]
    path.write_text(yaml.safe_dump(base_spec), encoding="utf-8")
    return path


WINDOW_LINE = 23
"""Line of ``window: fortnight`` in yaml.safe_dump of the broken base spec (keys sorted);
``    window: `` puts the value at column 11 (the metric's keys are indented by 4)."""


@pytest.fixture
def broken_spec(tmp_path, base_spec):
    path = tmp_path / "broken.yaml"
    base_spec["metrics"][3]["window"] = "fortnight"
    path.write_text(yaml.safe_dump(base_spec), encoding="utf-8")
    return path


@pytest.fixture
def data_csv(tmp_path, tiny_events):
    path = tmp_path / "events.csv"
    tiny_events.to_csv(path, index=False)
    return path


# --- validate ----------------------------------------------------------------------------------


def test_validate_valid_spec_exits_0(capsys, spec_file):
    code, out, err = run(capsys, "validate", spec_file)
    assert (code, err) == (0, "")
    assert out == f"{spec_file}: valid (6 metrics, 1 expectations)\n"


def test_validate_quiet_prints_nothing(capsys, spec_file):
    assert run(capsys, "validate", spec_file, "--quiet") == (0, "", "")


def test_validate_invalid_spec_exits_2_with_each_problem(capsys, broken_spec):
    code, out, err = run(capsys, "validate", broken_spec)
    assert (code, out) == (2, "")
    assert err == (
        "error: invalid spec (1 problem):\n"
        f"{broken_spec}:{WINDOW_LINE}:11: metrics[3].window: Input should be 'D', 'W', 'M', 'Q' or 'Y' (got 'fortnight')\n"
    )


def test_validate_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "validate", tmp_path / "nope.yaml")
    assert code == 2
    assert err.startswith("error: invalid spec (1 problem):\n")
    assert "cannot read the file" in err


# --- check -------------------------------------------------------------------------------------


def test_check_all_expectations_hold_exits_0(capsys, spec_file, data_csv):
    code, out, _ = run(capsys, "check", spec_file, "--data", data_csv)
    assert code == 0
    assert (
        out.splitlines()[-1]
        == "OK: 4 checks: 4 passed, 0 failed (0 undefined, 0 missing), 0 skipped"
    )


def test_check_failed_expectation_exits_1_and_lists_value_bound_segment(
    capsys, failing_spec, data_csv
):
    code, out, _ = run(capsys, "check", failing_spec, "--data", data_csv, "--quiet")
    assert code == 1
    # organic converts 0 of 1 visitor in January and in February.
    assert out.splitlines() == [
        "FAIL conversion: conversion = 0 is not >= 0.1 [period 2024-01-01, channel=organic]",
        "FAIL conversion: conversion = 0 is not >= 0.1 [period 2024-02-01, channel=organic]",
        "FAILED: 2 checks: 0 passed, 2 failed (0 undefined, 0 missing), 0 skipped",
    ]


def test_check_invalid_spec_exits_2(capsys, broken_spec, data_csv):
    code, out, err = run(capsys, "check", broken_spec, "--data", data_csv)
    assert (code, out) == (2, "")
    assert f"{broken_spec}:{WINDOW_LINE}:11: metrics[3].window: " in err


def test_check_invalid_data_exits_2_with_the_library_message(capsys, spec_file, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("customer_id,timestamp\na,2024-01-01\n")
    code, out, err = run(capsys, "check", spec_file, "--data", path)
    assert (code, out) == (2, "")
    assert err.startswith("error: Missing column(s) ['event_type'] in events (required).")


def test_check_missing_data_file_exits_2(capsys, spec_file, tmp_path):
    code, _, err = run(capsys, "check", spec_file, "--data", tmp_path / "absent.csv")
    assert code == 2
    assert err == f"error: cannot read {str(tmp_path / 'absent.csv')!r}: no such file\n"


def test_check_without_data_is_a_usage_error(capsys, spec_file):
    code, _, err = run(capsys, "check", spec_file)
    assert code == 2
    assert "the following arguments are required: --data" in err


def test_check_reads_and_stacks_a_folder(capsys, spec_file, tmp_path, tiny_events):
    folder = tmp_path / "parts"
    folder.mkdir()
    tiny_events.iloc[:5].to_csv(folder / "a.csv", index=False)
    tiny_events.iloc[5:].to_parquet(folder / "b.parquet", index=False)
    (folder / "notes.txt").write_text("ignored")
    code, out, _ = run(capsys, "check", spec_file, "--data", folder, "--format", "json")
    assert code == 0
    whole = tmp_path / "whole.csv"
    tiny_events.to_csv(whole, index=False)
    _, out_whole, _ = run(capsys, "check", spec_file, "--data", whole, "--format", "json")
    assert json.loads(out)["results"] == json.loads(out_whole)["results"]


def test_check_empty_folder_exits_2(capsys, spec_file, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    code, _, err = run(capsys, "check", spec_file, "--data", folder)
    assert code == 2
    assert "the folder holds no .csv or .parquet file" in err


def test_check_json_output_parses(capsys, failing_spec, data_csv):
    code, out, _ = run(capsys, "check", failing_spec, "--data", data_csv, "--format", "json")
    assert code == 1
    document = json.loads(out)
    assert document["passed"] is False
    assert document["failures"] == 2
    assert document["source"] == str(failing_spec)
    first = document["results"][0]
    assert (first["actual"], first["bound"], first["segment"], first["outcome"]) == (
        0.0,
        ">= 0.1",
        {"channel": "organic"},
        "fail",
    )


def test_check_junit_output_to_a_file(capsys, failing_spec, data_csv, tmp_path):
    target = tmp_path / "out.xml"
    code, out, _ = run(
        capsys, "check", failing_spec, "--data", data_csv, "--format", "junit", "--output", target
    )
    assert (code, out) == (1, "")
    root = ET.parse(target).getroot()  # noqa: S314 - our own output
    assert root.get("failures") == "2"
    assert len(root.findall("testsuite/testcase/failure")) == 2


def test_check_unexpected_error_exits_3(capsys, spec_file, data_csv, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(retention_kpis.spec.evaluate, "compute_kpis", broken)
    code, _, err = run(capsys, "check", spec_file, "--data", data_csv)
    assert code == 3
    assert "RuntimeError: boom" in err


def test_check_draws_no_progress_bar_when_stderr_is_not_a_terminal(capsys, spec_file, data_csv):
    _, _, err = run(capsys, "check", spec_file, "--data", data_csv)
    assert "\r" not in err


# --- schema ------------------------------------------------------------------------------------


def test_schema_prints_the_spec_json_schema(capsys):
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "retention_kpis metric spec"
    assert schema["additionalProperties"] is False


def test_schema_report_prints_the_report_schema(capsys):
    code, out, _ = run(capsys, "schema", "--report")
    assert code == 0
    assert json.loads(out)["title"] == "KPIReport"


def test_schema_with_unknown_option_exits_2(capsys):
    code, _, err = run(capsys, "schema", "--reprot")
    assert code == 2
    assert "unrecognized arguments: --reprot" in err


# --- report SPEC -------------------------------------------------------------------------------


def test_report_spec_prints_one_column_per_metric(capsys, spec_file, data_csv):
    code, out, _ = run(capsys, "report", spec_file, "--data", data_csv, "--quiet")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [
        "period",
        "channel",
        "conversion",
        "revenue",
        "visitors",
        "retention",
        "rpv",
        "email_share",
    ]
    assert lines[2].split() == ["2024-01-01", "email", "50.0%", "40.00", "2", "-", "20.00", "0.50"]
    assert len(lines) == 6


def test_report_spec_option_and_csv(capsys, spec_file, data_csv):
    code, out, _ = run(capsys, "report", "--spec", spec_file, data_csv, "--format", "csv")
    assert code == 0
    assert out.splitlines()[1] == "2024-01-01,email,0.5,40.0,2,,20.0,0.5"


def test_report_spec_json_parses(capsys, spec_file, data_csv):
    code, out, _ = run(capsys, "report", spec_file, "--data", data_csv, "--format", "json")
    assert code == 0
    assert [m["name"] for m in json.loads(out)["metrics"]][:2] == ["conversion", "revenue"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "one of the arguments events --demo is required"),
        (("--data", "x.csv", "--period", "Q"), "--period and --by are set in the spec"),
    ],
)
def test_report_spec_usage_errors_exit_2(capsys, spec_file, extra, message):
    code, _, err = run(capsys, "report", spec_file, *extra)
    assert code == 2
    assert message in err


def test_report_data_without_spec_exits_2(capsys, data_csv):
    code, _, err = run(capsys, "report", data_csv, "--data", data_csv)
    assert code == 2
    assert "--data goes with a spec" in err


def test_report_spec_with_invalid_spec_exits_2(capsys, broken_spec, data_csv):
    code, _, err = run(capsys, "report", broken_spec, "--data", data_csv)
    assert code == 2
    assert "metrics[3].window" in err


# --- help and version --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("validate", ["--quiet"]),
        ("check", ["--data", "--format", "--output", "--quiet", "Exit status"]),
        ("schema", ["--report"]),
        ("report", ["--spec", "--data", "--demo", "--quiet"]),
    ],
)
def test_every_command_has_help(capsys, command, options):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    for option in options:
        assert option in out


def test_top_level_help_lists_the_commands_and_exit_codes(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for word in ("validate", "check", "schema", "report", "3 unexpected error"):
        assert word in out


# --- progress bar ------------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_draws_on_a_terminal_and_erases_itself():
    stream = FakeTerminal()
    bar = ProgressBar(stream)
    bar(1, 4, "step one")
    assert stream.getvalue() == "\r[######..................] 1/4 step one"
    bar.close()
    assert stream.getvalue().endswith("\r" + " " * 39 + "\r")


def test_progress_bar_is_silent_when_quiet_or_not_a_terminal():
    for stream, quiet in ((FakeTerminal(), True), (io.StringIO(), False)):
        bar = ProgressBar(stream, quiet=quiet)
        bar(1, 2, "x")
        bar.close()
        assert stream.getvalue() == ""
