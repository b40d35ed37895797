"""Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005).

A customer's transaction values are ``Gamma(p, nu)`` (shape, rate) around a
personal mean ``p / nu``, and ``nu ~ Gamma(q, v)`` across customers. The mean
``zbar`` of a customer's ``x`` repeat transactions then has the density
(Fader & Hardie 2013, "The Gamma-Gamma model of monetary value") ::

    f(zbar | x) = Gamma(p x + q) / (Gamma(p x) Gamma(q))
                  * v^q zbar^(p x - 1) x^(p x) / (v + x zbar)^(p x + q)

and, by conjugacy, the posterior of ``nu`` is ``Gamma(p x + q, v + x zbar)``, so ::

    E[Z | zbar, x] = p (v + x zbar) / (p x + q - 1)
                   = (q - 1) / (p x + q - 1) * p v / (q - 1)
                     + p x / (p x + q - 1) * zbar,

a weighted mean of the population mean ``p v / (q - 1)`` and the customer's own
``zbar``. Units of ``v`` are the units of money.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value
curves for customer base analysis. *Journal of Marketing Research* 42(4), 415-430.

Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
http://brucehardie.com/notes/025/
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from typing_extensions import Self

from retention_kpis.clv._base import (
    FloatArray,
    ModelParams,
    ProbabilityModel,
    as_float_array,
    check_same_length,
)
from retention_kpis.clv._pareto_solver import newton
from retention_kpis.clv._special import log_gamma_ratio
from retention_kpis.exceptions import InvalidInputError

__all__ = ["GammaGammaModel", "GammaGammaParams"]


class GammaGammaParams(ModelParams):
    """Gamma-Gamma parameters: spend shape ``p``, and ``nu ~ Gamma(q, v)``.

    Examples
    --------
    >>> GammaGammaParams(p=6.25, q=3.74, v=15.44).v
    15.44
    """

    p: float
    q: float
    v: float


def _repeat_buyers(
    frequency: object, monetary_value: object, weights: object
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rows with ``frequency > 0``, validated; the others are dropped by rule."""
    x = as_float_array(frequency, "frequency")
    try:
        spend = np.atleast_1d(np.asarray(monetary_value, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        msg = f"monetary_value must be numeric; could not convert it to floats ({exc})."
        raise InvalidInputError(msg) from exc
    w = np.ones(len(x)) if weights is None else as_float_array(weights, "weights")
    if spend.ndim != 1:
        msg = f"monetary_value must be one-dimensional; got shape {spend.shape}."
        raise InvalidInputError(msg)
    check_same_length(frequency=x, monetary_value=spend, weights=w)
    buyers = x > 0
    bad = buyers & ~(np.isfinite(spend) & (spend > 0))
    if bad.any():
        msg = (
            "monetary_value must be > 0 and finite for customers with frequency > 0; "
            f"{int(bad.sum())} row(s) are not."
        )
        raise InvalidInputError(msg)
    return x[buyers], spend[buyers], w[buyers]


_LARGE_SHAPE = 1e3
"""Above this ``p x``, ``log Gamma(p x + q) - log Gamma(p x)`` is taken from Stirling's series."""


def _log_gamma_ratio(px: FloatArray, q: float) -> FloatArray:
    """Return ``log Gamma(p x + q) - log Gamma(p x)`` (Stirling's series for large ``p x``).

    ``gammaln`` would lose about ``1e-16 p x log(p x)`` there.
    """
    from scipy.special import gammaln  # noqa: PLC0415 - scipy is imported lazily

    large = px > _LARGE_SHAPE
    ratio: FloatArray = np.where(large, 0.0, gammaln(px + q) - gammaln(np.where(large, 1.0, px)))
    if large.any():
        ratio[large] = log_gamma_ratio(px[large], q)
    return ratio


def _per_count(x: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Distinct ``x`` and their weights (one ``bincount`` when ``x`` are small whole numbers)."""
    top = float(x.max(initial=0.0))
    if top < 1e6 and x.min(initial=0.0) >= 0:
        whole = x.astype(np.int64)
        if np.array_equal(whole, x):
            summed = np.bincount(whole, weights=weights).astype(np.float64)
            present = np.flatnonzero(np.bincount(whole))
            return present.astype(np.float64), summed[present]
    values, inverse = np.unique(x, return_inverse=True)
    counted = np.bincount(inverse, weights=weights, minlength=len(values)).astype(np.float64)
    return values.astype(np.float64), counted


class _Sufficient:
    """The repeat buyers arranged once per fit, so a likelihood evaluation is cheap.

    The special functions depend on a customer only through ``x``, which takes few
    distinct values (35 in a million simulated customers): they are evaluated per
    distinct ``x`` and weighted by the customers having it. The rest depends on
    ``r = x zbar`` and ``v`` through ``a = log1p(r / v)`` and ``b = log1p(v / r)``,
    with ``b = a - log(r / v)``: rows are sorted by ``r`` once, so those with ``r <= v``
    (a prefix) take one ``log1p`` for ``a`` and those with ``r > v`` one for ``b``; the
    other enters the sums as that value plus ``log(v / r)`` or ``log(r / v)``, terms of
    one sign (``b`` is computed directly where it is small, as the cancellation-free
    form of the density needs). From ``_LONG`` rows on the rows are not sorted (the sort
    cost more than the passes it saves): ``log1p(min(r, v) / max(r, v))`` is that same
    small value, and the other enters through ``max(log(r / v), 0)`` and its mirror.
    """

    def __init__(self, x: FloatArray, zbar: FloatArray, weights: FloatArray) -> None:
        r = x * zbar
        self.sorted = len(r) < _LONG
        order = np.argsort(r, kind="stable") if self.sorted else slice(None)
        self.x = x[order]
        self.zbar = zbar[order]
        self.r = r[order]
        self.log_r = np.log(self.r)
        self.w = weights[order]
        self.wx = self.w * self.x
        self.total = float(self.w.sum())
        self.log_zbar = _dot(weights, np.log(zbar))
        self.x_values, self.x_weights = _per_count(x, weights)

    def every(self, step: int) -> _Sufficient:
        """Every ``step``-th row (in ``r`` order when sorted): a sample spread over the data."""
        return _Sufficient(self.x[::step], self.zbar[::step], self.w[::step])

    def log1p_sums(self, v: float) -> tuple[float, float]:
        """Return ``sum w a`` and ``sum w x b`` (``a = log1p(r / v)``, ``b = log1p(v / r)``).

        They are the only sums of ``a`` and ``b`` the likelihood and its gradient need.
        """
        if not self.sorted:
            small = np.log1p(np.minimum(self.r, v) / np.maximum(self.r, v))
            shift = self.log_r - math.log(v)  # log(r / v)
            above = np.maximum(shift, 0.0)  # log(r / v) where r > v, else 0
            shift -= above
            np.negative(shift, out=shift)  # log(v / r) where r <= v, else 0
            return (
                _dot(self.w, small) + _dot(self.w, above),
                _dot(self.wx, small) + _dot(self.wx, shift),
            )
        k = int(np.searchsorted(self.r, v, side="right"))
        log_v = math.log(v)
        w1, wx1, r1, log_r1 = self.w[:k], self.wx[:k], self.r[:k], self.log_r[:k]
        w2, wx2, r2, log_r2 = self.w[k:], self.wx[k:], self.r[k:], self.log_r[k:]
        a1 = np.log1p(r1 / v)  # r <= v: a is small, b = a + log(v / r) adds two terms >= 0
        b2 = np.log1p(v / r2)  # r > v: b is small, a = b + log(r / v) adds two terms > 0
        sum_w_a = _dot(w1, a1) + _dot(w2, b2) + _dot(w2, log_r2) - log_v * float(w2.sum())
        sum_wx_b = _dot(wx1, a1) + log_v * float(wx1.sum()) - _dot(wx1, log_r1)
        sum_wx_b += _dot(wx2, b2)
        return sum_w_a, sum_wx_b


def _dot(a: FloatArray, b: FloatArray) -> float:
    """Return ``a @ b``, without BLAS for long vectors.

    OpenBLAS splits long dot products over threads, which spin and wait for each other
    on a loaded machine (a Gamma-Gamma fit at 392k rows took 4x the CPU time with its
    default threads at load 16). Short ones stay with BLAS, single-threaded there, so
    small fits keep their last bits (an unidentified fit's end on its ridge depends on them).
    """
    if len(a) <= _BLAS_DOT:
        return float(a @ b)
    return float(np.einsum("i,i->", a, b))


_BLAS_DOT = 8192
"""Longest vectors summed by BLAS (OpenBLAS keeps dot products of up to 10,000 on one thread)."""
_LONG = 50_000
"""From this many rows on, ``_Sufficient`` does not sort its rows."""


def _negative_log_likelihood_sums(
    log_params: FloatArray, data: _Sufficient
) -> tuple[float, FloatArray]:
    """Total negative log-likelihood and its gradient in log-parameter space.

    Per customer, ``log f(zbar | x) = log Gamma(p x + q) - log Gamma(p x) - log Gamma(q)
    - log zbar - q log1p(x zbar / v) - p x log1p(v / (x zbar))``, which equals the
    textbook ``q log v + (p x - 1) log zbar + p x log x - (p x + q) log(v + x zbar) + ...``
    without its cancellations when ``p x`` is large (frequency 1e5, ``p`` 1e4).
    """
    value, gradient, _ = _derivatives(log_params, data, hessian=False)
    return value, gradient


def _derivatives(
    log_params: FloatArray, data: _Sufficient, *, hessian: bool
) -> tuple[float, FloatArray, FloatArray]:
    """Negative log-likelihood, gradient and (if asked) Hessian, in log-parameter space.

    With ``A = sum w log1p(r / v)``, ``B = sum w x log1p(v / r)``, ``S_j = sum w x^j / (v + r)``
    and ``T_j = sum w x^j / (v + r)^2`` (``r = x zbar``), the log-likelihood's derivatives
    on the natural scale are ::

        d/dp = sum_x W_x x (psi(p x + q) - psi(p x)) - B
        d/dq = sum_x W_x psi(p x + q) - W psi(q) - A
        d/dv = q W / v - p S_1 - q S_0
        d2/dp2 = sum_x W_x x^2 (psi'(p x + q) - psi'(p x)),  d2/dp dq = sum_x W_x x psi'(p x + q)
        d2/dq2 = sum_x W_x psi'(p x + q) - W psi'(q),  d2/dp dv = -S_1,  d2/dq dv = W / v - S_0
        d2/dv2 = -q W / v^2 + p T_1 + q T_0

    (``W_x`` the weight of the customers with ``x`` purchases, ``W`` the total); in log
    parameters ``theta = exp(u)`` the Hessian of ``-log L`` is
    ``-diag(theta) H diag(theta) - diag(theta g)``.
    """
    from scipy.special import digamma, gammaln, polygamma  # noqa: PLC0415 - imported lazily

    params = np.exp(log_params)
    p, q, v = (float(value) for value in params)
    px = p * data.x_values
    sum_w_a, sum_wx_b = data.log1p_sums(v)
    inverse_rate = 1.0 / (v + data.r)
    s_0, s_1 = _dot(data.w, inverse_rate), _dot(data.wx, inverse_rate)
    total = data.total
    log_l = (
        float(data.x_weights @ _log_gamma_ratio(px, q))
        - float(gammaln(q)) * total
        - data.log_zbar
        - q * sum_w_a
        - p * sum_wx_b
    )
    shared = digamma(px + q)
    grad = np.array(
        [
            float(data.x_weights @ (data.x_values * (shared - digamma(px)))) - sum_wx_b,
            float(data.x_weights @ shared) - float(digamma(q)) * total - sum_w_a,
            q * total / v - p * s_1 - q * s_0,
        ]
    )
    gradient: FloatArray = -grad * params
    if not hessian:
        return -log_l, gradient, np.empty((3, 3))
    inverse_rate *= inverse_rate
    t_0, t_1 = _dot(data.w, inverse_rate), _dot(data.wx, inverse_rate)
    tri_shared = polygamma(1, px + q)
    weighted_x = data.x_weights * data.x_values
    h_pq = float(weighted_x @ tri_shared)
    h_pv, h_qv = -s_1, total / v - s_0
    natural = np.array(
        [
            [float((weighted_x * data.x_values) @ (tri_shared - polygamma(1, px))), h_pq, h_pv],
            [h_pq, float(data.x_weights @ tri_shared) - float(polygamma(1, q)) * total, h_qv],
            [h_pv, h_qv, -q * total / (v * v) + p * t_1 + q * t_0],
        ]
    )
    out: FloatArray = -natural * np.outer(params, params) + np.diag(gradient)
    return -log_l, gradient, out


def _negative_log_likelihood(
    log_params: FloatArray, x: FloatArray, zbar: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """Total negative log-likelihood of repeat buyers and its gradient in log-parameter space."""
    return _negative_log_likelihood_sums(log_params, _Sufficient(x, zbar, weights))


_WARM_START_ROWS = 20_000
"""Above twice this many repeat buyers, the fit starts from the MLE of a sample of this size."""


Derivatives = Callable[[FloatArray], tuple[float, FloatArray, FloatArray]]


def _optimum(data: _Sufficient, derivatives: Derivatives) -> tuple[FloatArray, bool]:
    """Log parameters at (or next to) the maximum likelihood, by Newton's method.

    Newton steps with the analytic Hessian (:func:`_derivatives`; three parameters, each
    evaluation one pass over the rows) from the zeros; above ``2 * _WARM_START_ROWS`` rows,
    first on a sample of ``_WARM_START_ROWS`` rows (every k-th in ``r`` order), whose
    optimum is a few quadratically converging steps from the full data's. The shared
    L-BFGS-B fit then starts here and stops at once. Without convergence (a ridge of
    unidentified data, where ``p`` runs off with ``p v`` fixed) it starts from the zeros
    and takes the numerical Hessian, as before Newton, so such fits end as they used to.
    Returns the start and whether Newton converged.
    ``derivatives`` are the full data's (:func:`_derivatives`, cached by the caller).
    """

    def scaled(sums: _Sufficient, function: Derivatives | None = None) -> Derivatives:
        def per_customer(log_params: FloatArray) -> tuple[float, FloatArray, FloatArray]:
            if function is None:
                value, gradient, hessian = _derivatives(log_params, sums, hessian=True)
            else:
                value, gradient, hessian = function(log_params)
            return value / sums.total, gradient / sums.total, hessian / sums.total

        return per_customer

    start = np.zeros(3)
    if len(data.r) >= 2 * _WARM_START_ROWS:
        start = newton(scaled(data.every(len(data.r) // _WARM_START_ROWS)), start, tol=1e-8)
        if not (np.all(np.isfinite(start)) and np.all(np.abs(start) < 29.0)):
            start = np.zeros(3)
    out = newton(scaled(data, derivatives), start, tol=1e-11)
    if not (np.all(np.isfinite(out)) and np.all(np.abs(out) < 29.0)):
        return np.zeros(3), False
    _, gradient, _ = scaled(data, derivatives)(out)
    if float(np.max(np.abs(gradient))) > 1e-9:
        return np.zeros(3), False
    return out, True


class GammaGammaModel(ProbabilityModel[GammaGammaParams]):
    """Gamma-Gamma model of the average value of a customer's transactions.

    It assumes spend is independent of the purchase process, so it pairs with
    BG/NBD or Pareto/NBD for CLV. Inputs follow lifetimes: ``frequency`` =
    repeat purchases ``x``, ``monetary_value`` = mean value ``zbar`` of those
    repeat purchases.

    Examples
    --------
    >>> model = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> model.expected_average_value([0, 2], [0.0, 22.35]).round(2)
    array([35.22, 24.66])
    """

    params_type: ClassVar[type[ModelParams]] = GammaGammaParams

    def fit(self, frequency: object, monetary_value: object, *, weights: object = None) -> Self:
        """Fit by maximum likelihood over the customers with ``frequency > 0``.

        Rows with ``frequency == 0`` carry no spend information and are
        ignored (their ``monetary_value`` may be anything, nan included), so the
        whole RFM summary can be passed; ``log_likelihood`` sums over the
        repeat buyers only.

        Parameters
        ----------
        frequency : array-like of float
            Repeat purchases per customer, ``>= 0``.
        monetary_value : array-like of float
            Mean value of the repeat purchases; ``> 0`` where ``frequency > 0``.
        weights : array-like of float, optional
            Customers each row stands for (default 1 each), ``>= 0``.

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        InvalidInputError
            If lengths differ, ``frequency`` or ``weights`` are negative, nan or
            inf, a repeat buyer's ``monetary_value`` is not a positive finite
            number, or no row has ``frequency > 0``.
        ConvergenceError
            If the optimiser fails, a parameter runs to a bound or the optimum
            is not identified (for example every repeat buyer spent the same
            amount; see ``docs/clv/index.md``).

        Examples
        --------
        >>> m = GammaGammaModel().fit([1, 2, 3, 0, 5, 1], [10.0, 25.0, 14.0, 0.0, 30.0, 8.0])
        >>> m.params.p > 0
        True
        """
        x, spend, w = _repeat_buyers(frequency, monetary_value, weights)
        if len(x) == 0 or w.sum() <= 0:
            msg = "GammaGammaModel.fit needs at least one customer with frequency > 0; got none."
            raise InvalidInputError(msg)
        # No collapsing of equal rows: spend is continuous, so few rows are equal, and
        # _Sufficient already evaluates the special functions once per distinct x.
        keep = w > 0
        data = _Sufficient(x[keep], spend[keep], w[keep])

        last: dict[bytes, tuple[float, FloatArray, FloatArray]] = {}

        def derivatives(log_params: FloatArray) -> tuple[float, FloatArray, FloatArray]:
            # the optimum is evaluated by Newton, L-BFGS-B and the base in turn: once
            key = np.asarray(log_params, dtype=np.float64).tobytes()
            if key not in last:
                last.clear()
                last[key] = _derivatives(log_params, data, hessian=True)
            return last[key]

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            value, gradient, _ = derivatives(log_params)
            return value, gradient.copy()

        def hessian(log_params: FloatArray) -> FloatArray:
            out: FloatArray = derivatives(log_params)[2].copy()
            return out

        start, converged = _optimum(data, derivatives)
        self._fit_log_params(
            objective, start, total_weight=data.total, hessian=hessian if converged else None
        )
        return self

    def population_mean_value(self) -> float:
        """Mean transaction value across customers, ``p v / (q - 1)``.

        Raises
        ------
        InvalidInputError
            If ``q <= 1``: the mean of ``p / nu`` is then infinite.

        Examples
        --------
        >>> round(GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44).population_mean_value(), 2)
        35.22
        """
        p, q, v = self.params.as_array()
        if q <= 1:
            msg = f"The population mean spend p v / (q - 1) is undefined for q <= 1 (q = {q:g})."
            raise InvalidInputError(msg)
        return float(p * v / (q - 1.0))

    def expected_average_value(self, frequency: object, monetary_value: object) -> FloatArray:
        """Conditional expected value of a customer's transactions.

        ``E[Z | zbar, x] = p (v + x zbar) / (p x + q - 1)``; at ``frequency == 0``
        this is the population mean ``p v / (q - 1)`` and ``monetary_value`` is
        ignored (nan allowed there).

        Parameters
        ----------
        frequency : float or array-like
            Repeat purchases ``x >= 0``.
        monetary_value : float or array-like
            Mean value of the repeat purchases; ``> 0`` where ``frequency > 0``.

        Returns
        -------
        numpy.ndarray
            Expected values per transaction, in the units of ``monetary_value``.

        Raises
        ------
        InvalidInputError
            On bad inputs, or where ``p x + q <= 1`` (the expectation is then
            infinite; for ``frequency == 0`` this is ``q <= 1``).

        Examples
        --------
        >>> m = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        >>> m.expected_average_value(2, 22.35).round(2)
        array([24.66])
        """
        x = as_float_array(frequency, "frequency")
        spend = np.atleast_1d(np.asarray(monetary_value, dtype=np.float64))
        try:
            x, spend = (np.array(a) for a in np.broadcast_arrays(x, spend))
        except ValueError:
            check_same_length(frequency=x, monetary_value=spend)
        _repeat_buyers(x, spend, None)
        p, q, v = self.params.as_array()
        undefined = p * x + q <= 1.0
        if undefined.any():
            msg = (
                "The expected average value is infinite where p * frequency + q <= 1 "
                f"(q = {q:g}); {int(undefined.sum())} row(s)."
            )
            raise InvalidInputError(msg)
        spend_term = np.where(x > 0, x * np.where(x > 0, spend, 0.0), 0.0)
        out: FloatArray = p * (v + spend_term) / (p * x + q - 1.0)
        return out
