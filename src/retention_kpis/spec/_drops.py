"""The ``no_significant_drop`` expectation: fail a check on a real drop, not on noise.

```yaml
expectations:
  - no_significant_drop: [conversion_rate, aov]
    baseline: trailing_median(4)   # or previous, same_period_last_year
    alpha: 0.05                    # false-alarm rate per period
    period: latest                 # or all
    severity: error                # warning: reported, does not fail the check
```

Evaluated with :func:`~retention_kpis.compute_kpis` (``confidence=1 - alpha``; with
``engagement=True`` when an engagement KPI is listed) and
:func:`~retention_kpis.report.detect_changes` on the spec's period and segments; the
message gives the change with its interval beside the value.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from retention_kpis._core.calendar import Period
from retention_kpis.events import EventSchema, UnknownEvents
from retention_kpis.report import compute_kpis, detect_changes
from retention_kpis.report.changes import KPIChange
from retention_kpis.spec._fields import Column, Scalar
from retention_kpis.spec.results import ExpectationResult

__all__ = ["IntervalKPI", "NoSignificantDrop", "drop_outcomes", "drop_problems"]

IntervalKPI = Literal[
    "conversion_rate",
    "aov",
    "purchase_frequency",
    "csat",
    "nps",
    "retention_rate",
    "churn_rate",
    "roas",
    "clv",
    "email_open_rate",
    "email_ctr",
    "email_cto_rate",
    "referred_customer_share",
    "referral_rate",
]
"""KPIs a drop of which is bad news (``cpa``, ``cac`` and ``email_unsubscribe_rate`` are not)."""

_ENGAGEMENT = frozenset(
    {"email_open_rate", "email_ctr", "email_cto_rate", "referred_customer_share", "referral_rate"}
)


class NoSignificantDrop(BaseModel):
    """No KPI of the list drops beyond sampling noise against its baseline.

    Examples
    --------
    >>> check = NoSignificantDrop(no_significant_drop=["conversion_rate"])
    >>> check.label, check.baseline, check.severity
    ('no_significant_drop', 'previous', 'error')
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    name: str | None = Field(None, max_length=200, description="Label of the check.")
    no_significant_drop: tuple[IntervalKPI, ...] = Field(
        description="Report KPIs that must not drop significantly.",
        json_schema_extra={"minItems": 1},
    )
    baseline: str = Field(
        "previous",
        pattern=r"^(previous|same_period_last_year|trailing_median\([1-9][0-9]*\))$",
        description="previous, trailing_median(k) or same_period_last_year.",
    )
    alpha: float = Field(0.05, gt=0.0, lt=1.0, description="False-alarm rate per period.")
    period: Literal["all", "latest"] = "latest"
    segment: dict[Column, Scalar] = Field(default_factory=dict)
    severity: Literal["error", "warning"] = "error"

    @field_validator("no_significant_drop")
    @classmethod
    def _some_kpis(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            msg = "name at least one KPI"
            raise ValueError(msg)
        return value

    @property
    def label(self) -> str:
        """The check's name, or ``no_significant_drop``."""
        return self.name or "no_significant_drop"


def drop_problems(
    where: str, check: NoSignificantDrop, period: str, segments: tuple[str, ...]
) -> list[tuple[str, str]]:
    """Problems of a ``no_significant_drop`` check within its spec."""
    problems = []
    if period == "none":
        problems.append((f"{where}.no_significant_drop", "needs a spec period (not 'none')"))
    problems += [
        (
            f"{where}.segment.{column}",
            f"{column!r} is not a segment of the spec; segments: {list(segments)}",
        )
        for column in check.segment
        if column not in segments
    ]
    return problems


def _same(left: object, right: object) -> bool:
    return left == right or str(left) == str(right)


def _message(check: NoSignificantDrop, row: KPIChange, confidence: float) -> str:
    parts = [f"period {row.period}", *(f"{k}={v}" for k, v in row.segment.items())]
    shown = (
        f"{row.kpi} = {row.value:g} vs {check.baseline} {row.baseline:g}: change {row.change:+.4g} "
        f"({100 * confidence:g}% CI {row.ci_low:+.4g} to {row.ci_high:+.4g}), "
        f"adjusted p {row.p_adjusted:.3g}"
    )
    verdict = (
        "significant drop" if row.flagged and row.direction == "drop" else "no significant drop"
    )
    prefix = "[warning] " if check.severity == "warning" and verdict == "significant drop" else ""
    return f"{prefix}{check.label}: {verdict}: {shown} [{', '.join(parts)}]"


def drop_outcomes(
    check: NoSignificantDrop,
    events: object,
    *,
    period: Period,
    segments: tuple[str, ...],
    schema: EventSchema,
    unknown_events: UnknownEvents,
) -> list[ExpectationResult]:
    """Return one outcome per KPI and checked period/segment; ``fail`` on a significant drop."""
    report = compute_kpis(
        events,
        schema=schema,
        period=period,
        by=segments or None,
        unknown_events=unknown_events,
        confidence=1 - check.alpha,
        engagement=not _ENGAGEMENT.isdisjoint(check.no_significant_drop),
    )
    changes = detect_changes(
        report, kpis=list(check.no_significant_drop), baseline=check.baseline, alpha=check.alpha
    )
    rows = [
        row
        for row in changes.rows
        if all(_same(row.segment.get(k), v) for k, v in check.segment.items())
    ]
    if check.period == "latest" and rows:
        last = max(row.period for row in rows)
        rows = [row for row in rows if row.period == last]
    bound = f"no drop beyond noise vs {check.baseline} (alpha {check.alpha:g})"
    results = []
    for row in rows:
        if math.isnan(row.change):
            outcome = "skipped"
        elif row.flagged and row.direction == "drop":
            outcome = "fail"
        else:
            outcome = "pass"
        results.append(
            ExpectationResult(
                name=check.label,
                metric=row.kpi,
                bound=bound,
                period=row.period,
                segment=dict(row.segment),
                actual=row.value,
                outcome=outcome,
                message=_message(check, row, 1 - check.alpha),
            )
        )
    if not results:
        results.append(
            ExpectationResult(
                name=check.label,
                metric=", ".join(check.no_significant_drop),
                bound=bound,
                period=None,
                actual=math.nan,
                outcome="missing",
                message=f"{check.label}: no period with a {check.baseline} baseline in the data",
            )
        )
    return results
