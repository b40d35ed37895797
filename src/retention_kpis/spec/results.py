"""Result models of a spec run: metric values per period and segment, expectation outcomes."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._core.display import Table, TableDisplay, Unit, short_repr
from retention_kpis._core.values import MaybeNaN, null_nan_defaults
from retention_kpis.report.model import SegmentValue

__all__ = [
    "CHECK_UNITS",
    "SPEC_UNITS",
    "CheckResult",
    "ExpectationResult",
    "MetricRow",
    "MetricValues",
    "SpecReport",
]

_MODEL = ConfigDict(
    frozen=True, extra="forbid", ser_json_inf_nan="null", json_schema_extra=null_nan_defaults
)
Outcome = Literal["pass", "fail", "undefined", "missing", "skipped"]

SPEC_UNITS: dict[str, Unit] = {
    "count": "count",
    "fraction": "percent",
    "currency": "money",
    "ratio": "number",
    "nps": "number",
    "score": "number",
    "number": "number",
}
"""How ``str(report)`` and the notebook show a metric of each spec unit (others: ``number``)."""

CHECK_UNITS: dict[str, Unit] = {
    "expectation": "text",
    "metric": "text",
    "period": "text",
    "segment": "text",
    "actual": "general",
    "bound": "text",
    "outcome": "text",
}
"""The columns ``str(check)`` and the notebook show, one row per expectation outcome."""


def _segment_text(segment: dict[str, Any]) -> str:
    """``k=v, ...`` of a segment ("" for none)."""
    return ", ".join(f"{key}={value}" for key, value in segment.items())


def _plain(value: float, unit: str) -> float | int | None:
    """None for an undefined value; a whole count as an int."""
    if math.isnan(value):
        return None
    return int(value) if unit == "count" and value.is_integer() else value


class MetricRow(BaseModel):
    """One value of a metric: its period (start day), segment and value (nan if undefined).

    Examples
    --------
    >>> MetricRow(period=None, segment={}, value=None).value
    nan
    """

    model_config = _MODEL

    period: dt.date | None
    segment: dict[str, SegmentValue] = Field(default_factory=dict)
    value: MaybeNaN


class MetricValues(BaseModel):
    """Every value of one metric of the spec, with its definition and unit.

    Examples
    --------
    >>> MetricValues(name="m", type="builtin", unit="count", window="M", rows=()).rows
    ()
    """

    model_config = _MODEL

    name: str
    type: str
    unit: str
    window: str | None
    rows: tuple[MetricRow, ...]


class SpecReport(TableDisplay, BaseModel):
    """The metrics of a spec computed on events.

    Examples
    --------
    >>> report = SpecReport(period="M", segments=(), metrics=(), notes=())
    >>> report.to_dict()
    {'period': []}
    """

    model_config = _MODEL

    period: str | None
    segments: tuple[str, ...]
    metrics: tuple[MetricValues, ...]
    notes: tuple[str, ...]

    def _table(self) -> Table:
        """Return the table shown: one column per metric, with the notes."""
        data = self.to_dict()
        if self.period is None:
            data["period"] = ["all"] * len(data["period"])
        units: dict[str, Unit] = {"period": "text", **dict.fromkeys(self.segments, "text")}
        units.update({m.name: SPEC_UNITS.get(m.unit, "number") for m in self.metrics})
        rows = len(data["period"])
        by = f", by {', '.join(self.segments)}" if self.segments else ""
        title = (
            f"SpecReport: {len(self.metrics)} metrics, {rows:,} rows, "
            f"period {self.period or 'none'}{by}"
        )
        return Table(list(data), data, units, self.notes, title)

    def __repr__(self) -> str:
        """Return one line: the metric names, period and segments; no values."""
        return short_repr(
            type(self).__name__,
            {
                "metrics": tuple(m.name for m in self.metrics),
                "period": self.period,
                "segments": self.segments,
                "notes": len(self.notes),
            },
        )

    def values(self, name: str) -> MetricValues:
        """Return the values of the metric called ``name``."""
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(name)

    def to_dict(self) -> dict[str, list[Any]]:
        """Return one column per metric, rows per (period, segment); None where undefined.

        Counts are ints; other values floats.
        """
        keys: dict[tuple[Any, ...], dict[str, float]] = {}
        for metric in self.metrics:
            for row in metric.rows:
                key = (row.period, *(row.segment.get(name) for name in self.segments))
                keys.setdefault(key, {})[metric.name] = row.value
        ordered = sorted(keys, key=lambda key: tuple((v is None, str(v)) for v in key))
        data: dict[str, list[Any]] = {"period": [key[0] for key in ordered]}
        for index, name in enumerate(self.segments, start=1):
            data[name] = [key[index] for key in ordered]
        for metric in self.metrics:
            column = [keys[key].get(metric.name, math.nan) for key in ordered]
            data[metric.name] = [_plain(value, metric.unit) for value in column]
        return data


class ExpectationResult(BaseModel):
    """The outcome of one expectation on one period and segment.

    ``outcome`` is ``pass``, ``fail``, ``undefined`` (the value is null and the
    expectation says ``undefined: fail``), ``skipped`` (null, ``undefined:
    skip``, or no reference value for a ``change`` expectation) or ``missing``
    (no row matches the period and segment). With ``severity="warn"`` a failed
    outcome is a warning: it does not fail the check. ``reference`` is the value
    a ``change`` expectation compares with (nan otherwise).

    Examples
    --------
    >>> result = ExpectationResult(name="nps", metric="nps", bound=">= 0", period=None,
    ...                            actual=-5.0, outcome="fail", message="nps = -5 is not >= 0")
    >>> result.passed
    False
    """

    model_config = _MODEL

    name: str
    metric: str
    bound: str
    period: dt.date | None
    segment: dict[str, SegmentValue] = Field(default_factory=dict)
    actual: MaybeNaN
    outcome: Outcome
    message: str
    severity: Literal["error", "warn"] = "error"
    reference: MaybeNaN = math.nan
    index: int | None = Field(None, ge=0, description="Position of the expectation in the spec.")

    @property
    def passed(self) -> bool:
        """Whether the outcome does not fail the check (``pass``, ``skipped`` or a warning)."""
        return self.outcome in {"pass", "skipped"} or self.severity == "warn"

    @property
    def warning(self) -> bool:
        """Whether this is a failed expectation of severity ``warn``."""
        return self.severity == "warn" and self.outcome not in {"pass", "skipped"}


class CheckResult(TableDisplay, BaseModel):
    """Every expectation outcome of a spec on events; ``passed`` when none failed.

    Examples
    --------
    >>> CheckResult(source="spec.yaml", passed=True, failures=0, results=(), notes=()).passed
    True
    """

    model_config = _MODEL

    source: str
    passed: bool
    failures: int = Field(ge=0)
    results: tuple[ExpectationResult, ...]
    notes: tuple[str, ...]
    warnings: int = Field(0, ge=0)

    def _table(self) -> Table:
        """Return the outcomes as a table, one row per expectation and segment, with the notes."""
        results = self.results
        data: dict[str, list[Any]] = {
            "expectation": [r.name for r in results],
            "metric": [r.metric for r in results],
            "period": [r.period for r in results],
            "segment": [_segment_text(r.segment) for r in results],
            "actual": [r.actual for r in results],
            "bound": [r.bound for r in results],
            "outcome": [r.outcome for r in results],
        }
        verdict = "passed" if self.passed else "FAILED"
        title = (
            f"CheckResult: {verdict}, {self.failures:,} of {len(results):,} outcomes failed "
            f"({self.source})"
        )
        return Table(list(CHECK_UNITS), data, CHECK_UNITS, self.notes, title)

    def __repr__(self) -> str:
        """Return one line: the verdict and counts; no values."""
        return short_repr(
            type(self).__name__,
            {
                "source": self.source,
                "passed": self.passed,
                "failures": self.failures,
                "results": len(self.results),
                "notes": len(self.notes),
            },
        )
