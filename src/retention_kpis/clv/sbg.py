"""Shifted-beta-geometric (sBG) model of contract renewals (Fader & Hardie 2007).

In a contractual setting (subscriptions renewed once per period) each customer
has a constant churn probability ``theta`` per renewal opportunity, and
``theta`` varies across customers as ``Beta(alpha, beta)``. The duration ``T``
(the period in which the customer churns, ``T = 1`` for a customer who never
renews) then follows the shifted-beta-geometric distribution::

    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta),   t = 1, 2, ...
    S(t)     = P(T > t) = B(alpha, beta + t) / B(alpha, beta), S(0) = 1
    r_t      = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

Everything is computed in log space with ``betaln``; the gradient of the
log-likelihood uses ``digamma``.

References
----------
Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention.
*Journal of Interactive Marketing* 21(1), 76-90.

Fader, P. S. & Hardie, B. G. S. (2010). Customer-base valuation in a
contractual setting: the perils of ignoring heterogeneity. *Marketing
Science* 29(1), 85-93.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from typing_extensions import Self

from retention_kpis._core.checks import check_amount, check_count
from retention_kpis._core.text import count_rows
from retention_kpis.clv._base import (
    FloatArray,
    ModelParams,
    ProbabilityModel,
    as_float_array,
    check_same_length,
    collapse_rows,
)
from retention_kpis.exceptions import ConvergenceError, InvalidInputError

__all__ = ["ShiftedBetaGeometricModel", "ShiftedBetaGeometricParams"]


class ShiftedBetaGeometricParams(ModelParams):
    """Parameters of the sBG model: the churn probability is ``Beta(alpha, beta)``.

    Examples
    --------
    >>> ShiftedBetaGeometricParams(alpha=0.704, beta=1.182).alpha
    0.704
    """

    alpha: float
    beta: float


def _check_whole(values: FloatArray, name: str, *, minimum: float) -> None:
    """Raise unless every value is a whole number ``>= minimum``."""
    fractional = values != np.floor(values)
    if fractional.any():
        msg = f"{name} must hold whole numbers; {int(fractional.sum())} value(s) are fractional."
        raise InvalidInputError(msg)
    small = values < minimum
    if small.any():
        msg = f"{name} must be >= {minimum:g}; {int(small.sum())} value(s) are smaller."
        raise InvalidInputError(msg)


def _periods(values: object, name: str, *, minimum: float) -> FloatArray:
    array = as_float_array(values, name)
    _check_whole(array, name, minimum=minimum)
    return array


class ShiftedBetaGeometricModel(ProbabilityModel[ShiftedBetaGeometricParams]):
    """Shifted-beta-geometric model of contract duration and retention.

    Fit it to the survivor counts of a cohort with :meth:`fit`, or to one row
    per customer with :meth:`fit_individual`; both maximise the same
    likelihood (Fader & Hardie 2007, eq. 5): churners in period ``t``
    contribute ``P(T = t)``, customers still active after ``k`` renewal
    opportunities contribute ``S(k)``.

    Examples
    --------
    >>> model = ShiftedBetaGeometricModel().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> round(model.params.alpha, 3), round(model.params.beta, 3)
    (0.704, 1.182)
    >>> model.project(9, cohort_size=1000)[8:].round(1)
    array([220.1, 204.4])
    """

    params_type: ClassVar[type[ModelParams]] = ShiftedBetaGeometricParams

    # -- fitting ------------------------------------------------------------
    def fit(self, survivors: object) -> Self:
        """Fit to the survivor counts of one cohort.

        Parameters
        ----------
        survivors : array-like of float
            Customers still active at the start of periods ``0, 1, ..., k``
            (``survivors[0]`` is the cohort size), for example
            ``[1000, 631, 468, ...]``. Must be non-increasing, with
            ``survivors[0] > 0`` and at least two entries. Shares of a cohort
            (``[1.0, 0.631, ...]``) fit the same parameters, but standard errors
            are only meaningful for counts.

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        InvalidInputError
            If ``survivors`` has fewer than 2 entries, is negative, increases,
            starts at 0, or holds nan/inf.
        ConvergenceError
            If no customer churned, every customer churned in period 1 or
            the optimum is otherwise not identified (see ``docs/clv/index.md``).

        Examples
        --------
        >>> m = ShiftedBetaGeometricModel().fit([1000, 869, 743, 653, 593, 551, 517, 491])
        >>> round(m.params.alpha, 3), round(m.params.beta, 3)
        (0.668, 3.806)
        """
        counts = as_float_array(survivors, "survivors")
        if len(counts) < 2:
            msg = (
                "survivors needs the cohort size and at least one later count; "
                f"got {len(counts)} value(s)."
            )
            raise InvalidInputError(msg)
        if counts[0] <= 0:
            msg = "survivors[0] (the cohort size) must be > 0."
            raise InvalidInputError(msg)
        rises = np.diff(counts) > 0
        if rises.any():
            msg = (
                "survivors must be non-increasing (customers cannot come back); "
                f"it rises at {int(rises.sum())} period(s)."
            )
            raise InvalidInputError(msg)
        k = len(counts) - 1
        churned = -np.diff(counts)
        periods = np.concatenate([np.arange(1.0, k + 1.0), [float(k)]])
        censored = np.concatenate([np.zeros(k), [1.0]])
        weights = np.concatenate([churned, [counts[-1]]])
        return self._fit_rows(periods, censored, weights)

    def fit_individual(self, recency: object, T: object, *, weights: object = None) -> Self:
        """Fit to one row per customer (pymc-marketing's ``recency``/``T`` layout).

        Parameters
        ----------
        recency : array-like of int
            ``recency = t < T`` means the customer churned in period ``t``
            (after ``t - 1`` renewals); ``recency = T`` means still active
            (censored) after ``T - 1`` renewal opportunities.
        T : array-like of int
            Observation horizon of each customer's cohort, ``T >= 2``.
        weights : array-like of float, optional
            Number of customers each row stands for (default 1 each).

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        InvalidInputError
            If lengths differ, values are not whole numbers, ``recency < 1``,
            ``T < 2`` or ``recency > T``.
        ConvergenceError
            If no customer churned, every customer churned in period 1 or
            the optimum is otherwise not identified (see ``docs/clv/index.md``).

        Examples
        --------
        >>> m = ShiftedBetaGeometricModel().fit_individual([1, 1, 2, 3, 3], [3, 3, 3, 3, 3])
        >>> m.params.alpha > 0
        True
        """
        recency_ = _periods(recency, "recency", minimum=1)
        T_ = _periods(T, "T", minimum=2)
        if weights is None:
            check_same_length(recency=recency_, T=T_)
            w = np.ones(len(recency_))
        else:
            w = as_float_array(weights, "weights")
            check_same_length(recency=recency_, T=T_, weights=w)
        late = recency_ > T_
        if late.any():
            msg = f"Some values in recency are larger than T ({count_rows(int(late.sum()))})."
            raise InvalidInputError(msg)
        if len(recency_) == 0:
            msg = "recency is empty: the sBG model needs at least one customer."
            raise InvalidInputError(msg)
        censored = (recency_ == T_).astype(float)
        periods = np.where(censored == 1.0, T_ - 1.0, recency_)
        return self._fit_rows(periods, censored, w)

    def _fit_rows(self, periods: FloatArray, censored: FloatArray, weights: FloatArray) -> Self:
        (periods_, censored_), w = collapse_rows([periods, censored], weights)
        keep = w > 0
        periods_, censored_, w = periods_[keep], censored_[keep] == 1.0, w[keep]
        if not (~censored_).any():
            msg = "No customer churned: the sBG parameters are not identified."
            raise ConvergenceError(msg)
        if not censored_.any() and np.all(periods_ == 1.0):
            msg = "Every customer churned in period 1: the sBG parameters are not identified."
            raise ConvergenceError(msg)

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            return _negative_log_likelihood(log_params, periods_, censored_, w)

        self._fit_log_params(objective, np.zeros(2), total_weight=float(w.sum()))
        return self

    # -- predictions --------------------------------------------------------
    def survival(self, t: object) -> FloatArray:
        """Probability of still being active after ``t`` renewal opportunities.

        ``S(t) = B(alpha, beta + t) / B(alpha, beta)``, with ``S(0) = 1``.

        Parameters
        ----------
        t : int or array-like of int
            Periods, ``t >= 0``.

        Returns
        -------
        numpy.ndarray
            Survival probabilities in [0, 1], one per ``t``.

        Examples
        --------
        >>> ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0).survival([0, 1, 3])
        array([1.  , 0.5 , 0.25])
        """
        from scipy.special import betaln  # noqa: PLC0415 - scipy is imported lazily

        t_ = _periods(t, "t", minimum=0)
        a, b = self.params.alpha, self.params.beta
        return np.exp(betaln(a, b + t_) - betaln(a, b))

    def probability_churn(self, t: object) -> FloatArray:
        """Probability that a new customer churns in period ``t`` (``P(T = t)``).

        ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``.

        Parameters
        ----------
        t : int or array-like of int
            Periods, ``t >= 1``.

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1]; they sum to 1 over ``t = 1, 2, ...``.

        Examples
        --------
        >>> ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0).probability_churn([1, 2])
        array([0.5       , 0.16666667])
        """
        from scipy.special import betaln  # noqa: PLC0415 - scipy is imported lazily

        t_ = _periods(t, "t", minimum=1)
        a, b = self.params.alpha, self.params.beta
        return np.exp(betaln(a + 1.0, b + t_ - 1.0) - betaln(a, b))

    def retention_rate(self, t: object) -> FloatArray:
        """Share of the customers active in period ``t - 1`` who renew in period ``t``.

        ``r_t = (beta + t - 1) / (alpha + beta + t - 1)`` (Fader & Hardie 2007,
        eq. 8); it increases with ``t`` because the least loyal churn first.

        Parameters
        ----------
        t : int or array-like of int
            Periods, ``t >= 1``.

        Returns
        -------
        numpy.ndarray
            Retention rates in (0, 1).

        Examples
        --------
        >>> ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0).retention_rate([1, 2, 3])
        array([0.5       , 0.66666667, 0.75      ])
        """
        t_ = _periods(t, "t", minimum=1)
        a, b = self.params.alpha, self.params.beta
        return (b + t_ - 1.0) / (a + b + t_ - 1.0)

    def expected_lifetime(self) -> float:
        """Return the expected number of periods a new customer stays, ``E[T]``.

        ``E[T] = E[1 / theta] = (alpha + beta - 1) / (alpha - 1)`` for
        ``alpha > 1``. When ``alpha <= 1`` the mean is infinite (too many
        customers have churn probabilities near 0) and ``inf`` is returned.

        Returns
        -------
        float
            Mean lifetime in periods, counting the first (acquisition) period.

        Examples
        --------
        >>> ShiftedBetaGeometricModel.from_params(alpha=3.0, beta=4.0).expected_lifetime()
        3.0
        >>> ShiftedBetaGeometricModel.from_params(alpha=0.7, beta=1.2).expected_lifetime()
        inf
        """
        a, b = self.params.alpha, self.params.beta
        if a <= 1.0:
            return math.inf
        return (a + b - 1.0) / (a - 1.0)

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, *, renewals: object = 0
    ) -> FloatArray:
        """Discounted expected residual lifetime (DERL, Fader & Hardie 2010, eq. 6).

        For a customer who has made ``n`` renewals (so is in period ``n + 1``,
        about to decide on the next renewal), DERL is the discounted expected
        number of further periods, the first one undiscounted::

            DERL = sum_{k >= 1} S(n + k) / S(n) / (1 + d)^(k - 1)
                 = (beta + n) / (alpha + beta + n)
                   * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + d))

        Multiply by the margin per period to get the residual value of a
        customer. With ``d = 0`` this is ``(beta + n) / (alpha - 1)`` if
        ``alpha > 1`` and ``inf`` otherwise.

        The hypergeometric series is summed term by term in log space (all
        terms are positive, so nothing cancels) until the geometric bound on
        the remainder is below ``1e-16`` of the sum. General-purpose ``2F1``
        routines lose accuracy here when ``alpha`` is a whole number and ``d``
        is small. The cost grows like ``37 / d`` terms, about a millisecond per
        ``renewals`` value for ``d = 0.01``.

        Parameters
        ----------
        discount_rate : float
            Discount rate per period, ``d >= 0``.
        renewals : int or array-like of int, default=0
            Renewals made so far, ``n >= 0``.

        Returns
        -------
        numpy.ndarray
            DERL in periods, one per ``renewals`` value.

        Examples
        --------
        >>> m = ShiftedBetaGeometricModel.from_params(alpha=3.0, beta=4.0)
        >>> m.discounted_expected_residual_lifetime(0.0, renewals=[0, 2])
        array([2., 3.])
        """
        func = "discounted_expected_residual_lifetime"
        d = check_amount(discount_rate, "discount_rate", func)
        n = _periods(renewals, "renewals", minimum=0)
        a, b = self.params.alpha, self.params.beta
        if d == 0.0:
            if a <= 1.0:
                return np.full_like(n, math.inf)
            limit: FloatArray = (b + n) / (a - 1.0)
            return limit
        return _derl_series(a, b + n, d)

    def project(self, n_periods: int, *, cohort_size: float = 1.0) -> FloatArray:
        """Return the expected survivors of a new cohort at the start of periods ``0..n_periods``.

        ``cohort_size * S(t)`` for ``t = 0, ..., n_periods``.

        Parameters
        ----------
        n_periods : int
            Last period to project, ``>= 0``.
        cohort_size : float, default=1.0
            Customers at period 0 (1.0 gives survival shares).

        Returns
        -------
        numpy.ndarray
            ``n_periods + 1`` expected survivor counts, non-increasing.

        Examples
        --------
        >>> ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0).project(2, cohort_size=600)
        array([600., 300., 200.])
        """
        func = "project"
        periods = check_count(n_periods, "n_periods", func)
        size = check_amount(cohort_size, "cohort_size", func)
        out: FloatArray = size * self.survival(np.arange(periods + 1, dtype=float))
        return out


def _derl_series(a: float, b_n: FloatArray, d: float) -> FloatArray:
    """Sum ``sum_{k>=1} S(n+k)/S(n) x^(k-1)`` with ``x = 1/(1+d)``; ``b_n = beta + n``.

    ``T_1 = b_n / (a + b_n)`` and ``T_{k+1} / T_k = x (b_n + k) / (a + b_n + k)``,
    a ratio below ``x``, so the remainder after ``T_K`` is below ``T_K x / (1 - x)``.
    """
    log_x = -math.log1p(d)
    tail_factor = 1.0 / d  # x / (1 - x)
    log_term = -np.log1p(a / b_n)
    total = np.zeros_like(b_n)
    k0, block = 1.0, 1024
    while True:
        k = k0 + np.arange(block, dtype=float)[None, :]
        log_ratio = log_x - np.log1p(a / (b_n[:, None] + k))
        steps = np.cumsum(log_ratio, axis=1)
        log_block = np.concatenate([log_term[:, None], log_term[:, None] + steps[:, :-1]], axis=1)
        total += np.exp(log_block).sum(axis=1)
        log_term = log_term + steps[:, -1]
        if np.all(np.exp(log_term) * tail_factor <= 1e-16 * total):
            return total
        k0 += block
        block = min(2 * block, max(1024, 4_000_000 // len(b_n)))


def _negative_log_likelihood(
    log_params: FloatArray,
    periods: FloatArray,
    censored: npt.NDArray[np.bool_],
    weights: FloatArray,
) -> tuple[float, FloatArray]:
    """Total negative log-likelihood and its gradient w.r.t. ``log(alpha), log(beta)``."""
    from scipy.special import betaln, digamma  # noqa: PLC0415 - scipy is imported lazily

    a, b = np.exp(log_params)
    t = periods
    psi_ab = digamma(a + b)
    # churned in period t: log B(a + 1, b + t - 1) - log B(a, b)
    churn_ll = betaln(a + 1.0, b + t - 1.0) - betaln(a, b)
    churn_da = digamma(a + 1.0) - digamma(a + b + t) - digamma(a) + psi_ab
    churn_db = digamma(b + t - 1.0) - digamma(a + b + t) - digamma(b) + psi_ab
    # still active after t periods: log B(a, b + t) - log B(a, b)
    surv_ll = betaln(a, b + t) - betaln(a, b)
    surv_da = psi_ab - digamma(a + b + t)
    surv_db = digamma(b + t) - digamma(a + b + t) - digamma(b) + psi_ab
    ll = np.where(censored, surv_ll, churn_ll)
    da = np.where(censored, surv_da, churn_da)
    db = np.where(censored, surv_db, churn_db)
    value = -float(np.dot(weights, ll))
    grad = -np.array([a * np.dot(weights, da), b * np.dot(weights, db)])
    return value, grad
