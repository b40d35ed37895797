"""The pydantic models of one metric definition of a spec (built-in, ratio, derived, ...).

Every model is frozen and rejects unknown keys, so a typo is an error, not a
silently ignored setting. No field is ever executed: a derived metric's ``expr``
is parsed by :mod:`retention_kpis.spec._expr`, never evaluated as code. The whole
spec, :class:`~retention_kpis.spec.models.MetricSpec`, is in
:mod:`retention_kpis.spec.models`.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from retention_kpis.attribution import MODELS
from retention_kpis.spec._expr import ExpressionError, parse
from retention_kpis.spec._fields import Column, Identifier, Scalar

__all__ = [
    "ATTRIBUTION_MODELS",
    "BuiltinMetric",
    "CSATMetric",
    "ConversionMetric",
    "DerivedMetric",
    "Measure",
    "Metric",
    "NPSMetric",
    "PeriodCode",
    "RatioMetric",
    "RetentionMetric",
    "SimpleMetric",
]

ATTRIBUTION_MODELS = MODELS
"""Attribution model names a spec may declare."""

_MODEL = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
PeriodCode: TypeAlias = Literal["D", "W", "M", "Q", "Y"]


class _Metric(BaseModel):
    """Fields every metric has."""

    model_config = _MODEL

    name: Identifier = Field(description="Name of the metric, used by expectations and `expr`.")
    description: str = Field("", max_length=2000, description="What the metric means, for humans.")


class BuiltinMetric(_Metric):
    """A KPI of :func:`~retention_kpis.compute_kpis` that takes no parameters.

    Examples
    --------
    >>> BuiltinMetric(name="aov", type="builtin", kpi="aov").kpi
    'aov'
    """

    type: Literal["builtin"]
    kpi: Literal[
        "visitors",
        "orders",
        "revenue",
        "spend",
        "new_customers",
        "cpa",
        "cac",
        "roas",
        "aov",
        "purchase_frequency",
        "active_customers",
    ]


class NPSMetric(_Metric):
    """Net Promoter Score, -100..100, from 0-10 answers (promoters 9-10, detractors 0-6).

    Examples
    --------
    >>> NPSMetric(name="nps", type="builtin", kpi="nps").scale
    (0, 10)
    """

    type: Literal["builtin"]
    kpi: Literal["nps"]
    scale: tuple[Literal[0], Literal[10]] = Field(
        (0, 10), description="NPS is defined on the 0-10 scale only (Reichheld 2003)."
    )


class CSATMetric(_Metric):
    """Customer satisfaction: top-2-box share (default) or mean answer.

    ``threshold`` (top2box only) defaults to ``scale[1] - 1``, the top two boxes.

    Examples
    --------
    >>> CSATMetric(name="csat", type="builtin", kpi="csat", scale=(1, 7)).satisfied_threshold
    6
    """

    type: Literal["builtin"]
    kpi: Literal["csat"]
    method: Literal["top2box", "mean"] = "top2box"
    scale: tuple[int, int] = (1, 5)
    threshold: int | None = Field(None, description="Lowest satisfied answer (top2box only).")

    @model_validator(mode="after")
    def _check_scale(self) -> CSATMetric:
        low, high = self.scale
        if low >= high:
            msg = f"scale must be [low, high] with low < high, got {list(self.scale)}"
            raise ValueError(msg)
        if self.threshold is not None:
            if self.method == "mean":
                msg = "threshold applies to method 'top2box' only, not 'mean'"
                raise ValueError(msg)
            if not low <= self.threshold <= high:
                msg = f"threshold must lie within scale [{low}, {high}], got {self.threshold}"
                raise ValueError(msg)
        return self

    @property
    def satisfied_threshold(self) -> int:
        """The threshold used: ``threshold``, or ``scale[1] - 1`` (top two boxes)."""
        return self.scale[1] - 1 if self.threshold is None else self.threshold


class ConversionMetric(_Metric):
    """Conversion rate per user (distinct visitors) or per session.

    ``unit: session`` needs ``session_column``: converted sessions (holding a
    purchase) over sessions (holding a visit).

    Examples
    --------
    >>> ConversionMetric(name="cr", type="builtin", kpi="conversion_rate").unit
    'user'
    """

    type: Literal["builtin"]
    kpi: Literal["conversion_rate"]
    unit: Literal["user", "session"] = "user"
    session_column: Column | None = None

    @model_validator(mode="after")
    def _check_session(self) -> ConversionMetric:
        if self.unit == "session" and self.session_column is None:
            msg = "unit 'session' needs session_column (the column holding session ids)"
            raise ValueError(msg)
        if self.unit == "user" and self.session_column is not None:
            msg = "session_column applies to unit 'session' only"
            raise ValueError(msg)
        return self


class RetentionMetric(_Metric):
    """Retention rate, churn rate or CLV, with the activity event and the window.

    Activity is a purchase (the facade's definition); ``window`` is the period
    over which customers are compared (the spec's period by default).

    Examples
    --------
    >>> RetentionMetric(name="r", type="builtin", kpi="retention_rate", window="Q").window
    'Q'
    """

    type: Literal["builtin"]
    kpi: Literal["retention_rate", "churn_rate", "clv"]
    activity_event: Literal["purchase"] = "purchase"
    window: PeriodCode | None = None
    churn_from: Literal["activity", "events"] = "activity"


class Measure(BaseModel):
    """An aggregate over the events: exactly one of ``count``, ``count_distinct``, ``sum``.

    ``count: purchase`` counts events of that kind; ``count_distinct`` and ``sum``
    take a column role (``customer_id``, ``revenue``, ...) or column name and an
    optional ``event`` kind. ``filter`` keeps rows whose column equals the value
    (or one of the listed values).

    Examples
    --------
    >>> Measure(count="purchase", filter={"channel": ["email", "social"]}).aggregation
    ('count', 'purchase')
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "oneOf": [
                {"required": ["count"]},
                {"required": ["count_distinct"]},
                {"required": ["sum"]},
            ]
        },
    )

    count: Column | None = Field(None, description="Event kind whose rows are counted.")
    count_distinct: Column | None = Field(None, description="Column role or name.")
    sum: Column | None = Field(None, description="Numeric column role or name.")
    event: Column | None = Field(None, description="Event kind (count_distinct and sum only).")
    filter: dict[Column, Scalar | list[Scalar]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_one(self) -> Measure:
        given = [key for key in ("count", "count_distinct", "sum") if getattr(self, key)]
        if len(given) != 1:
            msg = f"give exactly one of count, count_distinct, sum; got {given or 'none'}"
            raise ValueError(msg)
        if self.count is not None and self.event is not None:
            msg = "event applies to count_distinct and sum; count already names the event kind"
            raise ValueError(msg)
        return self

    @property
    def aggregation(self) -> tuple[str, str]:
        """``(kind, argument)``: the aggregation and what it applies to."""
        for key in ("count", "count_distinct", "sum"):
            value = getattr(self, key)
            if value is not None:
                return key, value
        raise AssertionError  # pragma: no cover - excluded by _check_one


class SimpleMetric(_Metric):
    """One measure per period and segment (MetricFlow's *simple* metric).

    Examples
    --------
    >>> SimpleMetric(name="orders", type="simple", measure={"count": "purchase"}).measure.count
    'purchase'
    """

    type: Literal["simple"]
    measure: Measure


class RatioMetric(_Metric):
    """``numerator / denominator`` of two measures; undefined (null) on a zero denominator.

    Examples
    --------
    >>> m = RatioMetric(name="r", type="ratio", numerator={"count": "purchase"},
    ...                 denominator={"count": "visit"})
    >>> m.denominator.count
    'visit'
    """

    type: Literal["ratio"]
    numerator: Measure
    denominator: Measure


class DerivedMetric(_Metric):
    """Arithmetic of other metrics: ``+ - * /``, numbers and parentheses, never code.

    Examples
    --------
    >>> DerivedMetric(name="rpv", type="derived", expr="revenue / visitors").expr
    'revenue / visitors'
    """

    type: Literal["derived"]
    expr: str = Field(description="e.g. `revenue / visitors`; metric names, numbers, + - * / ( )")

    @field_validator("expr")
    @classmethod
    def _parse(cls, value: str) -> str:
        try:
            parse(value)
        except ExpressionError as exc:
            raise ValueError(str(exc)) from exc
        return value


BuiltinKPI = Annotated[
    BuiltinMetric | NPSMetric | CSATMetric | ConversionMetric | RetentionMetric,
    Field(discriminator="kpi"),
]
Metric = Annotated[
    BuiltinKPI | SimpleMetric | RatioMetric | DerivedMetric, Field(discriminator="type")
]
"""Any metric definition, told apart by ``type`` (and ``kpi`` for built-ins)."""
