"""Value types of the frozen result models: KPI values that may be undefined (nan).

Shared by the metric models, the report, journeys and specs: each restates a
range as a validator (so a broken formula fails loudly) and serialises nan as
JSON ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

__all__ = ["Fraction", "MaybeNaN", "NonNegative", "Signed100", "null_nan_defaults"]


def _none_is_nan(value: object) -> object:
    """Read ``null`` (how JSON stores an undefined KPI) back as nan."""
    return math.nan if value is None else value


def _within(low: float, high: float) -> Callable[[float], float]:
    """Return a validator that accepts nan (undefined) or a value in [low, high]."""

    def check(value: float) -> float:
        if math.isnan(value) or low <= value <= high:
            return value
        msg = f"must be in [{low:g}, {high:g}] or nan (undefined), got {value!r}"
        raise ValueError(msg)

    return check


def _nullable_number(**bounds: float) -> WithJsonSchema:
    """JSON Schema of a KPI value: a number (within ``bounds``) or null when undefined."""
    return WithJsonSchema({"anyOf": [{"type": "number", **bounds}, {"type": "null"}]})


MaybeNaN = Annotated[float, BeforeValidator(_none_is_nan), _nullable_number()]
"""A float that is nan when the KPI is undefined; JSON stores it as ``null``."""

Fraction = Annotated[
    float,
    BeforeValidator(_none_is_nan),
    AfterValidator(_within(0.0, 1.0)),
    _nullable_number(minimum=0, maximum=1),
]
"""A share in [0, 1], or nan when undefined."""

NonNegative = Annotated[
    float,
    BeforeValidator(_none_is_nan),
    AfterValidator(_within(0.0, math.inf)),
    _nullable_number(minimum=0),
]
"""A value >= 0 (money, counts per customer), or nan when undefined."""

Signed100 = Annotated[
    float,
    BeforeValidator(_none_is_nan),
    AfterValidator(_within(-100.0, 100.0)),
    _nullable_number(minimum=-100, maximum=100),
]
"""A score in [-100, 100] (NPS), or nan when undefined."""


def null_nan_defaults(schema: dict[str, Any]) -> None:
    """Write nan defaults of a model's JSON Schema properties as null, in place.

    A ``json_schema_extra`` hook: strict JSON has no NaN, and an undefined KPI is
    ``null`` in the models' JSON.

    Examples
    --------
    >>> schema = {"properties": {"nps": {"default": float("nan")}, "n": {"default": 1}}}
    >>> null_nan_defaults(schema); schema["properties"]
    {'nps': {'default': None}, 'n': {'default': 1}}
    """
    for field in schema.get("properties", {}).values():
        default = field.get("default")
        if isinstance(default, float) and math.isnan(default):
            field["default"] = None
