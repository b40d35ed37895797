"""Beta-geometric/beta-Bernoulli (BG/BB) model (Fader, Hardie & Shang 2010).

The discrete-time analogue of the Pareto/NBD model: at each of ``n``
transaction opportunities an alive customer transacts with probability ``p``
(``p ~ Beta(alpha, beta)``), and becomes inactive before the next opportunity
with probability ``theta`` (``theta ~ Beta(gamma, delta)``). A customer is
summarised by ``frequency`` ``x`` (repeat transactions), ``recency`` ``t_x``
(the opportunity of the last one, 0 when ``x = 0``) and ``n_periods`` ``n``.

The likelihood (FHS 2010, eq. 5) is::

    L = B(a + x, b + n - x) / B(a, b) * B(g, d + n) / B(g, d)
        + sum_{i=0}^{n - t_x - 1} B(a + x, b + t_x - x + i) / B(a, b)
                                 * B(g + 1, d + t_x + i) / B(g, d)

computed in log space with ``betaln`` and ``logsumexp``; the gradient is the
softmax-weighted sum of the ``digamma`` gradients of the terms.

References
----------
Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). Customer-base analysis in a
discrete-time noncontractual setting. *Marketing Science* 29(6), 1086-1108.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt
from typing_extensions import Self

from retention_kpis._core.text import count_rows
from retention_kpis.clv._base import (
    FloatArray,
    ModelParams,
    ProbabilityModel,
    as_float_array,
    check_same_length,
    collapse_rows,
    require_repeat_purchases,
)
from retention_kpis.clv._special import log_gamma_ratio
from retention_kpis.exceptions import InvalidInputError

__all__ = ["BetaGeoBetaBinomModel", "BetaGeoBetaBinomParams"]

_MAX_CELLS = 2_000_000
"""Largest (rows x sum terms) block evaluated at once in the likelihood."""


class BetaGeoBetaBinomParams(ModelParams):
    """BG/BB parameters: ``p ~ Beta(alpha, beta)``, ``theta ~ Beta(gamma, delta)``.

    Examples
    --------
    >>> BetaGeoBetaBinomParams(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783).delta
    2.783
    """

    alpha: float
    beta: float
    gamma: float
    delta: float


def _whole(values: object, name: str) -> FloatArray:
    array = as_float_array(values, name)
    fractional = array != np.floor(array)
    if fractional.any():
        msg = f"{name} must hold whole numbers; {int(fractional.sum())} value(s) are fractional."
        raise InvalidInputError(msg)
    return array


def _check_history(
    frequency: object, recency: object, n_periods: object
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and broadcast (x, t_x, n); return three equal-length arrays."""
    x = _whole(frequency, "frequency")
    t_x = _whole(recency, "recency")
    n = _whole(n_periods, "n_periods")
    try:
        x, t_x, n = np.broadcast_arrays(x, t_x, n)
    except ValueError:
        check_same_length(frequency=x, recency=t_x, n_periods=n)
    problems = [
        (x > t_x, "Some values in frequency are larger than recency"),
        (t_x > n, "Some values in recency are larger than n_periods"),
        ((x == 0) & (t_x > 0), "Some rows have frequency 0 but recency > 0"),
    ]
    for mask, text in problems:
        if mask.any():
            msg = f"{text} ({count_rows(int(mask.sum()))})."
            raise InvalidInputError(msg)
    return x.astype(float), t_x.astype(float), n.astype(float)


def _distinct(*columns: FloatArray) -> tuple[list[FloatArray], npt.NDArray[np.intp]]:
    """Distinct rows of the columns and the index that maps them back to every row.

    Rows are factorised one column at a time (1-D ``np.unique`` is much faster
    than ``np.unique(axis=0)``); the combined code stays below the row count.
    """
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        values, codes = np.unique(column, return_inverse=True)
        key = key * len(values) + codes.ravel()
        _, key = np.unique(key, return_inverse=True)
        key = key.ravel()
    first = np.zeros(int(key.max(initial=-1)) + 1, dtype=np.intp)
    first[key[::-1]] = np.arange(len(key) - 1, -1, -1)
    return [np.asarray(column)[first] for column in columns], key


