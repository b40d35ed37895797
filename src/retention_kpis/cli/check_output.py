"""Outputs of ``retention-kpis check``: text, GitHub annotations and a Markdown summary.

JSON is the :class:`~retention_kpis.spec.results.CheckResult` model and JUnit
:func:`~retention_kpis.spec.junit_xml`; both are written by
:mod:`retention_kpis.cli.spec`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retention_kpis.spec.results import CheckResult, ExpectationResult

__all__ = ["check_text", "github_annotations", "markdown_summary", "summary_line"]

Positions = Mapping[int, tuple[int, int]]
"""Line and column (1-based) of each expectation of the spec, by its position."""


def _label(outcome: ExpectationResult) -> str:
    if outcome.warning:
        return "WARN"
    return {"pass": "PASS", "skipped": "SKIP"}.get(outcome.outcome, "FAIL")


def summary_line(result: CheckResult) -> str:
    """Return one line of counts: ``OK: 3 checks: 2 passed, 0 failed (...), 1 warning, 0 skipped``.

    The warnings are counted only when there are some.

    Examples
    --------
    >>> from retention_kpis.spec.results import CheckResult
    >>> summary_line(CheckResult(source="s", passed=True, failures=0, results=(), notes=()))
    'OK: 0 checks: 0 passed, 0 failed (0 undefined, 0 missing), 0 skipped'
    """
    counts = dict.fromkeys(("pass", "fail", "undefined", "missing", "skipped"), 0)
    errors = {"undefined": 0, "missing": 0}
    for outcome in result.results:
        counts[outcome.outcome] += 1
        if outcome.outcome in errors and not outcome.warning:
            errors[outcome.outcome] += 1
    warnings = result.warnings
    warned = f"{warnings} warning{'s' if warnings != 1 else ''}, " if warnings else ""
    return (
        f"{'FAILED' if result.failures else 'OK'}: {len(result.results)} checks: "
        f"{counts['pass']} passed, {result.failures} failed ({errors['undefined']} undefined, "
        f"{errors['missing']} missing), {warned}{counts['skipped']} skipped"
    )


def check_text(result: CheckResult, *, quiet: bool) -> str:
    """One line per outcome (``PASS``/``FAIL``/``WARN``/``SKIP``; failures only when quiet)."""
    lines = [
        f"{_label(outcome)} {outcome.message}"
        for outcome in result.results
        if not (quiet and outcome.outcome in {"pass", "skipped"})
    ]
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(result: CheckResult, positions: Positions) -> str:
    """Return GitHub Actions workflow commands: one annotation per failure or warning.

    ``::error file=kpis.yaml,line=12,col=5,title=...::message`` for a failed
    expectation of severity ``error``, ``::warning ...`` for one of severity
    ``warn``; the line and column are the expectation's in the spec. The
    summary line follows, as plain log text.

    Examples
    --------
    >>> from retention_kpis.spec.results import CheckResult, ExpectationResult
    >>> failed = ExpectationResult(name="conv", metric="conv", bound=">= 0.6", period=None,
    ...     actual=0.5, outcome="fail", message="conv: conv = 0.5 is not >= 0.6", index=0)
    >>> result = CheckResult(source="kpis.yaml", passed=False, failures=1, results=(failed,),
    ...                      notes=())
    >>> print(github_annotations(result, {0: (12, 5)}), end="")
    ::error file=kpis.yaml,line=12,col=5,title=conv::conv: conv = 0.5 is not >= 0.6
    FAILED: 1 checks: 0 passed, 1 failed (0 undefined, 0 missing), 0 skipped
    """
    lines = []
    for outcome in result.results:
        if outcome.outcome in {"pass", "skipped"}:
            continue
        command = "warning" if outcome.warning else "error"
        where = [f"file={_escape_property(result.source)}"]
        position = positions.get(outcome.index) if outcome.index is not None else None
        if position is not None:
            where += [f"line={position[0]}", f"col={position[1]}"]
        where.append(f"title={_escape_property(outcome.name)}")
        lines.append(f"::{command} {','.join(where)}::{_escape_data(outcome.message)}")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return text.replace("\r", " ")


def _value(value: float) -> str:
    return "null" if math.isnan(value) else f"{value:g}"


def markdown_summary(result: CheckResult, *, data: str | None = None) -> str:
    """Return a Markdown report of a check, for ``$GITHUB_STEP_SUMMARY`` or a PR comment.

    A heading with the verdict, the counts, then a table of the failures and
    warnings (passed and skipped checks are only counted).

    Examples
    --------
    >>> from retention_kpis.spec.results import CheckResult
    >>> print(markdown_summary(CheckResult(source="kpis.yaml", passed=True, failures=0,
    ...                                    results=(), notes=())), end="")
    ## KPI check: OK
    <BLANKLINE>
    `kpis.yaml`: 0 checks: 0 passed, 0 failed (0 undefined, 0 missing), 0 skipped
    """
    verdict, counts = summary_line(result).split(": ", 1)
    source = f"`{result.source}`" + (f" on `{data}`" if data else "")
    lines = [f"## KPI check: {verdict}", "", f"{source}: {counts}"]
    shown = [r for r in result.results if r.outcome not in {"pass", "skipped"}]
    if shown:
        lines += [
            "",
            "| | expectation | period | segment | value | bound | outcome |",
            "|---|---|---|---|---|---|---|",
        ]
        for outcome in shown:
            segment = ", ".join(f"{k}={v}" for k, v in outcome.segment.items())
            lines.append(
                "| "
                + " | ".join(
                    _cell(part)
                    for part in (
                        _label(outcome),
                        outcome.name,
                        outcome.period or "",
                        segment,
                        _value(outcome.actual),
                        outcome.bound,
                        outcome.outcome,
                    )
                )
                + " |"
            )
    if result.notes:
        lines += ["", "Notes:", "", *(f"- {_cell(note)}" for note in result.notes)]
    return "\n".join(lines) + "\n"
