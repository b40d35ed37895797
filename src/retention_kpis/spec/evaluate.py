"""Compute a spec's metrics on events and check its expectations.

Built-in KPIs come from :func:`~retention_kpis.compute_kpis` (one call per
distinct set of options: window, CSAT threshold, churn source); custom measures
are counted in the events' backend by :mod:`retention_kpis.spec._measures`;
ratios divide with the library's zero-division policy (undefined -> null);
derived metrics combine other metrics per period and segment with the parsed
expression. No formula of a built-in KPI is written here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from retention_kpis._core.checks import divide
from retention_kpis._core.text import notes_about
from retention_kpis.events import validate_events
from retention_kpis.metrics.conversion import conversion_rate
from retention_kpis.report import compute_kpis
from retention_kpis.report.columns import KPI_COLUMNS
from retention_kpis.spec._drops import NoSignificantDrop, drop_outcomes
from retention_kpis.spec._expr import evaluate, names, parse
from retention_kpis.spec._measures import (
    Key,
    MeasureFrame,
    measure_table,
    raw_columns,
    session_counts,
)
from retention_kpis.spec._outcomes import outcomes
from retention_kpis.spec._references import metric_unit, metric_window
from retention_kpis.spec.load import load_spec
from retention_kpis.spec.models import (
    ConversionMetric,
    CSATMetric,
    DerivedMetric,
    Expectation,
    Measure,
    Metric,
    MetricSpec,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
)
from retention_kpis.spec.results import (
    CheckResult,
    MetricRow,
    MetricValues,
    SpecReport,
)
from retention_kpis.spec.selection import needed_metrics, select_expectations

__all__ = ["Progress", "check_spec", "compute_spec"]

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, label)`` after each step of a long run."""
_NAN = math.nan


@dataclasses.dataclass
class _Group:
    """Built-in metrics computed by one compute_kpis call."""

    window: str | None
    threshold: int | None = None
    churn_from: str | None = None
    metrics: list[Metric] = dataclasses.field(default_factory=list)


def _csat_scale(spec: MetricSpec) -> tuple[int, int]:
    scales = [m.scale for m in spec.metrics if isinstance(m, CSATMetric)]
    return scales[0] if scales else (1, 5)


def _is_custom(metric: Metric) -> bool:
    if isinstance(metric, (SimpleMetric, RatioMetric, DerivedMetric)):
        return True
    if isinstance(metric, CSATMetric):
        return metric.method == "mean"
    return isinstance(metric, ConversionMetric) and metric.unit == "session"


def _groups(spec: MetricSpec) -> list[_Group]:
    groups: list[_Group] = []
    for metric in spec.metrics:
        if _is_custom(metric):
            continue
        window = metric_window(spec, metric)
        threshold = metric.satisfied_threshold if isinstance(metric, CSATMetric) else None
        churn = metric.churn_from if isinstance(metric, RetentionMetric) else None
        for group in groups:
            if (
                group.window == window
                and (threshold is None or group.threshold in {None, threshold})
                and (churn is None or group.churn_from in {None, churn})
            ):
                break
        else:
            group = _Group(window)
            groups.append(group)
        group.threshold = threshold if threshold is not None else group.threshold
        group.churn_from = churn or group.churn_from
        group.metrics.append(metric)
    return groups


def _builtin_values(
    spec: MetricSpec, events: object, group: _Group
) -> tuple[dict[str, dict[Key, float]], tuple[str, ...]]:
    scale = _csat_scale(spec)
    report = compute_kpis(
        events,
        schema=spec.events,
        period=metric_window(spec, group.metrics[0]),
        by=list(spec.segments) or None,
        unknown_events=spec.unknown_events,
        csat_scale=scale,
        csat_threshold=scale[1] - 1 if group.threshold is None else group.threshold,
        churn_from="events" if group.churn_from == "events" else "activity",
    )
    values: dict[str, dict[Key, float]] = {}
    for metric in group.metrics:
        kpi = str(getattr(metric, "kpi"))  # noqa: B009 - every built-in has a kpi
        values[metric.name] = {
            (row.period, tuple(row.segment.get(name) for name in spec.segments)): float(
                getattr(row, kpi)
            )
            for row in report.rows
        }
    kpis = [str(getattr(metric, "kpi")) for metric in group.metrics]  # noqa: B009
    return values, notes_about(report.notes, kpis, KPI_COLUMNS)


