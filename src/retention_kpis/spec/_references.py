"""Checks across a spec: references between metrics, cycles, units, event kinds, segments.

Each problem is reported as ``(path, message)`` with the path in the file, e.g.
``("metrics[4].expr", "unknown metric 'revnue'; defined: [...]")``.

Units
-----
Every metric has a unit: ``count``, ``currency``, ``fraction`` (a share in
[0, 1]), ``ratio`` (dimensionless, unbounded), ``score`` (a mean answer),
``nps`` (-100..100) or ``number``. A ratio or a quotient in a derived metric
follows ``u / u -> ratio``, ``u / ratio -> u``, ``currency / count -> currency``
(per unit), ``score / count -> score``, else ``number``; a product with a
ratio or number keeps the other unit; ``+`` and ``-`` need equal units (a
plain number may be added to anything). Fractions and NPS in a derived
expression count as ratio and number.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from retention_kpis.spec._drops import NoSignificantDrop, drop_problems
from retention_kpis.spec._expr import fold, names, parse
from retention_kpis.spec.metrics import (
    CSATMetric,
    DerivedMetric,
    Measure,
    Metric,
    PeriodCode,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
)

if TYPE_CHECKING:
    from retention_kpis.spec.models import MetricSpec

__all__ = ["BUILTIN_UNITS", "metric_unit", "metric_window", "reference_problems"]

Problem = tuple[str, str]

BUILTIN_UNITS: dict[str, str] = {
    "visitors": "count",
    "conversion_rate": "fraction",
    "orders": "count",
    "revenue": "currency",
    "spend": "currency",
    "new_customers": "count",
    "cpa": "currency",
    "cac": "currency",
    "roas": "ratio",
    "aov": "currency",
    "purchase_frequency": "ratio",
    "csat": "fraction",
    "nps": "nps",
    "active_customers": "count",
    "retention_rate": "fraction",
    "churn_rate": "fraction",
    "clv": "currency",
}
"""Unit of each built-in KPI (CSAT with ``method: mean`` is a ``score``)."""

_NOT_NUMERIC = ("customer_id", "timestamp", "event_type", "channel", "campaign", "order_id")
_DIMENSIONLESS = frozenset({"ratio", "number"})
_RANGES = {"fraction": (0.0, 1.0), "nps": (-100.0, 100.0)}


class _UnitError(ValueError):
    """Units that cannot be combined."""


def _measure_unit(measure: Measure) -> str:
    kind, argument = measure.aggregation
    if kind != "sum":
        return "count"
    return {"revenue": "currency", "cost": "currency", "score": "score"}.get(argument, "number")


def _plain(unit: str) -> str:
    return {"fraction": "ratio", "nps": "number"}.get(unit, unit)


def _divide(left: str, right: str) -> str:
    left, right = _plain(left), _plain(right)
    if left == right:
        return "ratio"
    if right in _DIMENSIONLESS:
        return left
    if left in {"currency", "score"} and right == "count":
        return left
    return "number"


def _combine(op: str, left: str, right: str) -> str:
    if op == "/":
        return _divide(left, right)
    left, right = _plain(left), _plain(right)
    if op == "*":
        if left in _DIMENSIONLESS:
            return right
        return left if right in _DIMENSIONLESS else "number"
    if right in {left, "number"}:
        return left
    if left == "number":
        return right
    verb = "add" if op == "+" else "subtract"
    msg = f"cannot {verb} {right} and {left} (units must match)"
    raise _UnitError(msg)


def metric_unit(spec: MetricSpec, name: str) -> str:
    """Return the unit of a metric of ``spec`` (see the module docstring).

    Examples
    --------
    >>> from retention_kpis.spec.models import MetricSpec
    >>> spec = MetricSpec.model_validate({"version": 1, "metrics": [
    ...     {"name": "rev", "type": "builtin", "kpi": "revenue"},
    ...     {"name": "n", "type": "builtin", "kpi": "visitors"},
    ...     {"name": "rpv", "type": "derived", "expr": "rev / n"}]})
    >>> metric_unit(spec, "rpv")
    'currency'
    """
    return _unit(spec, spec.metric(name), ())


def _unit(spec: MetricSpec, metric: Metric, seen: tuple[str, ...]) -> str:
    if isinstance(metric, CSATMetric) and metric.method == "mean":
        return "score"
    if isinstance(metric, SimpleMetric):
        return _measure_unit(metric.measure)
    if isinstance(metric, RatioMetric):
        return _divide(_measure_unit(metric.numerator), _measure_unit(metric.denominator))
    if isinstance(metric, DerivedMetric):
        path = (*seen, metric.name)
        return fold(
            parse(metric.expr),
            leaf=lambda node: _unit(spec, spec.metric(node.name), path),
            number="number",
            combine=_combine,
        )
    return BUILTIN_UNITS[metric.kpi]


def metric_window(spec: MetricSpec, metric: Metric) -> PeriodCode | None:
    """Return the period a metric is computed over: its ``window``, or the spec's period."""
    if isinstance(metric, RetentionMetric) and metric.window is not None:
        return metric.window
    return spec.period_code


