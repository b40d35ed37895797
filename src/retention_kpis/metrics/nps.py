"""Net Promoter Score (NPS) from 0-10 "how likely are you to recommend us" answers."""

from __future__ import annotations

from typing import Literal, NamedTuple

from retention_kpis._core.checks import (
    ZeroDivision,
    as_score_array,
    check_scores_in_range,
    check_zero_division,
    divide,
)
from retention_kpis.metrics._base import KPIResult, Signed100, interval_fields
from retention_kpis.stats import nps_interval
from retention_kpis.stats.nps import NPSMethod

__all__ = ["NetPromoterScore", "net_promoter_score"]

_FUNC = "net_promoter_score"


class _Tally(NamedTuple):
    promoters: int
    passives: int
    detractors: int
    responses: int


def _tally(scores: object) -> _Tally:
    """Validate 0-10 answers and count promoters (9-10), passives (7-8), detractors (0-6)."""
    values = as_score_array(scores, "scores", _FUNC)
    check_scores_in_range(values, 0, 10, "scores", _FUNC, integer=True)
    promoters = int((values >= 9).sum())
    detractors = int((values <= 6).sum())
    responses = int(values.size)
    return _Tally(promoters, responses - promoters - detractors, detractors, responses)


def _score(tally: _Tally, zero_division: object) -> float:
    """Apply the NPS formula to a tally (the one place the formula lives)."""
    policy = check_zero_division(zero_division, _FUNC)
    return divide(
        100.0 * (tally.promoters - tally.detractors),
        tally.responses,
        zero_division=policy,
        kpi=_FUNC,
        denominator_name="responses",
    )


def net_promoter_score(scores: object, *, zero_division: ZeroDivision = "warn") -> float:
    """Net Promoter Score of 0-10 recommendation answers (Reichheld, 2003).

    ``net_promoter_score = 100 * (promoters - detractors) / responses``

    Promoters answer 9 or 10, passives 7 or 8 and detractors 0 to 6. Passives
    count in ``responses`` but in neither group.

    Parameters
    ----------
    scores : array-like of int
        One answer per respondent, whole numbers in [0, 10]: a list, tuple,
        numpy array, pandas or polars Series. It is not modified.
    zero_division : {"warn"} or float, default="warn"
        Returned when there are no responses; ``"warn"`` returns nan and emits
        :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A score in [-100, 100]; higher is better. ``100`` means every
        respondent is a promoter, ``-100`` every respondent a detractor.

    Raises
    ------
    InvalidInputError
        If ``scores`` is not a 1-D sequence of numbers, holds nan or inf, or
        holds values outside [0, 10] or not whole.

    Examples
    --------
    >>> net_promoter_score([10, 9, 9, 8, 7, 3])
    33.333333333333336
    >>> net_promoter_score([], zero_division=0.0)
    0.0
    """
    return _score(_tally(scores), zero_division)


class NetPromoterScore(KPIResult):
    """NPS with the respondent counts it came from.

    Examples
    --------
    >>> result = NetPromoterScore.from_scores([10, 9, 9, 8, 7, 3])
    >>> result.promoters, result.passives, result.detractors, result.responses
    (3, 2, 1, 6)
    """

    value: Signed100
    unit: Literal["score (-100..100)"] = "score (-100..100)"
    definition: Literal["100 * (promoters - detractors) / responses"] = (
        "100 * (promoters - detractors) / responses"
    )
    promoters: int
    passives: int
    detractors: int
    responses: int

    @classmethod
    def from_scores(
        cls,
        scores: object,
        *,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        interval_method: NPSMethod = "adjusted_wald",
    ) -> NetPromoterScore:
        """Compute the NPS and keep the promoter, passive and detractor counts.

        With ``confidence`` also the NPS interval of
        :func:`~retention_kpis.nps_interval` (adjusted Wald by default, or ``"wald"``).

        Examples
        --------
        >>> result = NetPromoterScore.from_scores([10, 9, 9, 8, 7, 3], confidence=0.9)
        >>> result.interval_method, result.ci_low < result.value < result.ci_high
        ('adjusted_wald', True)
        """
        tally = _tally(scores)
        interval: dict[str, object] = {}
        if confidence is not None:
            bounds = nps_interval(
                tally.promoters,
                tally.passives,
                tally.detractors,
                confidence=confidence,
                method=interval_method,
            )
            interval = interval_fields(bounds, confidence, interval_method)
        return cls(value=_score(tally, zero_division), **tally._asdict(), **interval)
