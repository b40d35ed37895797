"""Pareto share ("80/20"): the share of revenue earned from the top customers."""

from __future__ import annotations

import fractions
import math
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
from typing_extensions import Self

from retention_kpis._core.checks import (
    ZeroDivision,
    as_score_array,
    check_top_fraction,
    check_zero_division,
    divide,
)
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.metrics._base import Fraction, RatioKPI, interval_fields
from retention_kpis.stats import bootstrap_interval

__all__ = ["ParetoShare", "pareto_share", "top_customer_count"]


class _Count(Protocol):
    """An integer, or an integer expression of a dataframe engine (a narwhals ``Expr``)."""

    def __mul__(self, other: int, /) -> Self: ...
    def __add__(self, other: int, /) -> Self: ...
    def __floordiv__(self, other: int, /) -> Self: ...


_C = TypeVar("_C", bound=_Count)


def top_customer_count(customers: _C, top_fraction: float) -> _C:
    """Return the size of the top group: ``ceil(customers * top_fraction)``.

    ``top_fraction`` is read as the decimal number it prints as (``0.2`` is
    exactly one fifth), so ``100 * 0.07`` gives 7, not 8 from binary rounding.
    With ``top_fraction = p / q`` the count is ``(customers * p + q - 1) // q`` in
    integer arithmetic, so ``customers`` may also be an integer column expression:
    the events facade ranks purchasers inside the engine and sizes the top group
    with this same function (``report/engagement_tables.py``); that ranking is the one
    step of :func:`pareto_share` the facade cannot hand to this module.

    Examples
    --------
    >>> top_customer_count(100, 0.07), top_customer_count(11, 0.2), top_customer_count(0, 0.2)
    (7, 3, 0)
    """
    exact = fractions.Fraction(repr(float(top_fraction)))
    return (customers * exact.numerator + (exact.denominator - 1)) // exact.denominator


def _values(
    revenue_per_customer: object, func: str
) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    values = as_score_array(revenue_per_customer, "revenue_per_customer", func)
    negative = values < 0
    if negative.any():
        count = int(negative.sum())
        msg = (
            f"The 'revenue_per_customer' parameter of {func} must hold values >= 0. "
            f"Got {count} negative value{'s' if count != 1 else ''} "
            f"(first: {values[negative][0]:g}) instead."
        )
        raise InvalidInputError(msg)
    return np.sort(values)[::-1]


def pareto_share(
    revenue_per_customer: object,
    *,
    top_fraction: float = 0.2,
    zero_division: ZeroDivision = "warn",
) -> float:
    """Share of revenue earned from the top ``top_fraction`` of customers by revenue.

    ``pareto_share = sum of the k largest revenues / sum of all revenues``, with
    ``k = ceil(n * top_fraction)`` customers out of ``n`` (rounding up, as most
    BI tools do, so a top group is never empty). The classic "80/20" rule reads
    ``pareto_share(revenues) == 0.8``. Sums are exact (:func:`math.fsum`), so
    the result does not depend on the order of the customers.

    Parameters
    ----------
    revenue_per_customer : sequence of float
        Revenue of each customer in the period (list, tuple, numpy array,
        pandas or polars Series), finite and ``>= 0``; one entry per customer.
    top_fraction : float, default=0.2
        Share of customers in the top group, in (0, 1].
    zero_division : {"warn"} or float, default="warn"
        Returned when total revenue is 0 (no customers, or nobody spent);
        ``"warn"`` returns nan and emits :class:`~retention_kpis.UndefinedKPIWarning`.

    Returns
    -------
    float
        A fraction in [0, 1]; it is at least ``k / n >= top_fraction`` (the top
        customers earn at least their head-count share) and 1 when a single
        customer in the top group earns everything. Higher means revenue is more
        concentrated.

    Raises
    ------
    InvalidInputError
        If revenues are not a 1-D sequence of finite numbers ``>= 0``, or
        ``top_fraction`` is not in (0, 1].

    Examples
    --------
    >>> pareto_share([100, 50, 20, 10, 10, 5, 5, 0, 0, 0])
    0.75
    >>> pareto_share([], zero_division=0.0)
    0.0
    """
    func = "pareto_share"
    values = _values(revenue_per_customer, func)
    fraction = check_top_fraction(top_fraction, func)
    policy = check_zero_division(zero_division, func)
    top = top_customer_count(values.size, fraction)
    return divide(
        math.fsum(values[:top].tolist()),
        math.fsum(values.tolist()),
        zero_division=policy,
        kpi=func,
        denominator_name="total revenue",
    )


class ParetoShare(RatioKPI):
    """Pareto share with its parts (``numerator``: revenue of the top customers).

    Examples
    --------
    >>> result = ParetoShare.from_revenue([100, 50, 20, 10, 10, 5, 5, 0, 0, 0])
    >>> result.value, result.top_customers, result.customers, result.denominator
    (0.75, 2, 10, 200.0)
    """

    value: Fraction
    top_fraction: float
    top_customers: int
    customers: int
    unit: Literal["fraction"] = "fraction"
    definition: Literal[
        "revenue of the top ceil(customers * top_fraction) customers / total revenue"
    ] = "revenue of the top ceil(customers * top_fraction) customers / total revenue"

    @classmethod
    def from_revenue(
        cls,
        revenue_per_customer: object,
        *,
        top_fraction: float = 0.2,
        zero_division: ZeroDivision = "warn",
        confidence: float | None = None,
        n_resamples: int = 2_000,
        seed: int = 0,
    ) -> ParetoShare:
        """Compute the Pareto share and keep its parts.

        With ``confidence`` also the percentile bootstrap interval over customers
        (``interval_method="bootstrap"``, seeded), nan with fewer than two customers.
        The reports use the large-sample influence-function interval instead
        (:func:`~retention_kpis.stats.top_share_interval_from_sums`), which needs only
        sums; the bootstrap holds its level better on heavy-tailed revenue.

        Examples
        --------
        >>> revenue = [100, 50, 20, 10, 10, 5, 5, 0, 0, 0]
        >>> result = ParetoShare.from_revenue(revenue, confidence=0.9, n_resamples=500)
        >>> result.interval_method, result.ci_low <= result.value <= result.ci_high
        ('bootstrap', True)
        """
        value = pareto_share(
            revenue_per_customer, top_fraction=top_fraction, zero_division=zero_division
        )
        values = _values(revenue_per_customer, "pareto_share")
        top = top_customer_count(values.size, top_fraction)
        interval: dict[str, object] = {}
        if confidence is not None:

            def shares(rows: np.ndarray[Any, np.dtype[np.float64]]) -> Any:  # noqa: ANN401
                ranked = -np.sort(-rows, axis=1)
                return ranked[:, :top].sum(axis=1) / ranked.sum(axis=1)

            bounds = bootstrap_interval(
                values, shares, confidence=confidence, n_resamples=n_resamples, seed=seed
            )
            interval = interval_fields(bounds, confidence, "bootstrap")
        return cls(
            value=value,
            numerator=math.fsum(values[:top].tolist()),
            denominator=math.fsum(values.tolist()),
            top_fraction=top_fraction,
            top_customers=top,
            customers=int(values.size),
            **interval,
        )
