"""Customer satisfaction score (CSAT): the share of satisfied survey answers."""

from __future__ import annotations

from typing import Literal, NamedTuple

from retention_kpis._core.checks import (
    ZeroDivision,
    as_score_array,
    check_number,
    check_scale,
    check_scores_in_range,
    check_zero_division,
    divide,
)
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.metrics._base import Fraction, KPIResult, ProportionMethod, share_interval

__all__ = ["CustomerSatisfactionScore", "customer_satisfaction_score"]

_FUNC = "customer_satisfaction_score"


class _Tally(NamedTuple):
    satisfied: int
    responses: int
    scale: tuple[int, int]
    satisfied_threshold: int


def _tally(scores: object, scale: object, satisfied_threshold: object) -> _Tally:
    """Validate the answers, the scale and the threshold; count satisfied answers."""
    low, high = check_scale(scale, "scale", _FUNC)
    threshold = check_number(satisfied_threshold, "satisfied_threshold", _FUNC)
    if not (threshold.is_integer() and low <= threshold <= high):
        msg = (
            f"The 'satisfied_threshold' parameter of {_FUNC} must be a whole number "
            f"in the scale [{low}, {high}]. Got {satisfied_threshold!r} instead."
        )
        raise InvalidInputError(msg)
    values = as_score_array(scores, "scores", _FUNC)
    check_scores_in_range(values, low, high, "scores", _FUNC, integer=True)
    satisfied = int((values >= threshold).sum())
    return _Tally(satisfied, int(values.size), (low, high), int(threshold))


def _score(tally: _Tally, zero_division: object) -> float:
    """Apply the CSAT formula to a tally (the one place the formula lives)."""
    policy = check_zero_division(zero_division, _FUNC)
    return divide(
        tally.satisfied,
        tally.responses,
        zero_division=policy,
        kpi=_FUNC,
        denominator_name="responses",
    )


def customer_satisfaction_score(
    scores: object,
    *,
    scale: tuple[int, int] = (1, 5),
    satisfied_threshold: int = 4,
    zero_division: ZeroDivision = "warn",
) -> float:
    """Share of survey answers at or above the "satisfied" threshold.

    ``customer_satisfaction_score = count(score >= satisfied_threshold) / responses``

    With the defaults (a 1-5 scale, threshold 4) this is the usual "top-2-box"
    CSAT: the share of respondents answering 4 ("satisfied") or 5 ("very
    satisfied"). Multiply by 100 for a percentage.

    Parameters
    ----------
    scores : array-like of int
        One answer per respondent, whole numbers within ``scale``: a list,
        tuple, numpy array, pandas or polars Series. It is not modified.
    scale : (int, int), default=(1, 5)
        Lowest and highest possible answer, whole numbers with ``low < high``.
    satisfied_threshold : int, default=4
        Lowest answer that counts as satisfied, a whole number within ``scale``.
    zero_division : {"warn"} or float, default="warn"
        Returned when there are no responses; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; higher is better.

    Raises
    ------
    InvalidInputError
        If ``scores`` is not a 1-D sequence of numbers, holds nan or inf, or
        holds values outside ``scale`` or not whole; if ``scale`` is not a
        ``(low, high)`` pair of whole numbers with ``low < high``; or if
        ``satisfied_threshold`` is not a whole number within ``scale``.

    Examples
    --------
    >>> customer_satisfaction_score([5, 4, 4, 3, 1])
    0.6
    >>> customer_satisfaction_score([7, 6, 2], scale=(1, 7), satisfied_threshold=6)
    0.6666666666666666
    >>> customer_satisfaction_score([], zero_division=0.0)
    0.0
    """
    return _score(_tally(scores, scale, satisfied_threshold), zero_division)


class CustomerSatisfactionScore(KPIResult):
    """CSAT with the counts, the scale and the threshold it came from.

    Examples
    --------
    >>> result = CustomerSatisfactionScore.from_scores([5, 4, 4, 3, 1])
    >>> result.value, result.satisfied, result.responses
    (0.6, 3, 5)
    """

    value: Fraction
    unit: Literal["fraction"] = "fraction"
    definition: Literal["count(score >= satisfied_threshold) / responses"] = (
        "count(score >= satisfied_threshold) / responses"
    )
    satisfied: int
    responses: int
    scale: tuple[int, int]
    satisfied_threshold: int

    @classmethod
    def from_scores(
        cls,
        scores: object,
        *,
        scale: tuple[int, int] = (1, 5),
        satisfied_threshold: int = 4,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: ProportionMethod = "wilson",
    ) -> CustomerSatisfactionScore:
        """Compute the CSAT and keep the satisfied and response counts.

        With ``confidence`` also the Wilson (or Jeffreys) interval of the satisfied share.

        Examples
        --------
        >>> result = CustomerSatisfactionScore.from_scores([5, 4, 4, 3, 1], confidence=0.95)
        >>> round(result.ci_low, 4), round(result.ci_high, 4), result.interval_method
        (0.2307, 0.8824, 'wilson')
        """
        tally = _tally(scores, scale, satisfied_threshold)
        interval = share_interval(tally.satisfied, tally.responses, confidence, interval_method)
        return cls(value=_score(tally, zero_division), **tally._asdict(), **interval)
