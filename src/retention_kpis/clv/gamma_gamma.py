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

from typing import ClassVar

import numpy as np
from typing_extensions import Self

from retention_kpis.clv._base import (
    FloatArray,
    ModelParams,
    ProbabilityModel,
    as_float_array,
    check_same_length,
    collapse_rows,
)
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


def _log_density(px: FloatArray, q: float, v: float, x: FloatArray, zbar: FloatArray) -> FloatArray:
    """``log f(zbar | x)``, free of the cancellations of the textbook form.

    ``q log v + (p x - 1) log zbar + p x log x - (p x + q) log(v + x zbar)``
    equals ``-log zbar - q log1p(x zbar / v) - p x log1p(v / (x zbar))``, terms
    that do not cancel when ``p x`` is large (frequency 1e5, ``p`` 1e4), and
    ``log Gamma(p x + q) - log Gamma(p x)`` comes from the differenced Stirling
    series there (``gammaln`` would lose about ``1e-16 p x log(p x)``).
    """
    from scipy.special import gammaln  # noqa: PLC0415 - scipy is imported lazily

    large = px > _LARGE_SHAPE
    ratio = np.where(large, 0.0, gammaln(px + q) - gammaln(np.where(large, 1.0, px)))
    if large.any():
        ratio[large] = log_gamma_ratio(px[large], q)
    out: FloatArray = (
        ratio
        - gammaln(q)
        - np.log(zbar)
        - q * np.log1p(x * zbar / v)
        - px * np.log1p(v / (x * zbar))
    )
    return out


def _negative_log_likelihood(
    log_params: FloatArray, x: FloatArray, zbar: FloatArray, weights: FloatArray
) -> tuple[float, FloatArray]:
    """Total negative log-likelihood and its gradient in log-parameter space."""
    from scipy.special import digamma  # noqa: PLC0415 - scipy is imported lazily

    params = np.exp(log_params)
    p, q, v = params
    px = p * x
    log_rate = np.log(v + x * zbar)
    log_l = _log_density(px, q, v, x, zbar)
    shared = digamma(px + q)
    grad = np.stack(
        [
            x * (shared - digamma(px) + np.log(zbar) + np.log(x) - log_rate),
            shared - digamma(q) + np.log(v) - log_rate,
            q / v - (px + q) / (v + x * zbar),
        ]
    )
    gradient: FloatArray = -(grad @ weights) * params
    return -float(weights @ log_l), gradient


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
            If the optimiser fails or a parameter runs to a bound.

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
        (x_, spend_), w_ = collapse_rows([x, spend], w)
        keep = w_ > 0
        x_, spend_, w_ = x_[keep], spend_[keep], w_[keep]

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            return _negative_log_likelihood(log_params, x_, spend_, w_)

        self._fit_log_params(objective, np.zeros(3), total_weight=float(w_.sum()))
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