def _ratio(
    numerator: dict[Key, float], denominator: dict[Key, float], name: str
) -> dict[Key, float]:
    keys = sorted(numerator.keys() | denominator.keys(), key=str)
    return {
        key: divide(
            numerator.get(key, 0.0),
            denominator.get(key, 0.0),
            zero_division=_NAN,
            kpi=name,
            denominator_name="the denominator",
        )
        for key in keys
    }


def _custom_values(spec: MetricSpec, frame: MeasureFrame, metric: Metric) -> dict[Key, float]:
    window = metric_window(spec, metric)
    if isinstance(metric, SimpleMetric):
        return measure_table(frame, metric.measure, window)
    if isinstance(metric, RatioMetric):
        numerator = measure_table(frame, metric.numerator, window)
        denominator = measure_table(frame, metric.denominator, window)
        return _ratio(numerator, denominator, metric.name)
    if isinstance(metric, CSATMetric):
        kind = spec.events.event_types.csat_response
        total = measure_table(frame, Measure(sum="score", event=kind), window)
        answers = measure_table(frame, Measure(count=kind), window)
        return _ratio(total, answers, metric.name)
    assert isinstance(metric, ConversionMetric)
    assert metric.session_column is not None
    counts = session_counts(frame, metric.session_column, window)
    return {
        key: conversion_rate(converted, sessions, zero_division=_NAN)
        for key, (converted, sessions) in counts.items()
    }


def _measures(spec: MetricSpec) -> list[Measure]:
    found: list[Measure] = []
    for metric in spec.metrics:
        if isinstance(metric, SimpleMetric):
            found.append(metric.measure)
        elif isinstance(metric, RatioMetric):
            found += [metric.numerator, metric.denominator]
    return found


def _derived(
    spec: MetricSpec, metric: DerivedMetric, values: dict[str, dict[Key, float]]
) -> dict[Key, float]:
    tree = parse(metric.expr)
    refs = names(tree)
    for ref in refs:
        if ref not in values:
            referenced = spec.metric(ref)
            assert isinstance(referenced, DerivedMetric)
            values[ref] = _derived(spec, referenced, values)
    keys = set.intersection(*(set(values[ref]) for ref in refs))
    return {
        key: evaluate(tree, {ref: values[ref][key] for ref in refs}, metric=metric.name)
        for key in sorted(keys, key=str)
    }


def compute_spec(
    spec: MetricSpec, events: object, *, progress: Progress | None = None
) -> SpecReport:
    """Compute every metric of a spec on a frame of events.

    Parameters
    ----------
    spec : MetricSpec
        A validated spec (see :func:`load_spec`).
    events : DataFrame or LazyFrame
        Events in any frame narwhals accepts; not modified.
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each step.

    Returns
    -------
    SpecReport
        Each metric's value per period and segment (nan where undefined).

    Raises
    ------
    InvalidInputError
        If the events break the spec's contract (missing or non-numeric columns,
        unknown event types, ...), with the library's message.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"customer_id": ["a", "b", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06", "2024-01-07"],
    ...     "event_type": ["visit", "visit", "purchase"], "revenue": [None, None, 30.0]})
    >>> spec = load_spec({"version": 1, "metrics": [
    ...     {"name": "conv", "type": "builtin", "kpi": "conversion_rate"},
    ...     {"name": "rpv", "type": "derived", "expr": "rev / visitors"},
    ...     {"name": "rev", "type": "builtin", "kpi": "revenue"},
    ...     {"name": "visitors", "type": "builtin", "kpi": "visitors"}]})
    >>> report = compute_spec(spec, events)
    >>> report.to_dict()["conv"], report.to_dict()["rpv"]
    ([0.5], [15.0])
    """
    groups = _groups(spec)
    custom = [metric for metric in spec.metrics if _is_custom(metric)]
    total = len(groups) + (1 if custom else 0)
    values: dict[str, dict[Key, float]] = {}
    notes: list[str] = []
    for done, group in enumerate(groups, start=1):
        group_values, group_notes = _builtin_values(spec, events, group)
        values.update(group_values)
        notes += [note for note in group_notes if note not in notes]
        if progress is not None:
            named = ", ".join(metric.name for metric in group.metrics)
            progress(done, total, f"{named} ({group.window or 'whole data'})")
    computed = [m for m in custom if not isinstance(m, DerivedMetric)]
    if computed:
        sessions = [m.session_column for m in computed if isinstance(m, ConversionMetric)]
        prepared = validate_events(
            events,
            schema=spec.events,
            by=list(dict.fromkeys([*spec.segments, *raw_columns(spec.events, _measures(spec))]))
            + [s for s in sessions if s is not None],
            unknown_events=spec.unknown_events,
            csat_scale=_csat_scale(spec),
        )
        frame = MeasureFrame(prepared, spec.events, spec.segments)
        for measured in computed:
            values[measured.name] = _custom_values(spec, frame, measured)
    for derived in custom:
        if isinstance(derived, DerivedMetric) and derived.name not in values:
            values[derived.name] = _derived(spec, derived, values)
    if custom and progress is not None:
        progress(total, total, ", ".join(metric.name for metric in custom))
    metrics = tuple(
        MetricValues(
            name=metric.name,
            type=metric.type,
            unit=metric_unit(spec, metric.name),
            window=metric_window(spec, metric),
            rows=tuple(
                MetricRow(
                    period=key[0],
                    segment=dict(zip(spec.segments, key[1], strict=True)),
                    value=value,
                )
                for key, value in sorted(values[metric.name].items(), key=lambda kv: str(kv[0]))
            ),
        )
        for metric in spec.metrics
    )
    return SpecReport(
        period=spec.period_code, segments=spec.segments, metrics=metrics, notes=tuple(notes)
    )


