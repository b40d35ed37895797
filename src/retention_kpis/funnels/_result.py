"""Frozen result models of funnels and cart KPIs, and the step rows built from matches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from retention_kpis._validation import ZeroDivision, divide
from retention_kpis.funnels._match import NEVER
from retention_kpis.funnels._units import IntArray, SegmentValue
from retention_kpis.metrics._base import Fraction

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CartKPIRow", "CartKPIs", "FunnelResult", "FunnelStep", "sort_key", "step_rows"]

Unit = Literal["user", "session"]
Count = Annotated[int, Field(ge=0)]
_CONFIG = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null")


def sort_key(segment: tuple[SegmentValue, ...]) -> tuple[tuple[int, str, str | float], ...]:
    """Deterministic order of segments: nulls first, then by type name, then by value."""
    return tuple(
        (0, "", "") if v is None else (1, type(v).__name__, v if isinstance(v, str) else float(v))
        for v in segment
    )


class FunnelStep(BaseModel):
    """One funnel step of one segment.

    ``conversion_from_first = entrants / entrants of step 1``;
    ``conversion_from_previous = entrants / entrants of the previous step``
    (1 for step 1); ``drop_off = previous entrants - entrants`` (0 for step 1)
    and ``drop_off_share = drop_off / previous entrants``;
    ``median_seconds_from_previous`` is the median time between the matched
    previous-step and this-step events of the units that reached this step
    (None for step 1 or when nobody reached it).
    """

    model_config = _CONFIG

    segment: tuple[SegmentValue, ...]
    step: Annotated[int, Field(ge=1)]
    event_type: str
    entrants: Count
    conversion_from_first: Fraction
    conversion_from_previous: Fraction
    drop_off: Count
    drop_off_share: Fraction
    median_seconds_from_previous: Annotated[float, Field(ge=0.0)] | None


class FunnelResult(BaseModel):
    """A funnel: one :class:`FunnelStep` per step and segment, segments in sorted order.

    Examples
    --------
    >>> result = FunnelResult(steps=("visit",), within_seconds=60, unit="user", ordered=True,
    ...                       by=(), session_gap_seconds=None, rows=())
    >>> result.to_frame().columns.tolist()[:3]
    ['step', 'event_type', 'entrants']
    """

    model_config = _CONFIG

    steps: tuple[str, ...]
    within_seconds: Annotated[int, Field(gt=0)]
    unit: Unit
    ordered: bool
    by: tuple[str, ...]
    session_gap_seconds: int | None
    rows: tuple[FunnelStep, ...]
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Return one row per segment and step as a pandas DataFrame (``by`` columns first)."""
        import pandas as pd  # noqa: PLC0415 - pandas is imported only when a frame is asked for

        fields = [name for name in FunnelStep.model_fields if name != "segment"]
        records = [
            {**dict(zip(self.by, row.segment, strict=True)), **row.model_dump(include=set(fields))}
            for row in self.rows
        ]
        frame: pd.DataFrame = pd.DataFrame.from_records(records, columns=[*self.by, *fields])
        return frame


class CartKPIRow(BaseModel):
    """Cart and checkout KPIs of one segment (see :func:`~retention_kpis.funnels.cart_kpis`)."""

    model_config = _CONFIG

    segment: tuple[SegmentValue, ...]
    carts_created: Count
    carts_converted: Count
    cart_abandonment_rate: Fraction
    checkouts_started: Count
    checkouts_completed: Count
    checkout_conversion_rate: Fraction


class CartKPIs(BaseModel):
    """Cart abandonment and checkout conversion per segment.

    Examples
    --------
    >>> CartKPIs(unit="user", within_seconds=3600, by=(), rows=()).to_frame().shape
    (0, 6)
    """

    model_config = _CONFIG

    unit: Unit
    within_seconds: Annotated[int, Field(gt=0)]
    by: tuple[str, ...]
    rows: tuple[CartKPIRow, ...]
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Return one row per segment as a pandas DataFrame (``by`` columns first)."""
        import pandas as pd  # noqa: PLC0415 - pandas is imported only when a frame is asked for

        fields = [name for name in CartKPIRow.model_fields if name != "segment"]
        records = [
            {**dict(zip(self.by, row.segment, strict=True)), **row.model_dump(include=set(fields))}
            for row in self.rows
        ]
        frame: pd.DataFrame = pd.DataFrame.from_records(records, columns=[*self.by, *fields])
        return frame


def step_rows(
    segment: tuple[SegmentValue, ...],
    reached: IntArray,
    names: Sequence[str],
    *,
    zero_division: ZeroDivision,
) -> list[FunnelStep]:
    """Build the step rows of one segment from its units' reach times."""
    hit = reached != NEVER
    entrants = hit.sum(axis=0).astype(int).tolist()
    nobody = math.nan
    if entrants[0] == 0:  # only without `by`: the single segment when nobody entered
        nobody = divide(
            0,
            0,
            zero_division=zero_division,
            kpi="funnel conversion",
            denominator_name="the number of units entering step 1",
        )
    rows: list[FunnelStep] = []
    for k, name in enumerate(names):
        previous = entrants[max(k - 1, 0)]
        median = None
        if k > 0:
            gaps = (reached[hit[:, k], k] - reached[hit[:, k], k - 1]).astype(np.float64)
            median = float(np.median(gaps)) if gaps.size else None
        drop = previous - entrants[k]
        if entrants[0] == 0:
            from_first = from_previous = share = nobody
        else:
            from_first = entrants[k] / entrants[0]
            from_previous = (
                divide(
                    entrants[k],
                    previous,
                    zero_division=zero_division,
                    kpi="conversion_from_previous",
                    denominator_name=f"the number of units reaching step {k}",
                )
                if k > 0
                else 1.0
            )
            # Same denominator as conversion_from_previous: warned once, above.
            share = drop / previous if previous else from_previous
        rows.append(
            FunnelStep(
                segment=segment,
                step=k + 1,
                event_type=name,
                entrants=entrants[k],
                conversion_from_first=from_first,
                conversion_from_previous=from_previous,
                drop_off=drop,
                drop_off_share=share,
                median_seconds_from_previous=median,
            )
        )
    return rows
