"""Expectations of a spec (bounds on metrics) and the declared attribution model."""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from retention_kpis.attribution import Model
from retention_kpis.spec._fields import Column, Identifier, Scalar

__all__ = ["AttributionSpec", "Change", "Expectation"]


class Change(BaseModel):
    """A bound on a metric's change against a reference value of the same segment.

    The reference is the metric in the calendar-previous period (``previous``),
    in the same period a year earlier (``year_ago``: 52 weeks earlier for
    weekly periods) or the median of its defined values over the ``periods``
    periods before (``trailing_median``). The change is ``value - reference``
    (in the metric's unit: points for a fraction), or ``(value - reference) /
    |reference|`` with ``relative: true``. ``min``/``max`` bound the change;
    ``within: k`` is ``min: -k, max: k``. A row without a reference (the first
    period, a gap, a null reference) is skipped.

    Examples
    --------
    >>> Change(against="previous", relative=True, min=-0.2).bound
    'relative change against the previous period >= -0.2'
    >>> Change(against="trailing_median", periods=8, within=0.03).bound
    'change against the median of the 8 periods before within +-0.03'
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    against: Literal["previous", "year_ago", "trailing_median"] = Field(
        description="The reference: previous period, same period a year ago, trailing median."
    )
    periods: int | None = Field(
        None, ge=1, le=1000, description="Periods of the trailing median (trailing_median only)."
    )
    relative: bool = Field(
        default=False,
        description="Bound (value - reference) / |reference| instead of the difference.",
    )
    min: float | None = None
    max: float | None = None
    within: float | None = Field(None, ge=0, description="Shorthand for min: -within, max: within.")

    @model_validator(mode="after")
    def _check(self) -> Change:
        if (self.against == "trailing_median") != (self.periods is not None):
            msg = "periods goes with against: trailing_median, and it needs periods"
            raise ValueError(msg)
        if self.within is None and self.min is None and self.max is None:
            msg = "give a bound on the change: min, max or within"
            raise ValueError(msg)
        if self.within is not None and (self.min is not None or self.max is not None):
            msg = "within cannot be combined with min or max"
            raise ValueError(msg)
        if self.min is not None and self.max is not None and self.min > self.max:
            msg = f"min ({self.min:g}) must be <= max ({self.max:g})"
            raise ValueError(msg)
        return self

    @property
    def low(self) -> float:
        """The lowest change allowed."""
        if self.within is not None:
            return -self.within
        return -math.inf if self.min is None else self.min

    @property
    def high(self) -> float:
        """The highest change allowed."""
        if self.within is not None:
            return self.within
        return math.inf if self.max is None else self.max

    @property
    def reference(self) -> str:
        """The reference in words."""
        if self.against == "previous":
            return "the previous period"
        if self.against == "year_ago":
            return "the same period a year ago"
        return f"the median of the {self.periods} periods before"

    @property
    def bound(self) -> str:
        """The bound in words."""
        what = f"{'relative ' if self.relative else ''}change against {self.reference}"
        if self.within is not None:
            return f"{what} within +-{self.within:g}"
        if self.min is not None and self.max is not None:
            return f"{self.min:g} <= {what} <= {self.max:g}"
        if self.min is not None:
            return f"{what} >= {self.min:g}"
        return f"{what} <= {self.max:g}"


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
            "anyOf": [
                {"required": ["min"]},
                {"required": ["max"]},
                {"required": ["equals"]},
                {"required": ["change"]},
            ]
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
    change: Change | None = Field(
        None, description="A bound on the change against a reference period, per segment."
    )
    severity: Literal["error", "warn"] = Field(
        "error",
        description=(
            "error: a failure fails the check (exit 1); warn (or warning): it is printed, exit 0."
        ),
    )
    tags: tuple[Identifier, ...] = Field(
        (), description="Labels that `check --select tag:NAME` selects expectations by."
    )

    @field_validator("severity", mode="before")
    @classmethod
    def _warning_is_warn(cls, value: object) -> object:
        """Accept ``warning`` (the spelling of ``no_significant_drop``) for ``warn``."""
        return "warn" if value == "warning" else value

    @model_validator(mode="after")
    def _check_bounds(self) -> Expectation:
        if self.change is not None:
            if self.min is not None or self.max is not None or self.equals is not None:
                msg = "change cannot be combined with min, max or equals"
                raise ValueError(msg)
            return self
        if self.min is None and self.max is None and self.equals is None:
            msg = "give at least one bound: min, max, equals or change"
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
        if self.change is not None:
            return self.change.bound
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
