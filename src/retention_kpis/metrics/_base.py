"""Base classes and value types of the frozen pydantic result models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from retention_kpis._core.values import Fraction, MaybeNaN, NonNegative, Signed100

__all__ = ["Fraction", "KPIResult", "MaybeNaN", "NonNegative", "RatioKPI", "Signed100"]


class KPIResult(BaseModel):
    """A KPI value with the unit and the definition that produced it.

    Results are frozen and reject unknown fields. An undefined value (zero
    denominator) is ``nan`` in Python and ``null`` in JSON. Subclasses narrow
    ``value`` to the metric's range, so a broken formula fails loudly.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")

    value: MaybeNaN
    unit: str
    definition: str


class RatioKPI(KPIResult):
    """A KPI that is ``numerator / denominator`` (times a scale, if any)."""

    numerator: float
    denominator: float
