"""Outcomes of an expectation on a metric's rows: pass, fail, undefined, skipped, missing."""

from __future__ import annotations

import math

from retention_kpis.spec.models import Expectation
from retention_kpis.spec.results import ExpectationResult, MetricRow, MetricValues

__all__ = ["outcomes"]

_NAN = math.nan


def _same(left: object, right: object) -> bool:
    return left == right or str(left) == str(right)


def _where(row: MetricRow) -> str:
    parts = [f"period {row.period}"] if row.period is not None else []
    parts += [f"{name}={value}" for name, value in row.segment.items()]
    return f" [{', '.join(parts)}]" if parts else ""


def outcomes(expectation: Expectation, values: MetricValues) -> list[ExpectationResult]:
    """Return the outcome of an expectation on each matching row of a metric."""
    rows = [
        row
        for row in values.rows
        if all(_same(row.segment.get(k), v) for k, v in expectation.segment.items())
    ]
    if expectation.period == "latest":
        last = max((row.period for row in values.rows if row.period is not None), default=None)
        rows = [row for row in rows if row.period == last]
    elif expectation.period != "all":
        rows = [row for row in rows if row.period == expectation.period]
    common = {"name": expectation.label, "metric": expectation.metric, "bound": expectation.bound}
    if not rows:
        wanted = [f"period {expectation.period}"] if expectation.period != "all" else []
        wanted += [f"{k}={v}" for k, v in expectation.segment.items()]
        place = ", ".join(wanted) or "the data"
        message = f"{expectation.label}: no value of {expectation.metric} for {place}"
        period = expectation.period if not isinstance(expectation.period, str) else None
        return [
            ExpectationResult(
                **common,
                period=period,
                segment=dict(expectation.segment),
                actual=_NAN,
                outcome="missing",
                message=message,
            )
        ]
    results = []
    for row in rows:
        where = _where(row)
        shown = f"{expectation.label}: {expectation.metric} = {row.value:g}"
        if math.isnan(row.value):
            outcome = "skipped" if expectation.undefined == "skip" else "undefined"
            message = f"{expectation.label}: {expectation.metric} is undefined (null){where}"
        elif expectation.holds(row.value):
            outcome = "pass"
            message = f"{shown} is {expectation.bound}{where}"
        else:
            outcome = "fail"
            message = f"{shown} is not {expectation.bound}{where}"
        results.append(
            ExpectationResult(
                **common,
                period=row.period,
                segment=dict(row.segment),
                actual=row.value,
                outcome=outcome,
                message=message,
            )
        )
    return results
