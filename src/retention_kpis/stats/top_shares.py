r"""Interval for a top share (the Pareto share): the influence function of a Lorenz ordinate.

The Pareto share ``S = T / Y`` is the revenue of the ``k`` highest-spending customers
``T`` over all revenue ``Y`` (``k = ceil(q n)`` of ``n`` customers): one minus a point of
the Lorenz curve. Its asymptotic variance (Beach & Davidson, "Distribution-free
statistical inference with Lorenz curves and income shares", *Review of Economic
Studies* 50, 1983) is written here through its influence function. With ``xi`` the
revenue at the top group's boundary (the ``k``-th largest) and ``T_q = E[y 1{y > xi}]``,

.. math::

    \mathrm{IF}_T(y) = y\,1\{y > \xi\} - \xi\,(1\{y > \xi\} - q) - T_q, \qquad
    \mathrm{IF}_S(y) = \frac{\mathrm{IF}_T(y) - S\,(y - \mu)}{\mu}

(the ``xi`` term is the boundary's own uncertainty: the quantile's influence function
times ``dT_q / d xi = -xi f(xi)``). In the sample, ``IF_S`` of customer ``i`` is
``(g_i - mean(g)) / mu`` with ``g_i = t_i (y_i - xi) - S y_i`` (``t_i`` = 1 for the top
group), so

.. math::

    \widehat{\mathrm{Var}}(S) = \frac{n}{n - 1}\,
        \frac{\sum g_i^2 - (\sum g_i)^2 / n}{Y^2}, \qquad \sum g_i = -k\,\xi

and ``sum g_i^2`` expands into sums an engine computes per group: ``n``, ``Y``,
``sum y_i^2``, ``T``, the top group's ``sum y_i^2``, ``k`` and ``xi``
(:func:`top_share_interval_from_sums`).
"""

from __future__ import annotations

import math

from retention_kpis._core.checks import check_count, check_number
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.stats._checks import check_confidence, normal_quantile

__all__ = ["top_share_interval_from_sums", "top_share_standard_error"]


def _checked(
    func: str,
    n: int,
    top: int,
    sums: tuple[tuple[float, str], ...],
) -> tuple[int, int, tuple[float, ...]]:
    count = check_count(n, "n", func)
    k = check_count(top, "top", func)
    if k > count:
        msg = (
            f"The 'top' parameter of {func} must be at most 'n' ({count}), the customers "
            f"the top group is drawn from. Got {k} instead."
        )
        raise InvalidInputError(msg)
    return count, k, tuple(check_number(value, name, func) for value, name in sums)


def _standard_error(count: int, k: int, sums: tuple[float, ...]) -> float:
    """Return the standard error of ``top_total / total`` from checked sums (nan if undefined)."""
    total, total_sq, top_total, top_sq, boundary = sums
    if count < 2 or total == 0:
        return math.nan
    share = top_total / total
    # sum g_i^2 with g_i = t_i (y_i - xi) - S y_i, t_i in {0, 1}:
    top_part = top_sq - 2.0 * boundary * top_total + k * boundary * boundary
    cross = top_sq - boundary * top_total
    sum_g_sq = top_part - 2.0 * share * cross + share * share * total_sq
    sum_g = -k * boundary
    spread = max(0.0, sum_g_sq - sum_g * sum_g / count)
    return math.sqrt(count / (count - 1) * spread) / abs(total)


def top_share_standard_error(
    n: int,
    *,
    top: int,
    total: float,
    total_sq: float,
    top_total: float,
    top_sq: float,
    boundary: float,
) -> float:
    """Return the influence-function standard error of the top share ``top_total / total``.

    Parameters are those of :func:`top_share_interval_from_sums`.

    Returns
    -------
    float
        The standard error; nan when ``n < 2`` or ``total == 0``.

    Examples
    --------
    >>> round(top_share_standard_error(
    ...     4, top=1, total=10.0, total_sq=30.0, top_total=4.0, top_sq=16.0, boundary=4.0
    ... ), 6)
    0.10328
    """
    func = "top_share_standard_error"
    count, k, sums = _checked(
        func,
        n,
        top,
        (
            (total, "total"),
            (total_sq, "total_sq"),
            (top_total, "top_total"),
            (top_sq, "top_sq"),
            (boundary, "boundary"),
        ),
    )
    return _standard_error(count, k, sums)


def top_share_interval_from_sums(
    n: int,
    *,
    top: int,
    total: float,
    total_sq: float,
    top_total: float,
    top_sq: float,
    boundary: float,
    confidence: float = 0.95,
) -> tuple[float, float]:
    r"""Influence-function (delta-method) interval for a top share from per-group sums.

    ``S = top_total / total`` plus or minus ``z`` times the standard error of the module
    docstring (Beach & Davidson 1983), clipped to [0, 1].

    Parameters
    ----------
    n : int
        Customers (purchasers) the share is taken over.
    top : int
        Customers in the top group (``k``), ``<= n``.
    total, total_sq : float
        Sum over the ``n`` customers of their revenue and of its square.
    top_total, top_sq : float
        The same two sums over the top group.
    boundary : float
        Revenue of the ``k``-th highest-spending customer (the top group's smallest).
    confidence : float, default=0.95
        Confidence level, in (0, 1).

    Returns
    -------
    (float, float)
        Bounds of the share; ``(nan, nan)`` when ``n < 2`` or ``total == 0``.

    Raises
    ------
    InvalidInputError
        If ``n`` or ``top`` is not a count, ``top > n``, a sum is not finite, or
        ``confidence`` is outside (0, 1).

    Examples
    --------
    Four customers spending 1, 2, 3 and 4; the top one (``k = 1``, ``xi = 4``) holds
    ``S = 4 / 10``. ``g = t (y - 4) - 0.4 y`` is (-0.4, -0.8, -1.2, -1.6), its squared
    deviations from -1 sum to 0.8, so ``se = sqrt(4 / 3 * 0.8) / 10 = 0.10328``.

    >>> low, high = top_share_interval_from_sums(
    ...     4, top=1, total=10.0, total_sq=30.0, top_total=4.0, top_sq=16.0, boundary=4.0
    ... )
    >>> round(low, 4), round(high, 4)
    (0.1976, 0.6024)
    """
    func = "top_share_interval_from_sums"
    count, k, sums = _checked(
        func,
        n,
        top,
        (
            (total, "total"),
            (total_sq, "total_sq"),
            (top_total, "top_total"),
            (top_sq, "top_sq"),
            (boundary, "boundary"),
        ),
    )
    level = check_confidence(confidence, func)
    se = _standard_error(count, k, sums)
    if math.isnan(se):
        return math.nan, math.nan
    share = sums[2] / sums[0]
    half = normal_quantile(level) * se
    return max(0.0, share - half), min(1.0, share + half)
