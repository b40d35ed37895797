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
from collections.abc import Mapping
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

__all__ = [
    "BUILTIN_UNITS",
    "MAX_DERIVED_DEPTH",
    "metric_unit",
    "metric_window",
    "reference_problems",
]

Problem = tuple[str, str]

MAX_DERIVED_DEPTH = 100
"""Most derived metrics that may build on one another in a chain (``a = b + 1``, ``b = c + 1``,
...). Checks and evaluation no longer recurse along the chain, so this is not a limit of the
code but a guard against runaway specs; nobody's metrics nest 100 deep."""

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
    unit = _graph(spec).unit(name)
    if isinstance(unit, _UnitError):
        raise unit
    return unit


def _plain_unit(metric: Metric) -> str:
    """Return the unit of a metric that is not derived."""
    if isinstance(metric, CSATMetric) and metric.method == "mean":
        return "score"
    if isinstance(metric, SimpleMetric):
        return _measure_unit(metric.measure)
    if isinstance(metric, RatioMetric):
        return _divide(_measure_unit(metric.numerator), _measure_unit(metric.denominator))
    assert not isinstance(metric, DerivedMetric)
    return BUILTIN_UNITS[metric.kpi]


class _Graph:
    """The references between the metrics of one spec, each worked out once.

    Every lookup used to scan the metric list and every check walked the
    derived chain again from each metric: loading 20,000 metrics took 34 s and a
    chain of 2,000 derived metrics ran for minutes (and recursed past Python's
    limit from 250 links). Here the names are indexed once, each expression is
    parsed once, and units, windows and reachability are memoised; every walk
    is iterative.
    """

    def __init__(self, spec: MetricSpec) -> None:
        self.spec = spec
        self.refs: dict[str, list[str]] = {}
        for metric in spec.metrics:
            if isinstance(metric, DerivedMetric) and metric.name not in self.refs:
                self.refs[metric.name] = names(parse(metric.expr))
        self._units: dict[str, str | _UnitError] = {}
        self._windows: dict[str, frozenset[PeriodCode | None]] = {}

    def _post_order(self, name: str, done: Mapping[str, object]) -> list[str]:
        """Return the derived metrics reachable from ``name`` (itself included), references first.

        Only for acyclic parts of the graph (the checks run it after the cycle check).
        """
        order: list[str] = []
        stack: list[tuple[str, bool]] = [(name, False)]
        seen: set[str] = set()
        while stack:
            current, expanded = stack.pop()
            if expanded:
                order.append(current)
                continue
            if current in seen or current in done or current not in self.refs:
                continue
            seen.add(current)
            stack.append((current, True))
            stack.extend((ref, False) for ref in reversed(self.refs[current]))
        return order

    def unit(self, name: str) -> str | _UnitError:
        """Return the unit of a metric, or the error of combining units somewhere below it."""
        if name not in self.refs:
            return _plain_unit(self.spec.metric(name))
        for current in self._post_order(name, self._units):
            metric = self.spec.metric(current)
            assert isinstance(metric, DerivedMetric)
            failed = next(
                (u for ref in self.refs[current] if isinstance(u := self.unit_of(ref), _UnitError)),
                None,
            )
            if failed is not None:
                self._units[current] = failed
                continue
            try:
                self._units[current] = fold(
                    parse(metric.expr),
                    leaf=lambda node: str(self.unit_of(node.name)),
                    number="number",
                    combine=_combine,
                )
            except _UnitError as exc:
                self._units[current] = exc
        return self._units[name]

    def unit_of(self, name: str) -> str | _UnitError:
        """Return the unit of a metric already worked out (or not derived)."""
        return self._units[name] if name in self.refs else _plain_unit(self.spec.metric(name))

    def windows(self, name: str) -> frozenset[PeriodCode | None]:
        """Return the windows of the non-derived metrics a metric is built from."""
        if name not in self.refs:
            return frozenset({metric_window(self.spec, self.spec.metric(name))})
        for current in self._post_order(name, self._windows):
            found: set[PeriodCode | None] = set()
            for ref in self.refs[current]:
                found |= self.windows(ref) if ref not in self.refs else self._windows[ref]
            self._windows[current] = frozenset(found)
        return self._windows[name]

    def reaching(self, bad: set[str]) -> set[str]:
        """Return the derived metrics that refer to a metric of ``bad``, directly or not."""
        users: dict[str, list[str]] = {}
        for name, refs in self.refs.items():
            for ref in refs:
                users.setdefault(ref, []).append(name)
        found: set[str] = set()
        stack = [user for name in bad for user in users.get(name, [])]
        while stack:
            name = stack.pop()
            if name not in found:
                found.add(name)
                stack.extend(users.get(name, []))
        return found

    def cyclic(self) -> dict[str, list[str]]:
        """Return a shortest reference cycle through each metric on one (``[a, b, a]``).

        Strongly connected components (Tarjan's algorithm, iteratively) find the
        metrics on cycles in linear time; a breadth-first search inside the
        component then gives each one's shortest cycle.
        """
        component = _components(
            {name: [r for r in refs if r in self.refs] for name, refs in self.refs.items()}
        )
        sizes: dict[int, int] = {}
        for number in component.values():
            sizes[number] = sizes.get(number, 0) + 1
        return {
            name: self._shortest_cycle(name, component)
            for name in self.refs
            if sizes[component[name]] > 1 or name in self.refs[name]
        }

    def _shortest_cycle(self, start: str, component: Mapping[str, int]) -> list[str]:
        previous: dict[str, str] = {}
        queue = [start]
        for name in queue:
            for ref in self.refs[name]:
                if ref == start:
                    path = [name]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if component.get(ref) == component[start] and ref not in previous:
                    previous[ref] = name
                    queue.append(ref)
        return [start, start]  # not reached: start lies on a cycle of its component

    def depths(self) -> dict[str, int]:
        """Return the links in the longest chain of derived metrics below each (acyclic part)."""
        depth: dict[str, int] = {}
        for name in self.refs:
            for current in self._post_order(name, depth):
                depth[current] = 1 + max(
                    (depth[ref] for ref in self.refs[current] if ref in self.refs), default=0
                )
        return depth


