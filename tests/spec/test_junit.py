"""Tests of retention_kpis.spec.junit: the JUnit XML is well formed and escapes everything."""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET

from retention_kpis.spec import CheckResult, ExpectationResult, junit_xml


def result(outcome, *, name="conv", actual=0.1, segment=None):
    return ExpectationResult(
        name=name,
        metric="conv",
        bound=">= 0.2",
        period=dt.date(2024, 3, 1),
        segment=segment or {},
        actual=actual,
        outcome=outcome,
        message=f"{name}: conv = {actual} is not >= 0.2",
    )


def test_failures_and_skips_are_counted_and_typed():
    check = CheckResult(
        source="kpis.yaml",
        passed=False,
        failures=3,
        results=(
            result("pass"),
            result("fail"),
            result("undefined", actual=math.nan),
            result("missing", actual=math.nan),
            result("skipped", actual=math.nan),
        ),
        notes=(),
    )
    root = ET.fromstring(junit_xml(check).split("?>", 1)[1])  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("5", "3", "1")
    suite = root.find("testsuite")
    assert suite.get("name") == "kpis.yaml"
    cases = suite.findall("testcase")
    assert [
        c.find("failure").get("type") if c.find("failure") is not None else None for c in cases
    ] == [
        None,
        "fail",
        "undefined",
        "missing",
        None,
    ]
    assert cases[4].find("skipped") is not None
    assert cases[1].get("name") == "conv [period 2024-03-01]"
    assert "actual: 0.1\nbound: >= 0.2" in cases[1].find("failure").text
    assert "actual: null" in cases[2].find("failure").text


def test_special_characters_are_escaped_and_control_characters_dropped():
    name = 'a<b & "c" \x01'
    check = CheckResult(
        source="<spec>",
        passed=False,
        failures=1,
        results=(result("fail", name=name, segment={"channel": "x>y"}),),
        notes=(),
    )
    text = junit_xml(check)
    assert "\x01" not in text
    root = ET.fromstring(text.split("?>", 1)[1])  # noqa: S314 - our own output
    case = root.find("testsuite/testcase")
    assert case.get("name") == 'a<b & "c"  [period 2024-03-01, channel=x>y]'
    assert root.find("testsuite").get("name") == "<spec>"
