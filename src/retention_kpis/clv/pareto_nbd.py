"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987).

While alive, a customer buys as a Poisson process with rate ``lambda``; the
lifetime is exponential with rate ``mu``; across customers
``lambda ~ Gamma(r, alpha)`` and ``mu ~ Gamma(s, beta)`` (shape, rate), so
``alpha`` and ``beta`` are in the data's time unit. The likelihood of a
customer's ``(x, t_x, T)`` (Fader & Hardie 2005, rewritten) is ::

    L = Gamma(r + x) alpha^r beta^s / Gamma(r)
        * [ (alpha + T)^-(r+x) (beta + T)^-s + s * I ],
    I = int_{t_x}^{T} (alpha + tau)^-(r+x) (beta + tau)^-(s+1) dtau

The second bracket term is the note's ``s / (r + s + x) * A0``. It is computed
as a sum of positive terms (see :mod:`retention_kpis.clv._pareto_integral`),
never as the cancelling difference of two ``2F1`` values, so it is finite and
exact to about 1e-15 for every input, including ``recency == T`` (where
``I = 0`` and P(alive) is exactly 1; lifetimes 0.11.3 returns nan there). The
gradient is analytic, term by term.

References
----------
Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your
customers: who are they and what will they do next? *Management Science*
33(1), 1-24.

Fader, P. S. & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model
and related expressions. http://brucehardie.com/notes/009/

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
the easy way: an alternative to the Pareto/NBD model. *Marketing Science*
24(2), 275-284 (section 4 reports the Pareto/NBD fit to CDNOW).
"""

from __future__ import annotations

import math
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
from retention_kpis.clv._pareto_integral import (
    MAX_GROUPS,
    log_integral,
    log_integral_grouped,
    log_integral_value,
    pieces,
)
from retention_kpis.clv._pareto_purchases import log_probability_of_purchases
from retention_kpis.clv._pareto_solver import equal_scale_start, quasi_newton, sample_hessian
from retention_kpis.exceptions import InvalidInputError

__all__ = ["ParetoNBDModel", "ParetoNBDParams"]


class ParetoNBDParams(ModelParams):
    """Pareto/NBD parameters: purchase rate ``Gamma(r, alpha)``, dropout rate ``Gamma(s, beta)``.

    Examples
    --------
    >>> ParetoNBDParams(r=0.553, alpha=10.578, s=0.606, beta=11.669).beta
    11.669
    """

    r: float
    alpha: float
    s: float
    beta: float


def _summary(
    frequency: object, recency: object, T: object
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate ``(frequency, recency, T)`` and broadcast them to one length."""
    x = as_float_array(frequency, "frequency")
    t_x = as_float_array(recency, "recency")
    age = as_float_array(T, "T")
    try:
        x, t_x, age = (np.array(a) for a in np.broadcast_arrays(x, t_x, age))
    except ValueError:
        check_same_length(frequency=x, recency=t_x, T=age)
    late = t_x > age
    if late.any():
        msg = f"Some values in recency are larger than T ({count_rows(int(late.sum()))})."
        raise InvalidInputError(msg)
    return x, t_x, age


