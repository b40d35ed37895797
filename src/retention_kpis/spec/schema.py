"""JSON Schemas of the spec and of the KPI report, for editors and other services."""

from __future__ import annotations

from typing import Any

from retention_kpis.report import KPIReport
from retention_kpis.spec.models import MetricSpec

__all__ = ["report_json_schema", "spec_json_schema"]


def _tidy(node: object) -> None:
    """Cut the doctest ``Examples`` out of docstring-derived descriptions, in place."""
    if isinstance(node, dict):
        description = node.get("description")
        if isinstance(description, str):
            node["description"] = description.split("\n\nExamples\n", 1)[0].strip()
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


def spec_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of a metric spec file.

    It checks keys, types and allowed values; references between metrics and
    units are checked by :func:`~retention_kpis.spec.load_spec`.

    Examples
    --------
    >>> schema = spec_json_schema()
    >>> schema["required"], schema["additionalProperties"]
    (['version', 'metrics'], False)
    """
    schema = MetricSpec.model_json_schema()
    _tidy(schema)
    return schema


def report_json_schema() -> dict[str, Any]:
    """Return the JSON Schema of :class:`~retention_kpis.KPIReport` (``report --format json``).

    Examples
    --------
    >>> "rows" in report_json_schema()["properties"]
    True
    """
    schema = KPIReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    _tidy(schema)
    return schema
