"""Metric definitions as code: spec files, their validation, and expectation checks for CI.

A spec (YAML or JSON) declares the event contract, the period and segments,
the metrics a team uses (built-in KPIs with their parameters, simple and ratio
measures, derived arithmetic) and expectations on them. :func:`load_spec`
validates it, :func:`compute_spec` computes its metrics on events and
:func:`check_spec` checks its expectations; ``retention-kpis validate`` and
``retention-kpis check`` do the same from the command line (see ``docs/ci.md``).
"""

from __future__ import annotations

from retention_kpis.spec.evaluate import check_spec, compute_spec
from retention_kpis.spec.junit import junit_xml
from retention_kpis.spec.load import SpecError, SpecProblem, load_spec
from retention_kpis.spec.models import (
    AttributionSpec,
    BuiltinMetric,
    ConversionMetric,
    CSATMetric,
    DerivedMetric,
    Expectation,
    Measure,
    MetricSpec,
    NPSMetric,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
)
from retention_kpis.spec.results import (
    CheckResult,
    ExpectationResult,
    MetricRow,
    MetricValues,
    SpecReport,
)
from retention_kpis.spec.schema import spec_json_schema

__all__ = [
    "AttributionSpec",
    "BuiltinMetric",
    "CSATMetric",
    "CheckResult",
    "ConversionMetric",
    "DerivedMetric",
    "Expectation",
    "ExpectationResult",
    "Measure",
    "MetricRow",
    "MetricSpec",
    "MetricValues",
    "NPSMetric",
    "RatioMetric",
    "RetentionMetric",
    "SimpleMetric",
    "SpecError",
    "SpecProblem",
    "SpecReport",
    "check_spec",
    "compute_spec",
    "junit_xml",
    "load_spec",
    "spec_json_schema",
]