def _event_problems(spec: MetricSpec, where: str, measure: Measure) -> list[Problem]:
    types = spec.events.event_types
    kinds = sorted({*types.named(), *types.named().values(), *types.other})
    problems: list[Problem] = []
    kind, argument = measure.aggregation
    event = argument if kind == "count" else measure.event
    key = "count" if kind == "count" else "event"
    if event is not None and event not in kinds:
        problems.append(
            (f"{where}.{key}", f"unknown event kind {event!r}; expected one of {kinds}")
        )
    if kind == "sum" and argument in _NOT_NUMERIC:
        problems.append((f"{where}.sum", f"cannot sum {argument!r}: it is not a numeric column"))
    for column in measure.filter:
        if column in {"event_type", spec.events.event_type}:
            problems.append(
                (f"{where}.filter.{column}", "choose the event kind with count or event instead")
            )
        elif column in {"timestamp", spec.events.timestamp}:
            problems.append((f"{where}.filter.{column}", "timestamps cannot be filtered on"))
    return problems


def _metric_problems(spec: MetricSpec) -> tuple[list[Problem], set[str]]:
    problems: list[Problem] = []
    first: dict[str, int] = {}
    broken: set[str] = set()
    for index, metric in enumerate(spec.metrics):
        where = f"metrics[{index}]"
        if metric.name in first:
            problems.append(
                (
                    f"{where}.name",
                    (
                        f"duplicate metric name {metric.name!r} "
                        f"(first defined at metrics[{first[metric.name]}])"
                    ),
                )
            )
        first.setdefault(metric.name, index)
        if isinstance(metric, SimpleMetric):
            problems += _event_problems(spec, f"{where}.measure", metric.measure)
        elif isinstance(metric, RatioMetric):
            problems += _event_problems(spec, f"{where}.numerator", metric.numerator)
            problems += _event_problems(spec, f"{where}.denominator", metric.denominator)
        elif isinstance(metric, DerivedMetric):
            defined = [m.name for m in spec.metrics]
            unknown = [ref for ref in names(parse(metric.expr)) if ref not in defined]
            if unknown:
                broken.add(metric.name)
                problems.append(
                    (f"{where}.expr", f"unknown metric(s) {unknown}; defined metrics: {defined}")
                )
    return problems, broken


