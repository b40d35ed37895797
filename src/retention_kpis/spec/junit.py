"""JUnit XML of a check, for CI systems that show test reports (GitHub, GitLab, Jenkins)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

from retention_kpis.spec.results import CheckResult, ExpectationResult

__all__ = ["junit_xml"]

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    """Return text safe in XML 1.0: characters XML cannot hold are dropped."""
    return _NOT_XML.sub("", str(value))


def _case_name(result: ExpectationResult) -> str:
    where = [f"period {result.period}"] if result.period is not None else []
    where += [f"{name}={value}" for name, value in result.segment.items()]
    return f"{result.name} [{', '.join(where)}]" if where else result.name


def junit_xml(result: CheckResult, *, suite: str = "retention-kpis check") -> str:
    """Return a check as a JUnit XML document: one test case per expectation outcome.

    ``fail``, ``undefined`` and ``missing`` outcomes are ``<failure>`` elements
    (their ``type`` is the outcome), ``skipped`` ones ``<skipped>``; a failed
    expectation of severity ``warn`` is a passing case whose ``<system-out>``
    says ``warning: <message>``. Text is
    escaped by :mod:`xml.etree.ElementTree`; characters XML 1.0 cannot hold
    are dropped.

    Parameters
    ----------
    result : CheckResult
        The outcome of :func:`check_spec`.
    suite : str, default="retention-kpis check"
        Name of the ``<testsuites>`` element.

    Returns
    -------
    str
        The XML document, with its declaration.

    Examples
    --------
    >>> from retention_kpis.spec.results import CheckResult
    >>> print(junit_xml(CheckResult(source="s.yaml", passed=True, failures=0, results=(),
    ...                             notes=())))
    <?xml version='1.0' encoding='utf-8'?>
    <testsuites name="retention-kpis check" tests="0" failures="0" errors="0" skipped="0"><testsuite name="s.yaml" tests="0" failures="0" errors="0" skipped="0" /></testsuites>
    """  # noqa: E501 - the doctest output is one line
    skipped = sum(r.outcome == "skipped" for r in result.results)
    counts = {
        "tests": str(len(result.results)),
        "failures": str(result.failures),
        "errors": "0",
        "skipped": str(skipped),
    }
    root = ET.Element("testsuites", {"name": _text(suite), **counts})
    testsuite = ET.SubElement(root, "testsuite", {"name": _text(result.source), **counts})
    for outcome in result.results:
        case = ET.SubElement(
            testsuite,
            "testcase",
            {
                "classname": _text(f"retention_kpis.{outcome.metric}"),
                "name": _text(_case_name(outcome)),
            },
        )
        if outcome.outcome == "skipped":
            ET.SubElement(case, "skipped", {"message": _text(outcome.message)})
        elif outcome.warning:  # JUnit has no warnings: a passing case that says so
            ET.SubElement(case, "system-out").text = _text(f"warning: {outcome.message}")
        elif not outcome.passed:
            failure = ET.SubElement(
                case, "failure", {"message": _text(outcome.message), "type": outcome.outcome}
            )
            actual = "null" if math.isnan(outcome.actual) else f"{outcome.actual:g}"
            failure.text = _text(
                f"actual: {actual}\nbound: {outcome.bound}\nperiod: {outcome.period}\n"
                f"segment: {outcome.segment}"
            )
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
