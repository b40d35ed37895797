"""Customer effort score (CES): the mean answer to "the company made it easy"."""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

from pydantic import model_validator

from retention_kpis._core.checks import (
    ZeroDivision,
    as_score_array,
    check_scale,
    check_scores_in_range,
    check_zero_division,
    divide,
)
from retention_kpis.metrics._base import KPIResult, MaybeNaN, interval_fields
from retention_kpis.stats import ratio_interval
from retention_kpis.stats.ratios import RatioMethod

__all__ = ["CustomerEffortScore", "customer_effort_score"]

_FUNC = "customer_effort_score"


class _Tally(NamedTuple):
    score_sum: float
    responses: int
    scale: tuple[int, int]


def _tally(scores: object, scale: object) -> _Tally:
    """Validate the scale and the answers; sum them."""
    low, high = check_scale(scale, "scale", _FUNC)
    values = as_score_array(scores, "scores", _FUNC)
    check_scores_in_range(values, low, high, "scores", _FUNC, integer=True)
    return _Tally(float(values.sum()), int(values.size), (low, high))


def _score(tally: _Tally, zero_division: object) -> float:
    """Apply the CES formula to a tally (the one place the formula lives)."""
    policy = check_zero_division(zero_division, _FUNC)
    return divide(
        tally.score_sum,
        tally.responses,
        zero_division=policy,
        kpi=_FUNC,
        denominator_name="responses",
    )


def customer_effort_score(
    scores: object,
    *,
    scale: tuple[int, int] = (1, 7),
    zero_division: ZeroDivision = "warn",
) -> float:
    """Mean answer to a customer effort survey question.

    ``customer_effort_score = sum(scores) / responses``

    The default scale is the 1-7 agreement scale of CES 2.0 ("The company made
    it easy for me to handle my issue": 1 = strongly disagree, 7 = strongly
    agree), so a *higher* score means *less* effort. The function works the same
    on a 1-5 scale (``scale=(1, 5)``); check which way the question is worded
    before comparing scores, since older CES surveys ask "how much effort did
    you have to put forth" where higher means more effort.

    Parameters
    ----------
    scores : array-like of int
        One answer per respondent, whole numbers within ``scale``: a list,
        tuple, numpy array, pandas or polars Series. It is not modified.
    scale : (int, int), default=(1, 7)
        Lowest and highest possible answer, whole numbers with ``low < high``.
    zero_division : {"warn"} or float, default="warn"
        Returned when there are no responses; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A mean score within ``scale``.

    Raises
    ------
    InvalidInputError
        If ``scores`` is not a 1-D sequence of numbers, holds nan or inf, or
        holds values outside ``scale`` or not whole; or if ``scale`` is not a
        ``(low, high)`` pair of whole numbers with ``low < high``.

    Examples
    --------
    >>> customer_effort_score([7, 6, 5, 2])
    5.0
    >>> customer_effort_score([5, 4, 4], scale=(1, 5))
    4.333333333333333
    >>> customer_effort_score([], zero_division=0.0)
    0.0
    """
    return _score(_tally(scores, scale), zero_division)


class CustomerEffortScore(KPIResult):
    """CES with the sum of answers, the response count and the scale.

    A defined ``value`` (``responses > 0``) must lie within ``scale``.

    Examples
    --------
    >>> result = CustomerEffortScore.from_scores([7, 6, 5, 2])
    >>> result.value, result.score_sum, result.responses
    (5.0, 20.0, 4)
    """

    value: MaybeNaN
    unit: Literal["score"] = "score"
    definition: Literal["sum(scores) / responses"] = "sum(scores) / responses"
    score_sum: float
    responses: int
    scale: tuple[int, int]

    @model_validator(mode="after")
    def _value_within_scale(self) -> CustomerEffortScore:
        low, high = self.scale
        if self.responses > 0 and not (math.isnan(self.value) or low <= self.value <= high):
            msg = f"value must be in the scale [{low}, {high}] or nan, got {self.value!r}"
            raise ValueError(msg)
        return self

    @classmethod
    def from_scores(
        cls,
        scores: object,
        *,
        scale: tuple[int, int] = (1, 7),
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: RatioMethod = "delta",
        seed: int = 0,
    ) -> CustomerEffortScore:
        """Compute the CES and keep the sum of answers and the response count.

        With ``confidence`` also the interval of the mean answer, each response one draw
        (:func:`~retention_kpis.ratio_interval` with denominators 1: the normal interval of
        a mean, or the seeded percentile bootstrap), kept within ``scale``; nan with fewer
        than two responses.

        Examples
        --------
        >>> result = CustomerEffortScore.from_scores([7, 6, 5, 2], confidence=0.95)
        >>> round(result.ci_low, 3), round(result.ci_high, 3)
        (2.883, 7.0)
        """
        tally = _tally(scores, scale)
        interval: dict[str, object] = {}
        if confidence is not None:
            values = as_score_array(scores, "scores", _FUNC)
            low, high = ratio_interval(
                values,
                [1.0] * values.size,
                confidence=confidence,
                method=interval_method,
                seed=seed,
            )
            bottom, top = tally.scale
            bounds = (max(float(bottom), low), min(float(top), high))
            interval = interval_fields(bounds, confidence, interval_method)
        return cls(value=_score(tally, zero_division), **tally._asdict(), **interval)