def _components(graph: Mapping[str, list[str]]) -> dict[str, int]:  # noqa: C901 - one loop, as Tarjan wrote it
    """Return the strongly connected component of each node (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            name, position = work.pop()
            if position == 0:
                index[name] = low[name] = len(index)
                stack.append(name)
                on_stack.add(name)
            if position < len(graph[name]):
                work.append((name, position + 1))
                ref = graph[name][position]
                if ref not in index:
                    work.append((ref, 0))
                elif ref in on_stack:
                    low[name] = min(low[name], index[ref])
                continue
            if low[name] == index[name]:
                member = ""
                while member != name:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[name]
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[name])
    return component


def _graph(spec: MetricSpec) -> _Graph:
    """Return the reference graph of ``spec``, built once per spec object."""
    cache = spec.__dict__.get("_rk_reference_graph")
    if not isinstance(cache, _Graph):
        cache = _Graph(spec)
        spec.__dict__["_rk_reference_graph"] = cache
    return cache


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
    defined = [m.name for m in spec.metrics]
    known = set(defined)
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
            unknown = [ref for ref in names(parse(metric.expr)) if ref not in known]
            if unknown:
                broken.add(metric.name)
                problems.append(
                    (
                        f"{where}.expr",
                        f"unknown metric(s) {unknown}; defined metrics: {_listing(defined)}",
                    )
                )
    return problems, broken


def _listing(names_: list[str], limit: int = 20) -> str:
    """``names_`` as a list, or its first ``limit`` and how many there are in all."""
    if len(names_) <= limit:
        return str(names_)
    return f"{str(names_[:limit])[:-1]}, ...] ({len(names_):,} in all)"


def _derived_problems(spec: MetricSpec, broken: set[str]) -> list[Problem]:
    graph = _graph(spec)
    problems: list[Problem] = []
    cycles = {name: cycle for name, cycle in graph.cyclic().items() if name not in broken}
    for index, metric in enumerate(spec.metrics):
        if isinstance(metric, DerivedMetric) and metric.name in cycles:
            cycle = cycles[metric.name]
            problems.append((f"metrics[{index}].expr", f"cycle: {' -> '.join(cycle)}"))
    skipped = broken | set(cycles)
    skipped |= graph.reaching(skipped)
    depths = graph.depths() if not cycles else {}
    too_deep = {name for name, depth in depths.items() if depth > MAX_DERIVED_DEPTH}
    # Report the first link past the bound; the metrics built on it are skipped.
    deep = {name for name in too_deep if not any(ref in too_deep for ref in graph.refs[name])}
    skipped |= graph.reaching(deep)
    for index, metric in enumerate(spec.metrics):
        if not isinstance(metric, DerivedMetric) or metric.name in skipped:
            continue
        where = f"metrics[{index}].expr"
        if metric.name in deep:
            problems.append(
                (
                    where,
                    (
                        f"derived metrics nest {depths[metric.name]:,} deep here; at most "
                        f"{MAX_DERIVED_DEPTH} derived metrics may build on one another"
                    ),
                )
            )
            continue
        unit = graph.unit(metric.name)
        if isinstance(unit, _UnitError):
            problems.append((where, str(unit)))
        windows = graph.windows(metric.name)
        if len(windows) > 1:
            problems.append(
                (where, f"mixes metrics over different windows {sorted(map(str, windows))}")
            )
    return problems


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
    known = set(defined)
    for index, expectation in enumerate(spec.expectations):
        where = f"expectations[{index}]"
        if isinstance(expectation, NoSignificantDrop):
            problems += drop_problems(where, expectation, spec.period, spec.segments)
            continue
        if expectation.metric not in known:
            problems.append(
                (
                    f"{where}.metric",
                    f"unknown metric {expectation.metric!r}; defined: {_listing(defined)}",
                )
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
    clean -= _graph(spec).reaching(broken | bad)
    problems += _expectation_problems(spec, clean)
    return problems
