"""Expectations of a spec (bounds on metrics) and the declared attribution model."""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from retention_kpis.attribution import Model
from retention_kpis.spec._fields import Column, Identifier, Scalar

__all__ = ["AttributionSpec", "Expectation"]


class Expectation(BaseModel):
    """A bound on a metric: ``min``/``max``, or ``equals`` within ``abs_tol``/``rel_tol``.

    ``equals`` holds when ``|actual - equals| <= max(abs_tol, rel_tol * |equals|)``.
    Without ``period`` (``all``) every period is checked; ``latest`` checks the
    last one. Without ``segment`` every segment is checked.

    Examples
    --------
    >>> Expectation(metric="nps", min=0).bound
    '>= 0'
    >>> Expectation(metric="aov", equals=60, rel_tol=0.1).bound
    '== 60 (abs_tol 0, rel_tol 0.1)'
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "anyOf": [{"required": ["min"]}, {"required": ["max"]}, {"required": ["equals"]}]
        },
    )

    name: str | None = Field(None, max_length=200, description="Label; `metric` by default.")
    metric: Identifier
    segment: dict[Column, Scalar] = Field(default_factory=dict)
    period: dt.date | Literal["all", "latest"] = "all"
    min: float | None = None
    max: float | None = None
    equals: float | None = None
    abs_tol: float = Field(0.0, ge=0)
    rel_tol: float = Field(0.0, ge=0)
    undefined: Literal["fail", "skip"] = Field(
        "fail", description="Whether an undefined (null) value fails or is skipped."
    )

    @model_validator(mode="after")
    def _check_bounds(self) -> Expectation:
        if self.min is None and self.max is None and self.equals is None:
            msg = "give at least one bound: min, max or equals"
            raise ValueError(msg)
        if self.equals is not None and (self.min is not None or self.max is not None):
            msg = "equals cannot be combined with min or max"
            raise ValueError(msg)
        if self.min is not None and self.max is not None and self.min > self.max:
            msg = f"min ({self.min:g}) must be <= max ({self.max:g})"
            raise ValueError(msg)
        if self.equals is None and (self.abs_tol or self.rel_tol):
            msg = "abs_tol and rel_tol apply to equals only"
            raise ValueError(msg)
        return self

    @property
    def label(self) -> str:
        """The expectation's name, or its metric's."""
        return self.name or self.metric

    @property
    def bound(self) -> str:
        """The bound in words, e.g. ``'>= 0.02'`` or ``'0.02 <= x <= 0.1'``."""
        if self.equals is not None:
            return f"== {self.equals:g} (abs_tol {self.abs_tol:g}, rel_tol {self.rel_tol:g})"
        if self.min is not None and self.max is not None:
            return f"{self.min:g} <= x <= {self.max:g}"
        if self.min is not None:
            return f">= {self.min:g}"
        return f"<= {self.max:g}"

    def holds(self, value: float) -> bool:
        """Whether a defined value satisfies the bound.

        Examples
        --------
        >>> Expectation(metric="m", equals=100, rel_tol=0.01).holds(100.9)
        True
        """
        if self.equals is not None:
            tolerance = max(self.abs_tol, self.rel_tol * abs(self.equals))
            return abs(value - self.equals) <= tolerance
        low = -math.inf if self.min is None else self.min
        high = math.inf if self.max is None else self.max
        return low <= value <= high


class AttributionSpec(BaseModel):
    """The attribution model the team uses, declared for journey analytics.

    Examples
    --------
    >>> AttributionSpec(model="position_based").lookback_days
    30
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    model: Model
    lookback_days: int = Field(30, gt=0, le=3660)
