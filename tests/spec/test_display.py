"""Spec reports and check results show themselves: units from the spec, outcomes, escaping."""

from __future__ import annotations

import datetime as dt
import math

from retention_kpis.spec import CheckResult, ExpectationResult, MetricRow, MetricValues, SpecReport

JAN = dt.date(2024, 1, 1)


def report(segment: str = "ads") -> SpecReport:
    """Three metrics typed in: a count, a fraction and a currency; one undefined value."""
    return SpecReport(
        period="M",
        segments=("channel",),
        metrics=(
            MetricValues(
                name="buyers",
                type="simple",
                unit="count",
                window="M",
                rows=(MetricRow(period=JAN, segment={"channel": segment}, value=12345.0),),
            ),
            MetricValues(
                name="cr",
                type="ratio",
                unit="fraction",
                window="M",
                rows=(MetricRow(period=JAN, segment={"channel": segment}, value=0.0625),),
            ),
            MetricValues(
                name="aov",
                type="ratio",
                unit="currency",
                window="M",
                rows=(MetricRow(period=JAN, segment={"channel": segment}, value=math.nan),),
            ),
        ),
        notes=("aov undefined: no orders",),
    )


def test_spec_report_str_formats_by_the_metric_units():
    """12345 -> 12,345 (count), 0.0625 -> 6.2% (fraction; half-even), nan -> em dash."""
    assert str(report()) == (
        "SpecReport: 3 metrics, 1 rows, period M, by channel\n"
        "period      channel  buyers    cr  aov\n"
        "----------  -------  ------  ----  ---\n"
        "2024-01-01  ads      12,345  6.2%    \u2014\n"
        "\n"
        "Notes:\n"
        "- aov undefined: no orders\n"
    )


def test_spec_report_html_escapes_segments(html_cells):
    """A segment value with markup is shown as text."""
    cells = html_cells(report("<script>x</script>")._repr_html_())
    assert "script" not in cells.tags
    assert cells.rows == [["2024-01-01", "<script>x</script>", "12,345", "6.2%", "\u2014"]]
    assert len(repr(report())) < 300


def check() -> CheckResult:
    """One pass and one failure, typed in."""
    return CheckResult(
        source="spec.yaml",
        passed=False,
        failures=1,
        results=(
            ExpectationResult(
                name="cr_floor",
                metric="cr",
                bound=">= 0.05",
                period=JAN,
                segment={"channel": "ads"},
                actual=0.0625,
                outcome="pass",
                message="cr = 0.0625 is >= 0.05",
            ),
            ExpectationResult(
                name="nps_floor",
                metric="nps",
                bound=">= 0",
                period=None,
                actual=-5.0,
                outcome="fail",
                message="nps = -5 is not >= 0",
            ),
        ),
        notes=(),
    )


def test_check_result_str_lists_every_outcome():
    """Actual values keep six significant digits: 0.0625 and -5."""
    assert str(check()) == (
        "CheckResult: FAILED, 1 of 2 outcomes failed (spec.yaml)\n"
        "expectation  metric  period      segment      actual  bound    outcome\n"
        "-----------  ------  ----------  -----------  ------  -------  -------\n"
        "cr_floor     cr      2024-01-01  channel=ads  0.0625  >= 0.05  pass\n"
        "nps_floor    nps     \u2014                            -5  >= 0     fail\n"
    )


def test_check_result_html_and_repr(html_cells):
    """The bound's ">=" is escaped and parses back; repr is one short line."""
    page = check()._repr_html_()
    assert "&gt;= 0.05" in page
    assert html_cells(page).rows[1] == ["nps_floor", "nps", "\u2014", "", "-5", ">= 0", "fail"]
    assert repr(check()) == (
        "CheckResult(source='spec.yaml', passed=False, failures=1, results=2, notes=0)"
    )
