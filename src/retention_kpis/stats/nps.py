"""Confidence intervals for the Net Promoter Score from promoter, passive and detractor counts.

NPS is the mean of a trinomial score (+1 promoter, 0 passive, -1 detractor) times 100.
Two intervals, both bounded to [-100, 100]:

* ``"wald"``: the multinomial (trinomial) variance of ``(P - D) / n``,
  ``Var = (p + d - (p - d)^2) / n``, with a normal quantile;
* ``"adjusted_wald"`` (the default): the same after adding 3 pseudo-respondents, 3/4 of
  one to the promoters, 3/4 to the detractors and 3/2 to the passives (Rocks 2016, *The
  American Statistician* 70(4); Sauro & Lewis, *Quantifying the User Experience*, 2nd
  ed., 2016; MeasuringU, "Confidence Intervals for Net Promoter Scores"). Rocks found it
  the best of six methods in coverage; it is not degenerate when every respondent is a
  promoter, as Wald's is.
"""

from __future__ import annotations

import math
from typing import Literal, TypeAlias

from retention_kpis._core.checks import check_count
from retention_kpis.stats._checks import check_confidence, check_method, normal_quantile

__all__ = ["NPSMethod", "nps_interval", "nps_standard_error"]

NPSMethod: TypeAlias = Literal["adjusted_wald", "wald"]
_METHODS = ("adjusted_wald", "wald")


def nps_interval(
    promoters: int,
    passives: int,
    detractors: int,
    *,
    confidence: float = 0.95,
    method: NPSMethod = "adjusted_wald",
) -> tuple[float, float]:
    r"""Confidence interval for the NPS, on its -100..100 scale.

    With ``n = P + N + D`` respondents, ``p = P / n`` and ``d = D / n``:

    .. math::

        100\left[(p - d) \pm z \sqrt{\frac{p + d - (p - d)^2}{n}}\right]

    ``"adjusted_wald"`` uses ``n + 3``, ``P + 3/4`` and ``D + 3/4`` in the formula (the
    interval is centred on the adjusted score). Bounds are clipped to [-100, 100].

    Parameters
    ----------
    promoters, passives, detractors : int
        Respondents answering 9-10, 7-8 and 0-6.
    confidence : float, default=0.95
        Confidence level, in (0, 1).
    method : {"adjusted_wald", "wald"}, default="adjusted_wald"
        Interval method.

    Returns
    -------
    (float, float)
        Lower and upper bounds in [-100, 100]; ``(nan, nan)`` without respondents.

    Raises
    ------
    InvalidInputError
        If a count is negative or not whole, ``confidence`` is outside (0, 1) or
        ``method`` is unknown.

    Examples
    --------
    >>> low, high = nps_interval(3, 2, 1, method="wald")  # NPS 33.3 from six answers
    >>> round(low, 1), round(high, 1)
    (-26.3, 93.0)
    >>> [round(bound, 1) for bound in nps_interval(50, 30, 20)]
    [14.1, 44.2]
    """
    func = "nps_interval"
    p_count = check_count(promoters, "promoters", func)
    n_count = check_count(passives, "passives", func)
    d_count = check_count(detractors, "detractors", func)
    level = check_confidence(confidence, func)
    how = check_method(method, func, _METHODS)
    n: float = p_count + n_count + d_count
    if n == 0:
        return math.nan, math.nan
    top: float = p_count
    bottom: float = d_count
    if how == "adjusted_wald":
        n, top, bottom = n + 3.0, top + 0.75, bottom + 0.75
    p, d = top / n, bottom / n
    score = p - d
    half = normal_quantile(level) * math.sqrt(max(0.0, p + d - score * score) / n)
    return max(-100.0, 100.0 * (score - half)), min(100.0, 100.0 * (score + half))


def nps_standard_error(promoters: int, passives: int, detractors: int) -> float:
    r"""Return the standard error of the NPS (-100..100 scale) from the trinomial variance.

    ``100 * sqrt((p + d - (p - d)^2) / n)``, the Wald form of :func:`nps_interval`.

    Parameters
    ----------
    promoters, passives, detractors : int
        Respondents answering 9-10, 7-8 and 0-6.

    Returns
    -------
    float
        The standard error; nan without respondents.

    Raises
    ------
    InvalidInputError
        If a count is negative or not whole.

    Examples
    --------
    >>> round(nps_standard_error(50, 30, 20), 4)
    7.8102
    """
    func = "nps_standard_error"
    p_count = check_count(promoters, "promoters", func)
    n_count = check_count(passives, "passives", func)
    d_count = check_count(detractors, "detractors", func)
    n = p_count + n_count + d_count
    if n == 0:
        return math.nan
    p, d = p_count / n, d_count / n
    return 100.0 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)
