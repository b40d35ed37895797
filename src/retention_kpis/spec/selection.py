"""Which expectations ``check --select`` runs, and the metrics they need."""

from __future__ import annotations

from collections.abc import Sequence

from retention_kpis.exceptions import InvalidInputError
from retention_kpis.spec._expr import names, parse
from retention_kpis.spec.models import AnyExpectation, DerivedMetric, Expectation, MetricSpec

__all__ = ["needed_metrics", "select_expectations"]


def select_expectations(spec: MetricSpec, select: Sequence[str] | None) -> list[int]:
    """Return the positions of the expectations ``select`` picks (all when None).

    An item ``tag:NAME`` picks the expectations tagged ``NAME``; any other item
    those whose ``name`` or metric it is.

    Raises
    ------
    InvalidInputError
        If an item picks no expectation.

    Examples
    --------
    >>> from retention_kpis.spec import load_spec
    >>> spec = load_spec({"version": 1,
    ...     "metrics": [{"name": "conv", "type": "builtin", "kpi": "conversion_rate"},
    ...                 {"name": "rev", "type": "builtin", "kpi": "revenue"}],
    ...     "expectations": [{"metric": "conv", "min": 0.1, "tags": ["acquisition"]},
    ...                      {"metric": "rev", "min": 0}]})
    >>> select_expectations(spec, ["tag:acquisition"]), select_expectations(spec, ["rev"])
    ([0], [1])
    """
    every = list(range(len(spec.expectations)))
    if select is None:
        return every
    picked: set[int] = set()
    for item in select:
        tag = item.removeprefix("tag:") if item.startswith("tag:") else None
        found = {
            index
            for index, expectation in enumerate(spec.expectations)
            if (
                tag in getattr(expectation, "tags", ())
                if tag is not None
                else item in {expectation.label, getattr(expectation, "metric", None)}
            )
        }
        if not found:
            names = sorted(
                {e.label for e in spec.expectations}
                | {e.metric for e in spec.expectations if isinstance(e, Expectation)}
            )
            tags = sorted({tag for e in spec.expectations for tag in getattr(e, "tags", ())})
            msg = (
                f"The 'select' parameter of check_spec must name expectations, metrics or "
                f"tag:NAME of the spec. Got {item!r} instead, which picks nothing. "
                f"Names: {names}; tags: {tags}."
            )
            raise InvalidInputError(msg)
        picked |= found
    return sorted(picked)


def needed_metrics(spec: MetricSpec, expectations: Sequence[AnyExpectation]) -> MetricSpec:
    """Return the spec with only the metrics the expectations need (derived inputs included)."""
    wanted = [e.metric for e in expectations if isinstance(e, Expectation)]
    needed: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in needed:
            continue
        needed.add(name)
        metric = spec.metric(name)
        if isinstance(metric, DerivedMetric):
            wanted += sorted(names(parse(metric.expr)))
    if len(needed) == len(spec.metrics):
        return spec
    metrics = tuple(metric for metric in spec.metrics if metric.name in needed)
    return spec.model_copy(update={"metrics": metrics, "expectations": tuple(expectations)})