def _cycle(spec: MetricSpec, start: str) -> list[str] | None:
    """Return a reference cycle through ``start`` (``[a, b, a]``), if any."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        name, path = stack.pop()
        metric = spec.metric(name)
        if not isinstance(metric, DerivedMetric):
            continue
        for ref in names(parse(metric.expr)):
            if ref == start:
                return [*path, ref]
            if ref not in path:
                stack.append((ref, [*path, ref]))
    return None


def _derived_problems(spec: MetricSpec, broken: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    cyclic: set[str] = set()
    for index, metric in enumerate(spec.metrics):
        if not isinstance(metric, DerivedMetric) or metric.name in broken:
            continue
        cycle = _cycle(spec, metric.name)
        if cycle is not None:
            cyclic.add(metric.name)
            problems.append((f"metrics[{index}].expr", f"cycle: {' -> '.join(cycle)}"))
    for index, metric in enumerate(spec.metrics):
        if not isinstance(metric, DerivedMetric) or metric.name in broken | cyclic:
            continue
        if _reaches(spec, metric.name, broken | cyclic):
            continue
        where = f"metrics[{index}].expr"
        try:
            _unit(spec, metric, ())
        except _UnitError as exc:
            problems.append((where, str(exc)))
        windows = {metric_window(spec, spec.metric(ref)) for ref in _leaves(spec, metric.name)}
        if len(windows) > 1:
            problems.append(
                (where, f"mixes metrics over different windows {sorted(map(str, windows))}")
            )
    return problems


def _reaches(spec: MetricSpec, name: str, bad: set[str]) -> bool:
    metric = spec.metric(name)
    if not isinstance(metric, DerivedMetric):
        return False
    return any(ref in bad or _reaches(spec, ref, bad) for ref in names(parse(metric.expr)))


def _leaves(spec: MetricSpec, name: str) -> list[str]:
    metric = spec.metric(name)
    if not isinstance(metric, DerivedMetric):
        return [name]
    return [leaf for ref in names(parse(metric.expr)) for leaf in _leaves(spec, ref)]


def _is_period_start(day: dt.date, window: str) -> bool:
    if window == "W":
        return day.weekday() == 0
    if window == "M":
        return day.day == 1
    if window == "Q":
        return day.day == 1 and day.month in {1, 4, 7, 10}
    if window == "Y":
        return (day.month, day.day) == (1, 1)
    return True


def _expectation_problems(spec: MetricSpec, clean: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    defined = [metric.name for metric in spec.metrics]
    for index, expectation in enumerate(spec.expectations):
        where = f"expectations[{index}]"
        if isinstance(expectation, NoSignificantDrop):
            problems += drop_problems(where, expectation, spec.period, spec.segments)
            continue
        if expectation.metric not in defined:
            problems.append(
                (f"{where}.metric", f"unknown metric {expectation.metric!r}; defined: {defined}")
            )
            continue
        problems.extend(
            (
                f"{where}.segment.{column}",
                f"{column!r} is not a segment of the spec; segments: {list(spec.segments)}",
            )
            for column in expectation.segment
            if column not in spec.segments
        )
        metric = spec.metric(expectation.metric)
        window = metric_window(spec, metric)
        if isinstance(expectation.period, dt.date):
            if window is None:
                problems.append((f"{where}.period", "the spec has period 'none': omit period"))
            elif not _is_period_start(expectation.period, window):
                problems.append(
                    (
                        f"{where}.period",
                        f"{expectation.period} is not the first day of a {window!r} period",
                    )
                )
        if expectation.metric in clean:
            problems += _range_problems(where, expectation, metric_unit(spec, expectation.metric))
    return problems


def _range_problems(where: str, expectation: object, unit: str) -> list[Problem]:
    problems: list[Problem] = []
    for bound in ("min", "max", "equals"):
        value = getattr(expectation, bound)
        if value is None:
            continue
        if unit in _RANGES:
            low, high = _RANGES[unit]
            if not low <= value <= high:
                hint = " (a percentage? write 0.05 for 5 %)" if unit == "fraction" else ""
                problems.append(
                    (
                        f"{where}.{bound}",
                        f"a {unit} lies in [{low:g}, {high:g}], got {value:g}{hint}",
                    )
                )
        elif unit in {"count", "currency"} and bound != "min" and value < 0:
            problems.append((f"{where}.{bound}", f"a {unit} is never negative, got {value:g}"))
    return problems


def _csat_problems(spec: MetricSpec) -> list[Problem]:
    """All CSAT metrics must use one answer scale: the events hold one."""
    first: tuple[int, tuple[int, int]] | None = None
    problems: list[Problem] = []
    for index, metric in enumerate(spec.metrics):
        if not isinstance(metric, CSATMetric):
            continue
        if first is None:
            first = (index, metric.scale)
        elif metric.scale != first[1]:
            message = (
                "all CSAT metrics share the events' answer scale; "
                f"metrics[{first[0]}] uses {list(first[1])}"
            )
            problems.append((f"metrics[{index}].scale", message))
    return problems


def reference_problems(spec: MetricSpec) -> list[Problem]:
    """Return every cross-reference problem of a spec as ``(path, message)``, in file order.

    Examples
    --------
    >>> from retention_kpis.spec.models import MetricSpec
    >>> spec = MetricSpec.model_validate(
    ...     {"version": 1, "metrics": [{"name": "a", "type": "derived", "expr": "b * 2"}]},
    ...     context={"skip_references": True})
    >>> reference_problems(spec)
    [('metrics[0].expr', "unknown metric(s) ['b']; defined metrics: ['a']")]
    """
    problems: list[Problem] = []
    reserved = {"period", *BUILTIN_UNITS}
    for index, column in enumerate(spec.segments):
        if column in reserved:
            problems.append((f"segments[{index}]", f"{column!r} is a report column name"))
    problems += _csat_problems(spec)
    metric_problems, broken = _metric_problems(spec)
    problems += metric_problems
    derived = _derived_problems(spec, broken)
    problems += derived
    bad = {
        spec.metrics[int(path.split("[")[1].split("]")[0])].name
        for path, _ in derived
        if path.startswith("metrics[")
    }
    clean = {m.name for m in spec.metrics} - broken - bad
    clean = {name for name in clean if not _reaches(spec, name, broken | bad)}
    problems += _expectation_problems(spec, clean)
    return problems
