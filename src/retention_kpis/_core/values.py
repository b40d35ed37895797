"""Value types of the frozen result models: KPI values that may be undefined (nan).

Shared by the metric models, the report, journeys and specs: each restates a
range as a validator (so a broken formula fails loudly) and serialises nan as
JSON ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

__all__ = ["Fraction", "MaybeNaN", "NonNegative", "Signed100"]


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


_NULLABLE_NUMBER = WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "null"}]})

MaybeNaN = Annotated[float, BeforeValidator(_none_is_nan), _NULLABLE_NUMBER]
"""A float that is nan when the KPI is undefined; JSON stores it as ``null``."""

Fraction = Annotated[
    float, BeforeValidator(_none_is_nan), AfterValidator(_within(0.0, 1.0)), _NULLABLE_NUMBER
]
"""A share in [0, 1], or nan when undefined."""

NonNegative = Annotated[
    float, BeforeValidator(_none_is_nan), AfterValidator(_within(0.0, math.inf)), _NULLABLE_NUMBER
]
"""A value >= 0 (money, counts per customer), or nan when undefined."""

Signed100 = Annotated[
    float, BeforeValidator(_none_is_nan), AfterValidator(_within(-100.0, 100.0)), _NULLABLE_NUMBER
]
"""A score in [-100, 100] (NPS), or nan when undefined."""
