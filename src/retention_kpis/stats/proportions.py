"""Intervals for a share of a count and for the difference of two shares.

* :func:`proportion_interval`: Wilson's score interval (Wilson 1927; the default, as
  Agresti & Coull 1998 and Brown, Cai & DasGupta 2001 recommend over Wald's) or
  Jeffreys' equal-tailed Beta(1/2, 1/2) posterior interval; both exact at 0 and n.
* :func:`proportion_difference_interval`: Newcombe's hybrid score interval for
  ``p1 - p2`` (Newcombe 1998, method 10), built from the two Wilson intervals.
* :func:`two_proportion_ztest`: the pooled two-proportion z-test of ``p1 == p2``.

The functions return plain floats; ``nan`` where the interval is undefined (no trials).
"""

from __future__ import annotations

import math
from typing import Literal, TypeAlias

from retention_kpis._core.checks import check_count, check_part_of_whole
from retention_kpis.stats._checks import check_confidence, check_method, normal_quantile

__all__ = [
    "ProportionMethod",
    "proportion_difference_interval",
    "proportion_interval",
    "two_proportion_ztest",
]

ProportionMethod: TypeAlias = Literal["wilson", "jeffreys"]
_METHODS = ("wilson", "jeffreys")


def _counts(successes: object, trials: object, func: str, suffix: str = "") -> tuple[int, int]:
    part = check_count(successes, f"successes{suffix}", func)
    whole = check_count(trials, f"trials{suffix}", func)
    check_part_of_whole(part, whole, f"successes{suffix}", f"trials{suffix}", func)
    return part, whole


def _wilson(successes: int, trials: int, z: float) -> tuple[float, float]:
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z / (1 + z2 / trials) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def _jeffreys(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    from scipy.special import betaincinv  # noqa: PLC0415 - scipy loads only when needed

    alpha = 1.0 - confidence
    a, b = successes + 0.5, trials - successes + 0.5
    low = 0.0 if successes == 0 else float(betaincinv(a, b, alpha / 2))
    high = 1.0 if successes == trials else float(betaincinv(a, b, 1 - alpha / 2))
    return low, high


def proportion_interval(
    successes: int,
    trials: int,
    *,
    confidence: float = 0.95,
    method: ProportionMethod = "wilson",
) -> tuple[float, float]:
    r"""Confidence interval for a share ``successes / trials`` (conversion, churn, CSAT, ...).

    ``"wilson"`` inverts the score test (Wilson 1927):

    .. math::

        \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}
             {1 + \frac{z^2}{n}}

    ``"jeffreys"`` takes the ``alpha/2`` and ``1 - alpha/2`` quantiles of
    ``Beta(successes + 1/2, trials - successes + 1/2)`` (Brown, Cai & DasGupta 2001).
    Both are exact at the edges: the lower bound is 0 when ``successes == 0`` and the
    upper bound 1 when ``successes == trials``.

    Parameters
    ----------
    successes : int
        Trials counted in the share, ``0 <= successes <= trials``.
    trials : int
        Whole of the share (visitors, responses, customers at the start).
    confidence : float, default=0.95
        Confidence level, in (0, 1).
    method : {"wilson", "jeffreys"}, default="wilson"
        Interval method.

    Returns
    -------
    (float, float)
        Lower and upper bounds in [0, 1]; ``(nan, nan)`` when ``trials == 0``.

    Raises
    ------
    InvalidInputError
        If a count is negative or not whole, ``successes > trials``, ``confidence``
        is outside (0, 1) or ``method`` is unknown.

    Examples
    --------
    >>> low, high = proportion_interval(30, 1_000)
    >>> round(low, 4), round(high, 4)
    (0.0211, 0.0425)
    >>> proportion_interval(0, 20, method="jeffreys")[0]
    0.0
    """
    func = "proportion_interval"
    part, whole = _counts(successes, trials, func)
    level = check_confidence(confidence, func)
    how = check_method(method, func, _METHODS)
    if whole == 0:
        return math.nan, math.nan
    if how == "wilson":
        return _wilson(part, whole, normal_quantile(level))
    return _jeffreys(part, whole, level)


def proportion_difference_interval(
    successes1: int,
    trials1: int,
    successes2: int,
    trials2: int,
    *,
    confidence: float = 0.95,
) -> tuple[float, float]:
    r"""Newcombe's hybrid score interval for the difference of two shares ``p1 - p2``.

    With Wilson intervals ``(l_1, u_1)`` and ``(l_2, u_2)`` of the two shares
    (Newcombe 1998, method 10):

    .. math::

        \hat d - \sqrt{(\hat p_1 - l_1)^2 + (u_2 - \hat p_2)^2},\quad
        \hat d + \sqrt{(u_1 - \hat p_1)^2 + (\hat p_2 - l_2)^2}

    Parameters
    ----------
    successes1, trials1 : int
        Counts of the first group (the one compared).
    successes2, trials2 : int
        Counts of the second group (the reference).
    confidence : float, default=0.95
        Confidence level, in (0, 1).

    Returns
    -------
    (float, float)
        Bounds in [-1, 1]; ``(nan, nan)`` when either group has no trials.

    Raises
    ------
    InvalidInputError
        If a count is invalid or ``confidence`` is outside (0, 1).

    Examples
    --------
    Newcombe (1998), Table II, example (a): 56/70 against 48/80.

    >>> low, high = proportion_difference_interval(56, 70, 48, 80)
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)
    """
    func = "proportion_difference_interval"
    x1, n1 = _counts(successes1, trials1, func, "1")
    x2, n2 = _counts(successes2, trials2, func, "2")
    level = check_confidence(confidence, func)
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan
    z = normal_quantile(level)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = _wilson(x1, n1, z)
    l2, u2 = _wilson(x2, n2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return max(-1.0, low), min(1.0, high)


def two_proportion_ztest(successes1: int, trials1: int, successes2: int, trials2: int) -> float:
    r"""Two-sided p-value of the pooled two-proportion z-test of ``p1 == p2``.

    .. math::

        z = \frac{\hat p_1 - \hat p_2}{\sqrt{\bar p (1 - \bar p)(1/n_1 + 1/n_2)}},\quad
        \bar p = \frac{x_1 + x_2}{n_1 + n_2}

    Parameters
    ----------
    successes1, trials1, successes2, trials2 : int
        Counts of the two groups.

    Returns
    -------
    float
        The p-value ``2 * (1 - Phi(|z|))``; 1.0 when both shares are 0 or both 1 (no
        variance, no difference); nan when a group has no trials.

    Raises
    ------
    InvalidInputError
        If a count is invalid.

    Examples
    --------
    >>> round(two_proportion_ztest(56, 70, 48, 80), 5)
    0.00805
    """
    from scipy.special import ndtr  # noqa: PLC0415 - scipy loads only when needed

    func = "two_proportion_ztest"
    x1, n1 = _counts(successes1, trials1, func, "1")
    x2, n2 = _counts(successes2, trials2, func, "2")
    if n1 == 0 or n2 == 0:
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    return float(2.0 * ndtr(-abs(z)))
