"""Outcomes of an expectation on a metric's rows: pass, fail, undefined, skipped, missing."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from typing import Any

from retention_kpis.spec._expectation import Change
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


def shift(day: dt.date, window: str, steps: int) -> dt.date | None:
    """Return the start of the period ``steps`` periods before the one starting on ``day``.

    Examples
    --------
    >>> shift(dt.date(2024, 1, 1), "M", 1), shift(dt.date(2024, 4, 1), "Q", 4)
    (datetime.date(2023, 12, 1), datetime.date(2023, 4, 1))
    """
    if window in {"D", "W"}:
        return day - dt.timedelta(days=steps * (1 if window == "D" else 7))
    months = steps * {"M": 1, "Q": 3, "Y": 12}[window]
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _year_ago(day: dt.date, window: str) -> dt.date | None:
    if window == "W":
        return shift(day, "W", 52)
    if window == "D":
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February: no same day a year ago
            return None
    return shift(day, window, {"M": 12, "Q": 4, "Y": 1}[window])


def _reference(
    change: Change, row: MetricRow, window: str, series: dict[dt.date, float]
) -> tuple[float, str]:
    """Return the reference value of ``row`` (nan if none) and where it comes from."""
    assert row.period is not None
    if change.against == "trailing_median":
        periods = change.periods or 1
        days = [shift(row.period, window, step) for step in range(1, periods + 1)]
        found = [series[day] for day in days if day in series and not math.isnan(series[day])]
        if not found:
            return _NAN, f"no value in the {periods} periods before"
        return float(statistics.median(found)), f"median of {len(found)} of {periods} periods"
    day = (
        shift(row.period, window, 1)
        if change.against == "previous"
        else _year_ago(row.period, window)
    )
    if day is None or day not in series:
        return _NAN, f"no period {day}" if day is not None else "no same day a year ago"
    return series[day], f"{day}"


def _change_outcome(
    expectation: Expectation, change: Change, row: MetricRow, values: MetricValues
) -> dict[str, Any]:
    series = {
        other.period: other.value
        for other in values.rows
        if other.period is not None and other.segment == row.segment
    }
    label, metric = expectation.label, expectation.metric
    where = _where(row)
    if math.isnan(row.value):
        outcome = "skipped" if expectation.undefined == "skip" else "undefined"
        return {
            "outcome": outcome,
            "reference": _NAN,
            "message": f"{label}: {metric} is undefined (null){where}",
        }
    reference, source = _reference(change, row, str(values.window), series)
    if math.isnan(reference) or (change.relative and reference == 0):
        why = "reference is 0" if reference == 0 else f"no reference: {source}"
        return {
            "outcome": "skipped",
            "reference": reference,
            "message": f"{label}: {metric} = {row.value:g}, {why}{where}",
        }
    delta = row.value - reference
    if change.relative:
        delta /= abs(reference)
    holds = change.low <= delta <= change.high
    kind = "relative change" if change.relative else "change"
    shown = (
        f"{label}: {metric} = {row.value:g} against {reference:g} ({source}): "
        f"{kind} {delta:+.4g} is {'' if holds else 'not '}within "
        f"[{change.low:g}, {change.high:g}]{where}"
    )
    return {"outcome": "pass" if holds else "fail", "reference": reference, "message": shown}


def outcomes(
    expectation: Expectation, values: MetricValues, *, index: int | None = None
) -> list[ExpectationResult]:
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
    common: dict[str, Any] = {
        "name": expectation.label,
        "metric": expectation.metric,
        "bound": expectation.bound,
        "severity": expectation.severity,
        "index": index,
    }
    if expectation.change is not None and values.window is None:
        rows = []
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
        if expectation.change is not None:
            results.append(
                ExpectationResult(
                    **common,
                    period=row.period,
                    segment=dict(row.segment),
                    actual=row.value,
                    **_change_outcome(expectation, expectation.change, row, values),
                )
            )
            continue
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
