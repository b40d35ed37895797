"""Difference of two independent estimates with known standard errors (normal approximation)."""

from __future__ import annotations

import math

from retention_kpis._core.checks import check_confidence, check_number
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.stats._checks import normal_quantile

__all__ = ["normal_difference_test"]


def normal_difference_test(
    estimate1: float,
    standard_error1: float,
    estimate2: float,
    standard_error2: float,
    *,
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    r"""Interval and two-sided p-value of ``estimate1 - estimate2`` for independent estimates.

    .. math::

        \hat d = \hat\theta_1 - \hat\theta_2,\quad
        \mathrm{se}(\hat d) = \sqrt{\mathrm{se}_1^2 + \mathrm{se}_2^2},\quad
        \hat d \pm z\,\mathrm{se}(\hat d),\quad p = 2\,\Phi(-|\hat d| / \mathrm{se}(\hat d))

    Used for ratio KPIs (delta-method standard errors) and NPS (trinomial ones).

    Parameters
    ----------
    estimate1, standard_error1 : float
        The estimate compared and its standard error.
    estimate2, standard_error2 : float
        The reference estimate and its standard error.
    confidence : float, default=0.95
        Confidence level, in (0, 1).

    Returns
    -------
    (float, float, float)
        Lower bound, upper bound and p-value; nan where an input is nan. With a zero
        standard error the interval is the point and the p-value 1 (equal) or 0.

    Raises
    ------
    InvalidInputError
        If ``confidence`` is outside (0, 1) or a standard error is negative.

    Examples
    --------
    >>> low, high, p = normal_difference_test(52.0, 1.5, 48.0, 2.0)
    >>> round(low, 3), round(high, 3), round(p, 4)
    (-0.9, 8.9, 0.1096)
    """
    from scipy.special import ndtr  # noqa: PLC0415 - scipy loads only when needed

    func = "normal_difference_test"
    level = check_confidence(confidence, func)
    values = [estimate1, standard_error1, estimate2, standard_error2]
    if any(isinstance(v, float) and math.isnan(v) for v in values):
        return math.nan, math.nan, math.nan
    e1 = check_number(estimate1, "estimate1", func)
    e2 = check_number(estimate2, "estimate2", func)
    s1 = check_number(standard_error1, "standard_error1", func)
    s2 = check_number(standard_error2, "standard_error2", func)
    for value, name in ((s1, "standard_error1"), (s2, "standard_error2")):
        if value < 0:
            msg = f"The {name!r} parameter of {func} must be >= 0. Got {value!r} instead."
            raise InvalidInputError(msg)
    difference = e1 - e2
    se = math.hypot(s1, s2)
    if se == 0:
        return difference, difference, 1.0 if difference == 0 else 0.0
    half = normal_quantile(level) * se
    return difference - half, difference + half, float(2.0 * ndtr(-abs(difference) / se))