def _log_beta_sum(gamma: float, b: FloatArray, m: FloatArray) -> FloatArray:
    """``log sum_{k=1}^{m} B(gamma, b + k)`` in closed form, accurate near ``gamma = 1``.

    Telescoping ``B(g - 1, y) - B(g - 1, y + 1) = B(g, y)`` gives
    ``Gamma(g) / eps * (A(b + 1) - A(b + m + 1))`` with ``eps = g - 1`` and
    ``A(y) = Gamma(y) / Gamma(y + eps)``. With
    ``G = (log A(b + 1) - log A(b + m + 1)) / eps`` this is
    ``Gamma(g) A(b + 1) G exprel(-eps G)``, which has the limit
    ``psi(b + m + 1) - psi(b + 1)`` at ``g = 1``. Returns ``-inf`` where ``m = 0``.
    """
    from scipy.special import digamma, exprel, gammaln  # noqa: PLC0415

    eps = gamma - 1.0
    lo, hi = b + 1.0, b + m + 1.0
    log_a_lo = -log_gamma_ratio(lo, eps)
    if eps == 0.0:
        g_ratio = digamma(hi) - digamma(lo)
    else:
        g_ratio = (log_gamma_ratio(hi, eps) + log_a_lo) / eps
    with np.errstate(divide="ignore"):
        out: FloatArray = (
            gammaln(gamma) + log_a_lo + np.log(g_ratio) + np.log(exprel(-eps * g_ratio))
        )
    return np.where(m > 0, out, -np.inf)