def _log_bracket_terms(
    params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return the logs of the bracket terms: alive at ``T``, died in ``(t_x, T]``."""
    r, alpha, s, beta = params
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) + log_integral_value(r + x, s + 1.0, alpha, beta, t_x, T)
    return alive, died


def _log_likelihood_rows(
    params: FloatArray, alive: FloatArray, died: FloatArray, x: FloatArray
) -> FloatArray:
    """Per-row log-likelihood from the two log bracket terms."""
    from scipy.special import gammaln  # noqa: PLC0415 - scipy is imported lazily

    r, alpha, s, beta = params
    out: FloatArray = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(alive, died)
    )
    return out


def _distinct_rows(
    x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[tuple[FloatArray, FloatArray, FloatArray], npt.NDArray[np.intp] | None]:
    """Distinct ``(x, t_x, T)`` rows and the index mapping rows back (None: all distinct).

    One 64-bit hash per row is sorted (``np.unique(axis=0)`` is ten times slower);
    a hash collision is detected and then every row is kept.
    """
    key = x.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    key = (key ^ t_x.view(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
    key ^= T.view(np.uint64)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if len(first) == len(x):
        return (x, t_x, T), None
    rows = (x[first], t_x[first], T[first])
    if all(
        np.array_equal(part[inverse], full) for part, full in zip(rows, (x, t_x, T), strict=True)
    ):
        return rows, inverse
    return (x, t_x, T), None


def _count_order(x: FloatArray) -> npt.NDArray[np.intp]:
    """Stable order sorting ``x`` (a radix sort when ``x`` are whole numbers below 65,536)."""
    if len(x) and float(x.min()) >= 0.0 and float(x.max()) < 65536.0:
        small = x.astype(np.uint16)
        if np.array_equal(small, x):
            return np.argsort(small, kind="stable")
    return np.argsort(x, kind="stable")


_ROWS_PER_COUNT = 200
"""Fewest rows per distinct frequency, on average, for the grouped likelihood."""


def _count_runs(x: FloatArray) -> npt.NDArray[np.intp] | None:
    """Bounds of the runs of equal ``x`` if ``x`` is sorted with few distinct values, else None.

    The grouped likelihood pays numpy's call overhead once per piece; it is measured faster
    than the per-row one from about 200 rows per distinct ``x`` on (CDNOW, 34 rows per
    count, keeps the per-row path).
    """
    if len(x) < 2 or not bool(np.all(x[1:] >= x[:-1])):
        return None
    starts = np.flatnonzero(x[1:] != x[:-1]) + 1
    if len(starts) + 1 > min(MAX_GROUPS, len(x) // _ROWS_PER_COUNT):
        return None
    out: npt.NDArray[np.intp] = np.concatenate([[0], starts, [len(x)]]).astype(np.intp)
    return out


def _negative_log_likelihood(
    log_params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """Total negative log-likelihood and its gradient in log-parameter space.

    Rows sorted by ``x`` (as :meth:`ParetoNBDModel.fit` passes them) take the grouped
    integral (:func:`log_integral_grouped`) and the per-count special functions once per
    distinct ``x``.
    """
    from scipy.special import digamma, gammaln  # noqa: PLC0415 - scipy is imported lazily

    params = np.exp(log_params)
    bounds = _count_runs(x)
    if bounds is not None:
        return _grouped_negative_log_likelihood(params, x, t_x, T, weights, bounds)
    r, alpha, s, beta = params
    log_at, log_bt = np.log(alpha + T), np.log(beta + T)
    alive = -(r + x) * log_at - s * log_bt
    log_i, grad_i = log_integral(r + x, s + 1.0, alpha, beta, t_x, T)
    died = np.log(s) + log_i
    mix = np.logaddexp(alive, died)
    log_l = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + mix
    w_alive, w_died = np.exp(alive - mix), np.exp(died - mix)
    grad = np.stack(
        [
            digamma(r + x) - digamma(r) + np.log(alpha) - w_alive * log_at + w_died * grad_i[0],
            r / alpha - w_alive * (r + x) / (alpha + T) + w_died * grad_i[2],
            np.log(beta) - w_alive * log_bt + w_died * (1.0 / s + grad_i[1]),
            s / beta - w_alive * s / (beta + T) + w_died * grad_i[3],
        ]
    )
    total = float(weights @ log_l)
    gradient: FloatArray = -(grad @ weights) * params
    return -total, gradient


def _grouped_negative_log_likelihood(  # noqa: PLR0917 - the likelihood's arguments
    params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    weights: FloatArray,
    bounds: npt.NDArray[np.intp],
) -> tuple[float, FloatArray]:
    """:func:`_negative_log_likelihood` of rows sorted by ``x`` (runs ``bounds``).

    The same sums, taken piece by piece (rows of one count, a few thousand at a time:
    the temporaries stay in cache) with the count's special functions as scalars.
    """
    from scipy.special import digamma, gammaln  # noqa: PLC0415 - scipy is imported lazily

    r, alpha, s, beta = (float(v) for v in params)
    counts = x[bounds[:-1]]
    log_i, grad_i = log_integral_grouped(r + counts, bounds, s + 1.0, alpha, beta, t_x, T)
    gamma_g, digamma_g = gammaln(r + counts), digamma(r + counts)
    log_s = math.log(s)
    total = 0.0
    grad = np.zeros(4)
    for group, lo, hi in pieces(bounds):
        w, big_t = weights[lo:hi], T[lo:hi]
        r_x = r + float(counts[group])
        a_t, b_t = alpha + big_t, beta + big_t
        log_at, log_bt = np.log(a_t), np.log(b_t)
        alive = -r_x * log_at - s * log_bt
        died = log_s + log_i[lo:hi]
        lead = died - alive
        small = np.exp(-np.abs(lead))  # the smaller bracket term over the larger
        share = 1.0 / (1.0 + small)
        w_died = w * np.where(lead > 0, share, small * share)
        w_alive = w - w_died
        w_sum = float(w.sum())
        total += float(w @ (np.maximum(alive, died) + np.log1p(small))) + w_sum * gamma_g[group]
        part = grad_i[:, lo:hi]
        grad[0] += w_sum * digamma_g[group] - w_alive @ log_at + w_died @ part[0]
        grad[1] += w_died @ part[2] - r_x * float(w_alive @ (1.0 / a_t))
        grad[2] += w_died @ part[1] - w_alive @ log_bt + float(w_died.sum()) / s
        grad[3] += w_died @ part[3] - s * float(w_alive @ (1.0 / b_t))
    weight = float(weights.sum())
    total += weight * (-gammaln(r) + r * math.log(alpha) + s * math.log(beta))
    grad += weight * np.array([math.log(alpha) - digamma(r), r / alpha, math.log(beta), s / beta])
    gradient: FloatArray = -grad * params
    return -total, gradient


_WARM_START_ROWS = 20_000
"""Above twice this many distinct rows, the start is computed on a sample of this size."""


def _data_start(x: FloatArray, T: FloatArray, weights: FloatArray) -> FloatArray:
    """Log ``(r, alpha, s, beta)`` on the data's own scale (so the time unit does not matter).

    ``r = s = 0.5``, mean purchase rate ``r / alpha``, lifetime scale ``beta`` ~ mean ``T``.
    """
    mean_age = max(float(weights @ T / weights.sum()), 1e-12)
    rate = max(float(weights @ x) / float(weights @ T + 1e-300), 1e-3 / mean_age)
    out: FloatArray = np.log([0.5, 0.5 / rate, 0.5, mean_age])
    return out


def _starting_point(
    rows: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
    distinct: tuple[FloatArray, FloatArray, FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray | None]:
    """Log ``(r, alpha, s, beta)`` to start the full fit from: the ``alpha == beta`` optimum.

    Above ``2 * _WARM_START_ROWS`` distinct rows, that optimum is first found on every
    k-th input row (``_WARM_START_ROWS`` customers spread over the whole input), and the
    full data's search starts there, near its end (6-7 cheap evaluations instead of 13 on
    a million simulated customers). The point found is the full data's either way.
    """
    x_, t_x_, T_, w_ = distinct
    start = _data_start(x_, T_, w_)
    sample: tuple[FloatArray, FloatArray, FloatArray, FloatArray] | None = None
    if len(x_) >= 2 * _WARM_START_ROWS:
        x, t_x, T, weights = rows
        step = max(1, len(x) // _WARM_START_ROWS)
        (xs, ts, big_ts), ws = collapse_rows([x[::step], t_x[::step], T[::step]], weights[::step])
        keep = (ws > 0) & np.isfinite(ws)
        if (xs[keep] > 0).any():
            xs, ts, big_ts, ws = xs[keep], ts[keep], big_ts[keep], ws[keep]
            start = equal_scale_start(xs, ts, big_ts, ws, _data_start(xs, big_ts, ws))
            sample = (xs, ts, big_ts, ws)
    if sample is None:
        return equal_scale_start(x_, t_x_, T_, w_, start), None
    order = _count_order(sample[0])  # sorted by count: the grouped likelihood
    xs, ts, big_ts, ws = (part[order] for part in sample)
    total = float(ws.sum())

    def per_customer(log_params: FloatArray) -> tuple[float, FloatArray]:
        value, grad = _negative_log_likelihood(log_params, xs, ts, big_ts, ws)
        return value / total, grad / total

    point = quasi_newton(per_customer, start, tol=1e-9)
    return point, sample_hessian(per_customer, point)


def _growth(exponent: float, u: FloatArray) -> FloatArray:
    """``(1 - exp(-exponent * u)) / exponent``, equal to ``u`` at ``exponent == 0``."""
    if exponent == 0.0:
        return u
    out: FloatArray = -np.expm1(-exponent * u) / exponent
    return out


class ParetoNBDModel(ProbabilityModel[ParetoNBDParams]):
    """Pareto/NBD model: Poisson purchases while alive, exponential lifetimes.

    Inputs follow lifetimes: ``frequency`` = repeat purchases ``x``,
    ``recency`` = age at the last purchase ``t_x`` (0 without repeats),
    ``T`` = age at the end of observation, all in one time unit (days, weeks);
    ``alpha`` and ``beta`` are in that unit. Predictions accept scalars or
    arrays (numpy, pandas), broadcast them, and return 1-D numpy arrays.

    Examples
    --------
    >>> model = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
    >>> model.probability_alive(0, 0, 38.86).round(3)
    array([0.295])
    >>> model.probability_alive(2, 38.86, 38.86)  # a purchase at T: alive for sure
    array([1.])
    """

    params_type: ClassVar[type[ModelParams]] = ParetoNBDParams

    def fit(self, frequency: object, recency: object, T: object, *, weights: object = None) -> Self:
        """Fit by maximum likelihood (log parameters, analytic gradient).

        The optimum is found from an ``alpha == beta`` start (where the
        likelihood is elementary) by a quasi-Newton solver; the shared L-BFGS-B
        fit then confirms it and computes the Hessian for standard errors.

        Parameters
        ----------
        frequency : array-like of float
            Repeat purchases per customer, ``>= 0``.
        recency : array-like of float
            Age at the last repeat purchase, ``0 <= recency <= T``.
        T : array-like of float
            Age at the end of the calibration period.
        weights : array-like of float, optional
            Customers each row stands for (default 1 each), ``>= 0``.

        Returns
        -------
        Self
            The fitted model; ``log_likelihood`` is the total over customers.

        Raises
        ------
        InvalidInputError
            If inputs are empty, of different lengths, negative, nan or inf,
            or if ``recency > T`` somewhere.
        ConvergenceError
            If nobody made a repeat purchase, the optimiser fails, a parameter
            runs to a bound or the optimum is not identified (a flat
            log-likelihood; see ``docs/clv/index.md``).

        Examples
        --------
        Simulate 3,000 customers from ``r=0.55, alpha=10.6, s=0.6, beta=11.7``
        over 39 weeks (the last of ``x`` uniform purchase times is ``end * Beta(x, 1)``):

        >>> rng = np.random.default_rng(1)
        >>> n, T = 3000, 39.0
        >>> rate = rng.gamma(0.55, 1 / 10.6, n)
        >>> end = np.minimum(rng.exponential(1 / rng.gamma(0.6, 1 / 11.7, n)), T)
        >>> x = rng.poisson(rate * end)
        >>> t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1), 0.0)
        >>> m = ParetoNBDModel().fit(x, t_x, np.full(n, T))
        >>> round(m.params.r, 2), round(m.params.alpha, 1)
        (0.49, 9.5)
        """
        x = as_float_array(frequency, "frequency")
        t_x = as_float_array(recency, "recency")
        age = as_float_array(T, "T")
        if weights is None:
            check_same_length(frequency=x, recency=t_x, T=age)
            w = np.ones(len(x))
        else:
            w = as_float_array(weights, "weights")
            check_same_length(frequency=x, recency=t_x, T=age, weights=w)
        if len(x) == 0 or w.sum() <= 0:
            msg = "ParetoNBDModel.fit needs at least one customer with a positive weight."
            raise InvalidInputError(msg)
        _summary(x, t_x, age)
        require_repeat_purchases("ParetoNBDModel", x, w)
        (x_, t_x_, age_), w_ = collapse_rows([x, t_x, age], w)
        # Sorted by purchase count: the likelihood then works per distinct count.
        keep = np.flatnonzero(w_ > 0)
        keep = keep[_count_order(x_[keep])]
        x_, t_x_, age_, w_ = x_[keep], t_x_[keep], age_[keep], w_[keep]

        last: dict[bytes, tuple[float, FloatArray]] = {}

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            # The solver's last point is evaluated again by L-BFGS-B and the base: reuse it.
            key = np.asarray(log_params, dtype=np.float64).tobytes()
            if key not in last:
                last.clear()
                last[key] = _negative_log_likelihood(log_params, x_, t_x_, age_, w_)
            value, grad = last[key]
            return value, grad.copy()

        total = float(w_.sum())

        def per_customer(log_params: FloatArray) -> tuple[float, FloatArray]:
            value, grad = objective(log_params)
            return value / total, grad / total

        # The alpha == beta optimum (of a sample on large data), then quasi-Newton steps on
        # the full data, end at the optimum; L-BFGS-B (shared by every model) accepts it at once.
        start, hessian = _starting_point((x, t_x, age, w), (x_, t_x_, age_, w_))
        x_start = quasi_newton(per_customer, start, tol=1e-9, hessian=hessian)
        self._fit_log_params(objective, x_start, total_weight=total, forward_hessian=True)
        return self

    def log_likelihood_rows(self, frequency: object, recency: object, T: object) -> FloatArray:
        """Log-likelihood of each customer's ``(frequency, recency, T)``.

        Examples
        --------
        >>> m = ParetoNBDModel.from_params(r=1.0, alpha=1.0, s=1.0, beta=1.0)
        >>> m.log_likelihood_rows(0, 0, 1.0).round(6)  # 1/4 + 1 * int_0^1 (1 + t)^-3 dt = 5/8
        array([-0.470004])
        """
        x, t_x, age = _summary(frequency, recency, T)
        params = self.params.as_array()
        return _log_likelihood_rows(params, *_log_bracket_terms(params, x, t_x, age), x)

    def probability_alive(self, frequency: object, recency: object, T: object) -> FloatArray:
        """Probability that a customer with history ``(x, t_x, T)`` is alive at ``T``.

        ``P(alive) = (alpha + T)^-(r+x) (beta + T)^-s / [(alpha + T)^-(r+x) (beta + T)^-s + s I]``
        (Fader & Hardie 2005). It is 1 at ``recency == T``.

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1].

        Examples
        --------
        >>> m = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> m.probability_alive([2, 2], [30.43, 1.71], 38.86).round(3)
        array([0.869, 0.066])
        """
        x, t_x, age = _summary(frequency, recency, T)
        if len(x) == 0:
            return np.empty(0)
        # Customers with the same history share one evaluation.
        rows, inverse = _distinct_rows(x, t_x, age)
        alive, died = _log_bracket_terms(self.params.as_array(), *rows)
        out: FloatArray = np.exp(alive - np.logaddexp(alive, died))
        return out if inverse is None else out[inverse]

    def expected_purchases(
        self, t: object, frequency: object, recency: object, T: object
    ) -> FloatArray:
        """Return the expected purchases in ``(T, T + t]`` given the history ``(x, t_x, T)``.

        ``E = P(alive) (r + x) (beta + T) / ((alpha + T) (s - 1))
        * [1 - ((beta + T) / (beta + T + t))^(s-1)]``
        (Fader & Hardie 2005); at ``s = 1`` the bracket over ``s - 1`` is
        its limit ``log((beta + T + t) / (beta + T))``.

        Parameters
        ----------
        t : float or array-like
            Length of the future period, ``>= 0``, in the time unit of ``T``.
        frequency, recency, T : float or array-like
            The customer's history (see :meth:`fit`).

        Returns
        -------
        numpy.ndarray
            Non-negative expectations, non-decreasing in ``t``.

        Examples
        --------
        >>> m = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> m.expected_purchases(39, 2, 30.43, 38.86).round(3)
        array([1.455])
        """
        horizon = as_float_array(t, "t")
        x, t_x, age = _summary(frequency, recency, T)
        try:
            horizon, x, t_x, age = np.broadcast_arrays(horizon, x, t_x, age)
        except ValueError:
            check_same_length(t=horizon, frequency=x, recency=t_x, T=age)
        r, alpha, s, beta = self.params.as_array()
        alive = self.probability_alive(x, t_x, age)
        growth = _growth(s - 1.0, np.log1p(horizon / (beta + age)))
        out: FloatArray = alive * (r + x) * (beta + age) / (alpha + age) * growth
        return out

    def expected_purchases_new_customer(self, t: object) -> FloatArray:
        """Return the expected purchases in ``(0, t]`` of a customer just acquired.

        ``E[X(t)] = r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s-1)]``
        (Fader & Hardie 2005), ``r beta / alpha * log(1 + t / beta)`` at ``s = 1``.

        Examples
        --------
        >>> m = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> m.expected_purchases_new_customer([0, 39, 78]).round(3)
        array([0.   , 1.213, 1.909])
        """
        horizon = as_float_array(t, "t")
        r, alpha, s, beta = self.params.as_array()
        out: FloatArray = r * beta / alpha * _growth(s - 1.0, np.log1p(horizon / beta))
        return out

    def probability_of_purchases(self, n: object, t: object) -> FloatArray:
        """Probability that a new customer makes exactly ``n`` purchases in ``(0, t]``.

        ``P(X(t) = n)`` is the chance of being alive at ``t`` with ``n`` purchases
        (an NBD term) plus that of dying at some ``tau <= t`` after ``n``
        purchases (Fader, Hardie & Lee's note on ``P(X(t) = x)``, 2006), the latter
        an integral summed as a series of positive incomplete-beta terms.

        Parameters
        ----------
        n : int or array-like of int
            Purchase counts, whole numbers ``>= 0``.
        t : float or array-like
            Period lengths, ``>= 0``.

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1]; they sum to 1 over ``n = 0, 1, ...``.

        Examples
        --------
        >>> m = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
        >>> m.probability_of_purchases([0, 1, 2], 39).round(3)
        array([0.594, 0.166, 0.082])
        """
        counts = as_float_array(n, "n")
        fractional = counts != np.floor(counts)
        if fractional.any():
            msg = f"n must hold whole numbers; {int(fractional.sum())} value(s) are fractional."
            raise InvalidInputError(msg)
        horizon = as_float_array(t, "t")
        try:
            counts, horizon = (np.array(a) for a in np.broadcast_arrays(counts, horizon))
        except ValueError:
            check_same_length(n=counts, t=horizon)
        out: FloatArray = np.exp(
            log_probability_of_purchases(self.params.as_array(), counts, horizon)
        )
        return out
