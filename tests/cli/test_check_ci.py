"""``retention-kpis check`` for CI: change expectations, severity, --select, GitHub and Markdown.

The events are seven purchases written out below; every expected number is worked out by
hand from them in the comments (monthly revenue per channel).
"""

from __future__ import annotations

import json

import pytest

from retention_kpis.cli import main

EVENTS = """\
customer_id,timestamp,event_type,revenue,channel
c1,2023-01-15,purchase,100,email
c1,2023-02-15,purchase,70,email
c1,2023-03-15,purchase,90,email
c1,2023-04-15,purchase,40,email
c1,2024-01-15,purchase,130,email
c2,2023-01-15,purchase,50,social
c2,2023-02-15,purchase,45,social
"""
# Monthly revenue: email Jan-23 100, Feb-23 70, Mar-23 90, Apr-23 40, Jan-24 130;
# social Jan-23 50, Feb-23 45. No other month has events (so no row).

SPEC = """\
version: 1
segments: [channel]
metrics:
  - {name: revenue, type: builtin, kpi: revenue}
  - {name: orders, type: builtin, kpi: orders}
expectations:
  - name: revenue drop
    metric: revenue
    change: {against: previous, relative: true, min: -0.2}
  - name: revenue near its trailing median
    metric: revenue
    severity: warn
    tags: [finance]
    change: {against: trailing_median, periods: 2, within: 25}
  - name: revenue against last year
    metric: revenue
    change: {against: year_ago, max: 20}
    tags: [finance]
  - {metric: orders, min: 1}
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "events.csv").write_text(EVENTS, encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return tmp_path


def run(capsys, folder, *extra):
    code = main(["check", str(folder / "spec.yaml"), "--data", str(folder / "events.csv"), *extra])
    out, err = capsys.readouterr()
    return code, out.replace(str(folder) + "/", ""), err


def test_previous_period_change_is_checked_per_segment(capsys, files):
    # Relative change against the previous month, per channel: email Feb (70 - 100) / 100 =
    # -0.3 fails; Mar (90 - 70) / 70 = +0.2857 passes; Apr (40 - 90) / 90 = -0.5556 fails;
    # social Feb (45 - 50) / 50 = -0.1 passes. January 2023 and January 2024 have no
    # previous month in the data: skipped.
    code, out, _ = run(capsys, files, "--select", "revenue drop")
    assert code == 1
    assert out == (
        "SKIP revenue drop: revenue = 100, no reference: no period 2022-12-01 "
        "[period 2023-01-01, channel=email]\n"
        "SKIP revenue drop: revenue = 50, no reference: no period 2022-12-01 "
        "[period 2023-01-01, channel=social]\n"
        "FAIL revenue drop: revenue = 70 against 100 (2023-01-01): relative change -0.3 is not "
        "within [-0.2, inf] [period 2023-02-01, channel=email]\n"
        "PASS revenue drop: revenue = 45 against 50 (2023-01-01): relative change -0.1 is "
        "within [-0.2, inf] [period 2023-02-01, channel=social]\n"
        "PASS revenue drop: revenue = 90 against 70 (2023-02-01): relative change +0.2857 is "
        "within [-0.2, inf] [period 2023-03-01, channel=email]\n"
        "FAIL revenue drop: revenue = 40 against 90 (2023-03-01): relative change -0.5556 is "
        "not within [-0.2, inf] [period 2023-04-01, channel=email]\n"
        "SKIP revenue drop: revenue = 130, no reference: no period 2023-12-01 "
        "[period 2024-01-01, channel=email]\n"
        "FAILED: 7 checks: 2 passed, 2 failed (0 undefined, 0 missing), 3 skipped\n"
    )


def test_trailing_median_warns_and_exits_0(capsys, files):
    # Median of the (up to) 2 months before: email Feb: median(100) = 100, 70 - 100 = -30
    # (outside +-25: a warning); Mar: median(100, 70) = 85, +5 passes; Apr: median(70, 90) =
    # 80, 40 - 80 = -40 warns; social Feb: median(50) = 50, -5 passes. Warnings exit 0.
    code, out, _ = run(capsys, files, "--select", "revenue near its trailing median", "-q")
    assert code == 0
    assert out == (
        "WARN revenue near its trailing median: revenue = 70 against 100 (median of 1 of 2 "
        "periods): change -30 is not within [-25, 25] [period 2023-02-01, channel=email]\n"
        "WARN revenue near its trailing median: revenue = 40 against 80 (median of 2 of 2 "
        "periods): change -40 is not within [-25, 25] [period 2023-04-01, channel=email]\n"
        "OK: 7 checks: 2 passed, 0 failed (0 undefined, 0 missing), 2 warnings, 3 skipped\n"
    )


def test_year_ago_change_and_select_by_tag_as_github_annotations(capsys, files):
    # tag:finance picks expectations 1 and 2. Year ago: email Jan-24 130 against Jan-23 100:
    # +30 > 20 fails; every 2023 month has no 2022 month: skipped. In SPEC expectation 1
    # starts on line 10 and expectation 2 on line 15, both at column 5 (after "  - ").
    code, out, _ = run(capsys, files, "--select", "tag:finance", "--format", "github")
    assert code == 1
    assert out == (
        "::warning file=spec.yaml,line=10,col=5,title=revenue near its trailing median::"
        "revenue near its trailing median: revenue = 70 against 100 (median of 1 of 2 periods): "
        "change -30 is not within [-25, 25] [period 2023-02-01, channel=email]\n"
        "::warning file=spec.yaml,line=10,col=5,title=revenue near its trailing median::"
        "revenue near its trailing median: revenue = 40 against 80 (median of 2 of 2 periods): "
        "change -40 is not within [-25, 25] [period 2023-04-01, channel=email]\n"
        "::error file=spec.yaml,line=15,col=5,title=revenue against last year::"
        "revenue against last year: revenue = 130 against 100 (2023-01-01): change +30 is not "
        "within [-inf, 20] [period 2024-01-01, channel=email]\n"
        "FAILED: 14 checks: 2 passed, 1 failed (0 undefined, 0 missing), 2 warnings, "
        "9 skipped\n"
    )


def test_markdown_summary_lists_failures_and_warnings(capsys, files):
    # orders >= 1 holds on all 7 rows (one purchase per month and channel) and the year-ago
    # expectation fails once (above); the other 6 rows have no year-ago month.
    code, out, _ = run(
        capsys, files, "--select", "orders,revenue against last year", "--format", "markdown"
    )
    assert code == 1
    assert out == (
        "## KPI check: FAILED\n\n"
        "`spec.yaml` on `events.csv`: 14 checks: 7 passed, 1 failed (0 undefined, 0 missing), "
        "6 skipped\n\n"
        "| | expectation | period | segment | value | bound | outcome |\n"
        "|---|---|---|---|---|---|---|\n"
        "| FAIL | revenue against last year | 2024-01-01 | channel=email | 130 | change "
        "against the same period a year ago <= 20 | fail |\n"
    )


def test_one_run_writes_junit_and_the_step_summary(capsys, files):
    summary = files / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    code, out, _ = run(
        capsys,
        files,
        "--select",
        "orders",
        "--junit",
        str(files / "junit.xml"),
        "--summary",
        str(summary),
        "-q",
    )
    assert code == 0
    assert out == "OK: 7 checks: 7 passed, 0 failed (0 undefined, 0 missing), 0 skipped\n"
    assert '<testsuites name="retention-kpis check" tests="7" failures="0"' in (
        files / "junit.xml"
    ).read_text(encoding="utf-8")
    # Appended, as GitHub's $GITHUB_STEP_SUMMARY expects.
    assert summary.read_text(encoding="utf-8").startswith("earlier step\n## KPI check: OK\n")


def test_select_naming_nothing_is_a_clear_error(capsys, files):
    code, _, err = run(capsys, files, "--select", "tag:nightly")
    assert code == 2
    assert err == (
        "error: The 'select' parameter of check_spec must name expectations, metrics or "
        "tag:NAME of the spec. Got 'tag:nightly' instead, which picks nothing. Names: "
        "['orders', 'revenue', 'revenue against last year', 'revenue drop', "
        "'revenue near its trailing median']; tags: ['finance'].\n"
    )


def test_check_json_is_strict_and_carries_severity_and_reference(capsys, files):
    code, out, _ = run(capsys, files, "--select", "revenue drop", "--format", "json")
    assert code == 1

    def no_constant(name):
        raise ValueError(name)

    document = json.loads(out, parse_constant=no_constant)
    skipped = document["results"][0]
    assert skipped["outcome"] == "skipped"
    assert skipped["reference"] is None  # no previous month: null, not NaN
    failed = document["results"][2]
    assert (failed["severity"], failed["reference"], failed["actual"]) == ("error", 100.0, 70.0)
    assert (document["failures"], document["warnings"]) == (2, 0)


def test_change_cannot_be_combined_with_min(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nmetrics: [{name: r, type: builtin, kpi: revenue}]\nexpectations:\n"
        "  - {metric: r, min: 0, change: {against: previous, max: 1}}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(spec)]) == 2
    _, err = capsys.readouterr()
    assert err == (
        "error: invalid spec (1 problem):\n"
        f"{spec}:4:5: expectations[0]: change cannot be combined with min, max or equals\n"
    )


def test_check_notes_only_the_kpis_the_spec_uses(capsys, files):
    # The events hold no visits, spend or survey answers, so the report notes null
    # conversion rates, ROAS, NPS, ... and the engagement columns; a spec checking only
    # revenue and NPS hears about NPS alone: 5 monthly rows (Jan-Apr 2023, Jan 2024)
    # without NPS responses.
    spec = files / "nps.yaml"
    spec.write_text(
        "version: 1\nmetrics:\n  - {name: nps, type: builtin, kpi: nps}\n"
        "  - {name: revenue, type: builtin, kpi: revenue}\n"
        "expectations:\n  - {metric: revenue, min: 0}\n"
        "  - {metric: nps, min: 0, undefined: skip}\n",
        encoding="utf-8",
    )
    code = main(["check", str(spec), "--data", str(files / "events.csv")])
    _, err = capsys.readouterr()
    assert code == 0
    assert err == "note: nps is null where there are no NPS responses (5 rows).\n"


@pytest.mark.parametrize("reader", ["duckdb", "polars", "pandas"])
def test_filter_columns_of_a_spec_are_read_as_text(capsys, tmp_path, reader):
    # Namibia's code "NA" is a country, not a missing value, in a column a measure filters
    # on; YAML 1.2 keeps the spec's NA (and NO) text too. Purchases: 2 in NA, 1 in NO, 1 with
    # an empty country cell: the filter counts 2.
    (tmp_path / "events.csv").write_text(
        "customer_id,timestamp,event_type,revenue,country\n"
        "a,2024-01-02,purchase,1,NA\nb,2024-01-03,purchase,1,NA\n"
        "c,2024-01-04,purchase,1,NO\nd,2024-01-05,purchase,1,\n",
        encoding="utf-8",
    )
    (tmp_path / "spec.yaml").write_text(
        "version: 1\nmetrics:\n  - name: namibia_orders\n    type: simple\n"
        "    measure: {count: purchase, filter: {country: [NA]}}\n"
        "expectations:\n  - {metric: namibia_orders, equals: 2}\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, tmp_path, "--reader", reader, "-q")
    assert out == "OK: 1 checks: 1 passed, 0 failed (0 undefined, 0 missing), 0 skipped\n"
    assert code == 0


def test_junit_shows_a_warning_as_a_passing_case_with_its_message(capsys, files):
    code, out, _ = run(
        capsys, files, "--select", "revenue near its trailing median", "--format", "junit"
    )
    assert code == 0
    assert 'failures="0"' in out
    assert out.count("<system-out>warning: revenue near its trailing median: ") == 2