class BetaGeoBetaBinomModel(ProbabilityModel[BetaGeoBetaBinomParams]):
    """BG/BB model for repeat transactions at discrete opportunities.

    Examples
    --------
    >>> model = BetaGeoBetaBinomModel.from_params(
    ...     alpha=1.204, beta=0.750, gamma=0.657, delta=2.783
    ... )
    >>> model.probability_alive(6, 6, 6).round(4)
    array([0.9304])
    """

    params_type: ClassVar[type[ModelParams]] = BetaGeoBetaBinomParams

    # -- fitting ------------------------------------------------------------
    def fit(
        self, frequency: object, recency: object, n_periods: object, *, weights: object = None
    ) -> Self:
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency : array-like of int
            Repeat transactions ``x`` in the calibration opportunities.
        recency : array-like of int
            Opportunity of the last transaction ``t_x`` (0 when ``x = 0``),
            ``x <= t_x <= n``.
        n_periods : int or array-like of int
            Transaction opportunities ``n`` (scalars broadcast).
        weights : array-like of float, optional
            Customers per row, for a recency/frequency table (default 1 each).

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        InvalidInputError
            On lengths that differ, non-whole or negative values, ``x > t_x``,
            ``t_x > n``, ``x = 0`` with ``t_x > 0``, or empty input.
        ConvergenceError
            If nobody made a repeat transaction, the optimiser fails, a
            parameter runs to a bound or the optimum is not identified (see
            ``docs/clv/index.md``).

        Examples
        --------
        Simulate 3,000 customers over 6 opportunities from ``alpha=1.2,
        beta=0.75`` (transaction probability) and ``gamma=0.66, delta=2.78``
        (dropout); a handful of customers would not identify the parameters
        (see ``docs/clv/index.md``):

        >>> rng = np.random.default_rng(7)
        >>> p, theta = rng.beta(1.2, 0.75, 3000), rng.beta(0.66, 2.78, 3000)
        >>> alive, x, t_x = np.ones(3000, bool), np.zeros(3000), np.zeros(3000)
        >>> for t in range(1, 7):
        ...     alive &= rng.random(3000) >= theta
        ...     buy = alive & (rng.random(3000) < p)
        ...     x, t_x = x + buy, np.where(buy, t, t_x)
        >>> m = BetaGeoBetaBinomModel().fit(x, t_x, 6)
        >>> round(m.params.alpha, 1)
        1.2
        """
        x, t_x, n = _check_history(frequency, recency, n_periods)
        if weights is None:
            w = np.ones(len(x))
        else:
            w = as_float_array(weights, "weights")
            check_same_length(frequency=x, weights=w)
        if len(x) == 0:
            msg = "frequency is empty: the BG/BB model needs at least one customer."
            raise InvalidInputError(msg)
        require_repeat_purchases("BetaGeoBetaBinomModel", x, w)
        (x_, t_, n_), w_ = collapse_rows([x, t_x, n], w)
        keep = w_ > 0
        x_, t_, n_, w_ = x_[keep], t_[keep], n_[keep], w_[keep]

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            return _negative_log_likelihood(log_params, x_, t_, n_, w_)

        self._fit_log_params(objective, np.zeros(4), total_weight=float(w_.sum()))
        return self

    # -- predictions --------------------------------------------------------
    def _log_likelihood_rows(self, x: FloatArray, t_x: FloatArray, n: FloatArray) -> FloatArray:
        value, _ = _row_log_likelihood(self.params.as_array(), x, t_x, n, gradient=False)
        return value

    def probability_alive(
        self, frequency: object, recency: object, n_periods: object
    ) -> FloatArray:
        """Probability that a customer is alive at opportunity ``n + 1`` (FHS 2010, eq. 11).

        ``B(a + x, b + n - x)/B(a, b) * B(g, d + n + 1)/B(g, d) / L``.

        Parameters
        ----------
        frequency, recency, n_periods : int or array-like of int
            The customer's ``x``, ``t_x`` and ``n`` (broadcast together).

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1].

        Examples
        --------
        >>> m = BetaGeoBetaBinomModel.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78)
        >>> m.probability_alive([0, 3], [0, 3], 6).round(3)
        array([0.108, 0.095])
        """
        from scipy.special import betaln  # noqa: PLC0415 - scipy is imported lazily

        (x, t_x, n), inverse = _distinct(*_check_history(frequency, recency, n_periods))
        a, b, g, d = self.params.as_array()
        log_num = betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n + 1) - betaln(g, d)
        out: FloatArray = np.clip(np.exp(log_num - self._log_likelihood_rows(x, t_x, n)), 0, 1)
        return out[inverse]

    def expected_purchases(
        self, t: object, frequency: object, recency: object, n_periods: object
    ) -> FloatArray:
        """Return the expected transactions in the next ``t`` opportunities (FHS 2010, eq. 13).

        ``E[X(n, n + t) | x, t_x, n] = B(a + x + 1, b + n - x)/B(a, b)
        * sum_{k=1}^{t} B(g, d + n + k)/B(g, d) / L``; the sum is evaluated in
        closed form (stable at ``gamma = 1``).

        Parameters
        ----------
        t : int or array-like of int
            Future opportunities, ``t >= 0``.
        frequency, recency, n_periods : int or array-like of int
            The customer's ``x``, ``t_x`` and ``n`` (broadcast with ``t``).

        Returns
        -------
        numpy.ndarray
            Expected transactions, ``>= 0`` and non-decreasing in ``t``.

        Examples
        --------
        >>> m = BetaGeoBetaBinomModel.from_params(alpha=1.2, beta=0.75, gamma=0.66, delta=2.78)
        >>> m.expected_purchases(5, [0, 6], [0, 6], 6).round(3)
        array([0.072, 3.749])
        """
        from scipy.special import betaln  # noqa: PLC0415 - scipy is imported lazily

        horizon = _whole(t, "t")
        x, t_x, n = _check_history(frequency, recency, n_periods)
        (horizon, x, t_x, n), inverse = _distinct(*np.broadcast_arrays(horizon, x, t_x, n))
        a, b, g, d = self.params.as_array()
        log_p = betaln(a + x + 1.0, b + n - x) - betaln(a, b)
        log_sum = _log_beta_sum(g, d + n, horizon) - betaln(g, d)
        out: FloatArray = np.exp(log_p + log_sum - self._log_likelihood_rows(x, t_x, n))
        return out[inverse]

    def expected_purchases_new_customer(self, t: object) -> FloatArray:
        """Return the expected transactions of a new customer in ``t`` opportunities (eq. 7).

        ``E[X(t)] = a / (a + b) * sum_{k=1}^{t} B(g, d + k)/B(g, d)``, equal to
        ``a/(a+b) * d/(g-1) * (1 - Gamma(g+d) Gamma(1+d+t) / (Gamma(g+d+t) Gamma(1+d)))``.

        Parameters
        ----------
        t : int or array-like of int
            Opportunities, ``t >= 0``.

        Returns
        -------
        numpy.ndarray
            Expected transactions, non-decreasing in ``t``.

        Examples
        --------
        >>> m = BetaGeoBetaBinomModel.from_params(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0)
        >>> m.expected_purchases_new_customer([1, 2])  # 1/2 * 1/2 and 1/2 * (1/2 + 1/3)
        array([0.25      , 0.41666667])
        """
        from scipy.special import betaln  # noqa: PLC0415 - scipy is imported lazily

        horizon = _whole(t, "t")
        a, b, g, d = self.params.as_array()
        log_sum = _log_beta_sum(g, np.full_like(horizon, d), horizon) - betaln(g, d)
        out: FloatArray = a / (a + b) * np.exp(log_sum)
        return out

    def probability_of_purchases(self, x: object, n: object) -> FloatArray:
        """Probability that a new customer makes ``x`` transactions in ``n`` opportunities.

        FHS 2010, eq. 8::

            P(X(n) = x) = C(n, x) B(a + x, b + n - x)/B(a, b) * B(g, d + n)/B(g, d)
                + sum_{i=x}^{n-1} C(i, x) B(a + x, b + i - x)/B(a, b) * B(g + 1, d + i)/B(g, d)

        Parameters
        ----------
        x : int or array-like of int
            Transaction counts, ``0 <= x``; ``x > n`` gives 0.
        n : int or array-like of int
            Opportunities (broadcast with ``x``).

        Returns
        -------
        numpy.ndarray
            Probabilities; they sum to 1 over ``x = 0..n``.

        Examples
        --------
        >>> m = BetaGeoBetaBinomModel.from_params(alpha=1.0, beta=1.0, gamma=1.0, delta=1.0)
        >>> m.probability_of_purchases([0, 1], 1)  # 1/4 + 1/2 and 1/4
        array([0.75, 0.25])
        """
        from scipy.special import betaln, gammaln, logsumexp  # noqa: PLC0415

        x_ = _whole(x, "x")
        n_ = _whole(n, "n")
        x_, n_ = np.broadcast_arrays(x_, n_)
        x_, n_ = x_.astype(float), n_.astype(float)
        a, b, g, d = self.params.as_array()
        out = np.zeros(len(x_))
        for row, (xi, ni) in enumerate(zip(x_, n_, strict=True)):
            if xi > ni:
                continue
            i = np.arange(xi, ni)
            log_choose_i = gammaln(i + 1) - gammaln(xi + 1) - gammaln(i - xi + 1)
            tail = log_choose_i + betaln(a + xi, b + i - xi) + betaln(g + 1, d + i)
            head = (
                gammaln(ni + 1)
                - gammaln(xi + 1)
                - gammaln(ni - xi + 1)
                + betaln(a + xi, b + ni - xi)
                + betaln(g, d + ni)
            )
            total = logsumexp(np.append(tail, head)) - betaln(a, b) - betaln(g, d)
            out[row] = np.exp(total)
        return out


def _row_log_likelihood(
    params: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray, *, gradient: bool
) -> tuple[FloatArray, FloatArray]:
    """Per-row log-likelihood and (optionally) its gradient w.r.t. the natural parameters.

    The ``n - t_x`` sum terms are laid out in a padded matrix, in row blocks of
    at most ``_MAX_CELLS`` cells.
    """
    from scipy.special import betaln, digamma  # noqa: PLC0415 - scipy is imported lazily

    a, b, g, d = params
    rows = len(x)
    values = np.empty(rows)
    grads = np.zeros((rows, 4))
    width = int(max(1.0, float(np.max(n - t_x, initial=0.0)))) + 1
    block = max(1, _MAX_CELLS // width)
    psi_ab, psi_gd = digamma(a + b), digamma(g + d)
    for start in range(0, rows, block):
        sl = slice(start, start + block)
        xs, ts, ns = x[sl, None], t_x[sl, None], n[sl, None]
        shape = (len(xs), width)
        i = np.arange(width - 1, dtype=float)[None, :]
        # column 0: alive through opportunity n; column 1 + i: died just after t_x + i
        first = np.zeros(shape, dtype=bool)
        first[:, 0] = True
        mask = np.concatenate([first[:, :1], i <= ns - ts - 1.0], axis=1)
        p1 = np.broadcast_to(a + xs, shape)
        p2 = np.concatenate([b + ns - xs, b + ts - xs + i], axis=1)
        q1 = np.where(first, g, g + 1.0)
        q2 = np.concatenate([d + ns, d + ts + i], axis=1)
        terms = betaln(p1, p2) + betaln(q1, q2)
        terms = np.where(mask, terms, -np.inf)
        peak = terms.max(axis=1, keepdims=True)
        scaled = np.exp(terms - peak)
        total = scaled.sum(axis=1, keepdims=True)
        values[sl] = (peak + np.log(total))[:, 0] - betaln(a, b) - betaln(g, d)
        if gradient:
            weight = scaled / total
            psi_p = digamma(p1 + p2)
            psi_q = digamma(q1 + q2)
            grads[sl, 0] = np.sum(weight * (digamma(p1) - psi_p), axis=1) - digamma(a) + psi_ab
            grads[sl, 1] = np.sum(weight * (digamma(p2) - psi_p), axis=1) - digamma(b) + psi_ab
            grads[sl, 2] = np.sum(weight * (digamma(q1) - psi_q), axis=1) - digamma(g) + psi_gd
            grads[sl, 3] = np.sum(weight * (digamma(q2) - psi_q), axis=1) - digamma(d) + psi_gd
    return values, grads


def _negative_log_likelihood(
    log_params: FloatArray, x: FloatArray, t_x: FloatArray, n: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """Total negative log-likelihood and its gradient w.r.t. the log parameters."""
    params = np.exp(log_params)
    values, grads = _row_log_likelihood(params, x, t_x, n, gradient=True)
    value = -float(np.dot(weights, values))
    grad: FloatArray = -(weights @ grads) * params
    return value, grad
