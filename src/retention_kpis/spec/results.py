"""Result models of a spec run: metric values per period and segment, expectation outcomes."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._core.values import MaybeNaN
from retention_kpis.report.model import SegmentValue

__all__ = ["CheckResult", "ExpectationResult", "MetricRow", "MetricValues", "SpecReport"]

_MODEL = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")
Outcome = Literal["pass", "fail", "undefined", "missing", "skipped"]


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


class SpecReport(BaseModel):
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
    skip``) or ``missing`` (no row matches the period and segment).

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

    @property
    def passed(self) -> bool:
        """Whether the outcome does not fail the check (``pass`` or ``skipped``)."""
        return self.outcome in {"pass", "skipped"}


class CheckResult(BaseModel):
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
