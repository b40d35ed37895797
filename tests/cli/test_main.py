"""Tests of retention_kpis.cli (the ``retention-kpis`` console script)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

import retention_kpis.report
from retention_kpis import __version__
from retention_kpis.cli import DEMO_CUSTOMERS, DEMO_SEED, main
from retention_kpis.datasets import make_events

KPI_HEADER = [
    "period",
    "visitors",
    "conversion_rate",
    "orders",
    "revenue",
    "spend",
    "new_customers",
    "cpa",
    "cac",
    "roas",
    "aov",
    "purchase_frequency",
    "csat",
    "nps",
    "active_customers",
    "retention_rate",
    "churn_rate",
    "clv",
    "referrals",
    "referral_rate",
    "referred_customers",
    "referred_customer_share",
    "emails_delivered",
    "email_open_rate",
    "email_ctr",
    "email_cto_rate",
    "email_unsubscribe_rate",
    "email_attributed_repeat_purchases",
    "pareto_share",
]


@pytest.fixture(scope="module")
def small_events():
    return make_events(200, seed=1, start="2024-01-01", end="2024-06-30")


@pytest.fixture
def events_csv(tmp_path, small_events):
    path = tmp_path / "events.csv"
    small_events.to_csv(path, index=False)
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_prints_package_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"retention-kpis {__version__}"


def test_help_lists_report_command(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "report" in out
    assert "Exit status" in out


def test_report_help_lists_options(capsys):
    code, out, _ = run(capsys, "report", "--help")
    assert code == 0
    for option in ("--demo", "--period", "--by", "--format", "--output"):
        assert option in out


def test_no_command_is_a_usage_error(capsys):
    code, _, err = run(capsys)
    assert code == 2
    assert "usage:" in err


def test_report_without_source_is_a_usage_error(capsys):
    code, _, err = run(capsys, "report")
    assert code == 2
    assert "one of the arguments events --demo is required" in err


def test_report_with_file_and_demo_is_a_usage_error(capsys, events_csv):
    code, _, err = run(capsys, "report", str(events_csv), "--demo")
    assert code == 2
    assert "not allowed with argument" in err


def test_invalid_period_is_a_usage_error(capsys):
    code, _, err = run(capsys, "report", "--demo", "--period", "H")
    assert code == 2
    assert "invalid choice: 'H'" in err


def test_demo_table_has_one_row_per_month_and_notes(capsys):
    code, out, err = run(capsys, "report", "--demo")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    # Without --engagement the 11 engagement columns are null on every row: left out, and
    # named under the table (not a terminal: the table is not wrapped).
    engagement = KPI_HEADER[KPI_HEADER.index("referrals") :]
    assert len(engagement) == 11
    assert lines[0].split() == KPI_HEADER[: KPI_HEADER.index("referrals")]
    assert set(lines[1]) == {"-", " "}
    assert f"(null on every row, not shown: {', '.join(engagement)})" in lines
    # The demo covers 2024-01-01 .. 2025-12-31: 24 monthly rows, Jan 2024 first.
    rows = lines[2 : lines.index("") - 1]
    assert len(rows) == 24
    assert rows[0].startswith("2024-01-01")
    assert rows[-1].startswith("2025-12-01")
    assert "Notes:" in lines
    # Columns line up: every row is as long as the header (numbers are right-aligned).
    assert {len(row) for row in rows} == {len(lines[0])}


def test_demo_whole_period_matches_the_demo_events(capsys):
    # Independent totals from the demo frame itself (plain pandas, not compute_kpis).
    events = make_events(DEMO_CUSTOMERS, seed=DEMO_SEED)
    purchases = events[events["event_type"] == "purchase"]
    code, out, _ = run(capsys, "report", "--demo", "--period", "none", "--format", "json")
    assert code == 0
    document = json.loads(out)
    (row,) = document["rows"]
    assert row["visitors"] == DEMO_CUSTOMERS  # every simulated visitor visits
    assert row["orders"] == len(purchases)
    assert row["revenue"] == pytest.approx(purchases["revenue"].sum())
    spend = events.loc[events["event_type"] == "spend", "cost"].sum()
    assert row["spend"] == pytest.approx(spend)
    assert row["retention_rate"] is None
    assert document["notes"]


def test_period_none_table_labels_the_row_all(capsys):
    code, out, _ = run(capsys, "report", "--demo", "--period", "none")
    assert code == 0
    assert out.splitlines()[2].startswith("all ")


def test_csv_format_is_parseable_and_notes_go_to_stderr(capsys, events_csv, small_events):
    code, out, err = run(capsys, "report", str(events_csv), "--format", "csv", "--period", "M")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == KPI_HEADER
    # 2024-01-01 .. 2024-06-30: six months.
    assert [row["period"] for row in rows] == [f"2024-0{m}-01" for m in range(1, 7)]
    revenue = small_events.loc[small_events["event_type"] == "purchase", "revenue"].sum()
    assert sum(float(row["revenue"] or 0) for row in rows) == pytest.approx(revenue)
    assert all(line.startswith("note: ") for line in err.splitlines())
    assert err  # the first month has no previous period: a retention note


def test_by_accepts_repeated_and_comma_separated_columns(capsys, events_csv, small_events):
    code, out, _ = run(
        capsys,
        "report",
        str(events_csv),
        "--period",
        "none",
        "--by",
        "channel,campaign",
        "--by",
        "event_type",
        "--format",
        "csv",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:4] == ["period", "channel", "campaign", "event_type"]
    groups = small_events.groupby(["channel", "campaign", "event_type"], dropna=False).ngroups
    assert len(rows) == groups


def test_parquet_file_gives_the_same_report_as_csv(capsys, tmp_path, small_events, events_csv):
    path = tmp_path / "events.parquet"
    small_events.to_parquet(path)
    code_parquet, out_parquet, _ = run(capsys, "report", str(path), "--format", "csv")
    code_csv, out_csv, _ = run(capsys, "report", str(events_csv), "--format", "csv")
    assert code_parquet == code_csv == 0
    assert out_parquet == out_csv


def test_parquet_without_pyarrow_is_a_clear_error(capsys, tmp_path, monkeypatch):
    path = tmp_path / "events.parquet"
    path.write_bytes(b"PAR1")
    real_find_spec = __import__("importlib.util").util.find_spec

    def find_spec(name, *args):
        return None if name == "pyarrow" else real_find_spec(name, *args)

    monkeypatch.setattr("importlib.util.find_spec", find_spec)
    code, out, err = run(capsys, "report", str(path), "--reader", "pandas")
    assert code == 2
    assert out == ""
    assert err == (
        "error: reading Parquet files needs pyarrow: pip install 'retention-kpis[parquet]'\n"
    )


def test_output_writes_the_file_and_nothing_to_stdout(capsys, tmp_path, events_csv):
    target = tmp_path / "kpis.json"
    code, out, _ = run(
        capsys, "report", str(events_csv), "--format", "json", "--output", str(target)
    )
    assert code == 0
    assert out == ""
    assert json.loads(target.read_text())["period"] == "M"


def test_unwritable_output_is_an_input_error(capsys, tmp_path, events_csv):
    code, _, err = run(capsys, "report", str(events_csv), "--output", str(tmp_path))
    assert code == 2
    assert err.startswith(f"error: cannot write {str(tmp_path)!r}: ")


def test_missing_file_is_an_input_error(capsys, tmp_path):
    missing = tmp_path / "missing.csv"
    code, _, err = run(capsys, "report", str(missing))
    assert code == 2
    assert err == f"error: cannot read {str(missing)!r}: no such file\n"


def test_unsupported_suffix_is_an_input_error(capsys, tmp_path):
    path = tmp_path / "events.txt"
    path.write_text("customer_id\n1\n")
    code, _, err = run(capsys, "report", str(path))
    assert code == 2
    assert err == f"error: cannot read {str(path)!r}: expected a .csv or .parquet file\n"


def test_undecodable_csv_is_an_input_error(capsys, tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"customer_id,timestamp\n\xff\xfe\xfa,\x00\x81\n")
    code, _, err = run(capsys, "report", str(path))
    assert code == 2
    assert err.startswith(f"error: cannot read {str(path)!r}: ")


def test_library_error_prints_message_without_traceback(capsys, tmp_path):
    path = tmp_path / "events.csv"
    pd.DataFrame({"user": [1], "when": ["2024-01-01"]}).to_csv(path, index=False)
    code, out, err = run(capsys, "report", str(path))
    assert code == 2
    assert out == ""
    assert err.startswith("error: Missing column(s) ['customer_id', 'timestamp', 'event_type']")
    assert "Traceback" not in err


def test_missing_by_column_is_an_input_error(capsys, events_csv):
    code, _, err = run(capsys, "report", str(events_csv), "--by", "region")
    assert code == 2
    assert err.startswith("error: Missing column(s) ['region']")


def test_unexpected_error_exits_3_with_traceback(capsys, monkeypatch, events_csv):
    # 3, not 1: `check` uses 1 for "an expectation failed", so a crash must differ from it.
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(retention_kpis.report, "compute_kpis", broken)
    code, _, err = run(capsys, "report", str(events_csv))
    assert code == 3
    assert "RuntimeError: boom" in err
    assert err.endswith("error: unexpected failure (a bug in retention_kpis? please report it)\n")


def test_installed_console_script_runs_the_demo():
    script = shutil.which("retention-kpis") or str(
        __import__("pathlib").Path(sys.executable).with_name("retention-kpis")
    )
    result = subprocess.run(  # noqa: S603 - fixed argv built by the test
        [script, "report", "--demo", "--period", "Y", "--format", "csv"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["period"] for row in rows] == ["2024-01-01", "2025-01-01"]


def test_python_dash_m_reports_bad_input_with_exit_2(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("a,b\n1,2\n")
    result = subprocess.run(  # noqa: S603 - fixed argv built by the test
        [sys.executable, "-m", "retention_kpis", "report", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: Missing column(s)")
    assert "Traceback" not in result.stderr


def test_corrupt_parquet_is_an_input_error(capsys, tmp_path):
    path = tmp_path / "events.parquet"
    path.write_bytes(b"not parquet at all")
    code, _, err = run(capsys, "report", str(path))
    assert code == 2
    assert err.startswith(f"error: cannot read {str(path)!r}: ")


def test_attribution_option_credits_orders_to_channels(capsys, events_csv, small_events):
    code, out, _ = run(
        capsys,
        "report",
        str(events_csv),
        "--by",
        "channel",
        "--attribution",
        "last_touch",
        "--format",
        "csv",
        "--quiet",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    # Credit only moves between channels: attributed orders sum to the purchase rows.
    purchases = int((small_events["event_type"] == "purchase").sum())
    assert sum(float(row["orders"]) for row in rows) == pytest.approx(purchases)
    # make_events puts a visit before every purchase, so every order goes to a real channel.
    assert {row["channel"] for row in rows if float(row["orders"] or 0) > 0} <= set(
        small_events["channel"].dropna()
    )


def test_attribution_option_without_channel_segment_is_an_error(capsys, events_csv):
    code, _, err = run(capsys, "report", str(events_csv), "--attribution", "linear")
    assert code != 0
    assert "The 'attribution' parameter of compute_kpis needs the channel column" in err


def test_engagement_option_fills_the_engagement_columns(capsys, events_csv, small_events):
    argv = ("report", str(events_csv), "--period", "none", "--format", "csv", "--quiet")
    code, out, _ = run(capsys, *argv)
    assert code == 0
    (lean,) = list(csv.DictReader(io.StringIO(out)))
    assert lean["emails_delivered"] == ""  # not computed without --engagement
    code, out, _ = run(capsys, *argv, "--engagement")
    assert code == 0
    (full,) = list(csv.DictReader(io.StringIO(out)))
    # Independent count: delivered emails are the distinct (customer, second) email_sent rows.
    sent = small_events[small_events["event_type"] == "email_sent"]
    delivered = len(
        sent.assign(second=sent["timestamp"].dt.floor("s"))[
            ["customer_id", "second"]
        ].drop_duplicates()
    )
    assert delivered > 0
    assert int(float(full["emails_delivered"])) == delivered
    assert 0.0 <= float(full["email_open_rate"]) <= 1.0
