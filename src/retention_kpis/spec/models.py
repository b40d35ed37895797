"""The pydantic model of a whole metric spec: the data contract, metrics, expectations.

A spec file (YAML or JSON) is validated into :class:`MetricSpec`. Every model is
frozen and rejects unknown keys, so a typo is an error, not a silently ignored
setting. The metric definitions are in :mod:`retention_kpis.spec.metrics`; checks
that look across the spec (references between metrics, units, segments of
expectations) are in :mod:`retention_kpis.spec._references` and run when the spec
is validated.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from retention_kpis.events import EventSchema
from retention_kpis.spec._drops import NoSignificantDrop
from retention_kpis.spec._expectation import AttributionSpec, Expectation
from retention_kpis.spec._fields import Column
from retention_kpis.spec._references import reference_problems
from retention_kpis.spec.metrics import (
    ATTRIBUTION_MODELS,
    BuiltinMetric,
    ConversionMetric,
    CSATMetric,
    DerivedMetric,
    Measure,
    Metric,
    NPSMetric,
    PeriodCode,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
)

__all__ = [
    "ATTRIBUTION_MODELS",
    "AttributionSpec",
    "BuiltinMetric",
    "CSATMetric",
    "ConversionMetric",
    "DerivedMetric",
    "Expectation",
    "Measure",
    "Metric",
    "MetricSpec",
    "NPSMetric",
    "NoSignificantDrop",
    "PeriodCode",
    "RatioMetric",
    "RetentionMetric",
    "SimpleMetric",
]


def _expectation_kind(value: object) -> str:
    """Tag an expectation: ``no_significant_drop`` by its key, else a bound."""
    has_key = isinstance(value, dict) and "no_significant_drop" in value
    return "no_significant_drop" if has_key or isinstance(value, NoSignificantDrop) else "bound"


AnyExpectation = Annotated[
    Annotated[Expectation, Tag("bound")] | Annotated[NoSignificantDrop, Tag("no_significant_drop")],
    Discriminator(_expectation_kind),
]
"""An item of ``expectations``: a bound on a metric, or a ``no_significant_drop`` check."""


class MetricSpec(BaseModel):
    """A metric spec: the event contract, the period, segments, metrics and expectations.

    Cross-references (expectations naming defined metrics, derived metrics
    naming existing ones without cycles, consistent units, known event kinds
    and segments) are checked after the fields; see :func:`load_spec`.

    Examples
    --------
    >>> spec = MetricSpec.model_validate({
    ...     "version": 1,
    ...     "metrics": [{"name": "nps", "type": "builtin", "kpi": "nps"}],
    ...     "expectations": [{"metric": "nps", "min": 0}],
    ... })
    >>> spec.period, spec.metrics[0].kpi
    ('M', 'nps')
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        title="retention_kpis metric spec",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    version: Literal[1] = Field(description="Spec format version.")
    events: EventSchema = Field(default_factory=EventSchema, description="The data contract.")
    period: Literal["D", "W", "M", "Q", "Y", "none"] = "M"
    segments: tuple[Column, ...] = ()
    unknown_events: Literal["raise", "ignore"] = "raise"
    attribution: AttributionSpec | None = None
    metrics: tuple[Metric, ...] = Field(json_schema_extra={"minItems": 1})
    expectations: tuple[AnyExpectation, ...] = ()

    @field_validator("metrics")
    @classmethod
    def _some_metrics(cls, value: tuple[Metric, ...]) -> tuple[Metric, ...]:
        if not value:
            msg = "define at least one metric"
            raise ValueError(msg)
        return value

    @field_validator("segments")
    @classmethod
    def _distinct_segments(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            msg = f"segments must be distinct, got {list(value)}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _check_references(self, info: ValidationInfo) -> MetricSpec:
        context: Any = info.context
        if isinstance(context, dict) and context.get("skip_references"):
            return self
        problems = reference_problems(self)
        if problems:
            raise ValueError("; ".join(f"{path}: {message}" for path, message in problems))
        return self

    @property
    def period_code(self) -> PeriodCode | None:
        """The period as :func:`~retention_kpis.compute_kpis` takes it (None for ``none``)."""
        return None if self.period == "none" else self.period

    @functools.cached_property
    def _by_name(self) -> dict[str, Metric]:
        """The first metric of each name, built once (lookups were a scan: quadratic specs)."""
        index: dict[str, Metric] = {}
        for metric in self.metrics:
            index.setdefault(metric.name, metric)
        return index

    def metric(self, name: str) -> Metric:
        """Return the metric called ``name`` (the first one, if the name is repeated)."""
        return self._by_name[name]