def check_spec(
    spec: MetricSpec | str | Path,
    events: object,
    *,
    progress: Progress | None = None,
    select: Sequence[str] | None = None,
) -> CheckResult:
    """Compute a spec's metrics on events and check every expectation.

    Parameters
    ----------
    spec : MetricSpec, str or Path
        A validated spec or a spec file.
    events : DataFrame or LazyFrame
        Events in any frame narwhals accepts; not modified.
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each step.
    select : sequence of str, optional
        Check only the expectations named here (by ``name``, or by metric), or
        tagged ``NAME`` for a ``tag:NAME`` item (see
        :func:`~retention_kpis.spec.selection.select_expectations`); only the
        metrics they need are computed.

    Returns
    -------
    CheckResult
        One result per expectation and matching period/segment; ``passed``
        is False if any of severity ``error`` is ``fail``, ``undefined`` or
        ``missing`` (``warnings`` counts those of severity ``warn``).

    Raises
    ------
    SpecError
        If ``spec`` is a file that is not a valid spec.
    InvalidInputError
        If the events break the spec's contract.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({"customer_id": ["a", "b", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06", "2024-01-07"],
    ...     "event_type": ["visit", "visit", "purchase"], "revenue": [None, None, 30.0]})
    >>> spec = load_spec({"version": 1,
    ...     "metrics": [{"name": "conv", "type": "builtin", "kpi": "conversion_rate"}],
    ...     "expectations": [{"metric": "conv", "min": 0.6}]})
    >>> result = check_spec(spec, events)
    >>> result.passed, result.results[0].message
    (False, 'conv: conv = 0.5 is not >= 0.6 [period 2024-01-01]')
    """
    source = "<spec>" if isinstance(spec, MetricSpec) else str(spec)
    model = spec if isinstance(spec, MetricSpec) else load_spec(spec)
    chosen = select_expectations(model, select)
    report = compute_spec(
        needed_metrics(model, [model.expectations[i] for i in chosen]), events, progress=progress
    )
    results = []
    for index in chosen:
        expectation = model.expectations[index]
        if isinstance(expectation, NoSignificantDrop) and model.period_code is not None:
            # severity "warning": reported (outcome fail, message "[warning]"), not counted.
            severity = "warn" if expectation.severity == "warning" else "error"
            found = [
                result.model_copy(update={"severity": severity, "index": index})
                for result in drop_outcomes(
                    expectation,
                    events,
                    period=model.period_code,
                    segments=model.segments,
                    schema=model.events,
                    unknown_events=model.unknown_events,
                )
            ]
        elif isinstance(expectation, Expectation):
            found = outcomes(expectation, report.values(expectation.metric), index=index)
        else:
            found = []
        results += found
    failures = sum(not result.passed for result in results)
    return CheckResult(
        source=source,
        passed=failures == 0,
        failures=failures,
        results=tuple(results),
        notes=report.notes,
        warnings=sum(result.warning for result in results),
    )
