"""Value types of the frozen result models: KPI values that may be undefined (nan).

Shared by the metric models, the report, journeys and specs: each restates a
range as a validator (so a broken formula fails loudly) and serialises nan as
JSON ``null``.

Strict JSON has no infinity. An infinite KPI (``return_on_ad_spend(10, 0,
zero_division=math.inf)``, or a ratio that overflows) is written as the string
``"Infinity"`` (``"-Infinity"``) and read back as ``inf``, so the round trip is
exact; before, pydantic wrote ``null`` and it came back as nan (undefined).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

__all__ = ["Fraction", "MaybeNaN", "NonNegative", "Signed100", "null_nan_defaults"]


_INFINITIES = {"Infinity": math.inf, "-Infinity": -math.inf}


def _none_is_nan(value: object) -> object:
    """Read ``null`` (an undefined KPI in JSON) back as nan and ``"Infinity"`` as inf."""
    if value is None:
        return math.nan
    if isinstance(value, str) and value in _INFINITIES:
        return _INFINITIES[value]
    return value


def _to_json(value: float) -> float | str | None:
    """Write nan as ``null`` and an infinity as ``"Infinity"`` / ``"-Infinity"`` (strict JSON).

    Examples
    --------
    >>> _to_json(float("nan")), _to_json(float("-inf")), _to_json(2.5)
    (None, '-Infinity', 2.5)
    """
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _within(low: float, high: float) -> Callable[[float], float]:
    """Return a validator that accepts nan (undefined) or a value in [low, high]."""

    def check(value: float) -> float:
        if math.isnan(value) or low <= value <= high:
            return value
        msg = f"must be in [{low:g}, {high:g}] or nan (undefined), got {value!r}"
        raise ValueError(msg)

    return check


def _nullable_number(*infinities: str, **bounds: float) -> WithJsonSchema:
    """JSON Schema of a KPI value: a number (within ``bounds``) or null when undefined.

    ``infinities`` (``"Infinity"``, ``"-Infinity"``) are allowed as strings where the range
    holds them (strict JSON has no infinity literal).
    """
    kinds: list[dict[str, Any]] = [{"type": "number", **bounds}, {"type": "null"}]
    if infinities:
        kinds.append({"type": "string", "enum": list(infinities)})
    return WithJsonSchema({"anyOf": kinds})


_STRICT_JSON = PlainSerializer(_to_json, when_used="json")

MaybeNaN = Annotated[
    float,
    BeforeValidator(_none_is_nan),
    _nullable_number("Infinity", "-Infinity"),
    _STRICT_JSON,
]
"""A float that is nan when the KPI is undefined; JSON stores it as ``null``."""

Fraction = Annotated[
    float,
    BeforeValidator(_none_is_nan),
    AfterValidator(_within(0.0, 1.0)),
    _nullable_number(minimum=0, maximum=1),
    _STRICT_JSON,
]
"""A share in [0, 1], or nan when undefined."""

NonNegative = Annotated[
    float,
    BeforeValidator(_none_is_nan),
    AfterValidator(_within(0.0, math.inf)),
    _nullable_number("Infinity", minimum=0),
    _STRICT_JSON,
]
"""A value >= 0 (money, counts per customer), or nan when undefined."""

Signed100 = Annotated[
    float,
    BeforeValidator(_none_is_nan),
    AfterValidator(_within(-100.0, 100.0)),
    _nullable_number(minimum=-100, maximum=100),
    _STRICT_JSON,
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
