"""What BG/NBD and MBG/NBD share: parameters, input checks, fitting and predictions.

The models differ only in ``_shift`` (0 for BG/NBD, 1 for MBG/NBD, where a
customer may also drop out right after the first purchase); the formulas are in
:mod:`retention_kpis.clv._beta_geo_math`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
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
from retention_kpis.clv._beta_geo_math import (
    BetaGeoLikelihood,
    expected_count,
    log_probability_of_purchases,
    probability_alive,
)
from retention_kpis.exceptions import InvalidInputError

__all__ = ["BetaGeoFamily", "BetaGeoParams"]


class BetaGeoParams(ModelParams):
    """Parameters of BG/NBD and MBG/NBD (Fader, Hardie & Lee 2005 notation).

    ``r, alpha``: shape and rate of the gamma distribution of the purchase rate
    ``lambda`` (purchases per time unit of the data, mean ``r/alpha``);
    ``a, b``: shape parameters of the beta distribution of the dropout
    probability ``p`` (mean ``a/(a+b)``).

    Examples
    --------
    >>> BetaGeoParams(r=0.243, alpha=4.414, a=0.793, b=2.426).alpha
    4.414
    """

    r: float
    alpha: float
    a: float
    b: float


def _broadcast(**arrays: FloatArray) -> list[FloatArray]:
    """Broadcast length-1 arrays against the others; raise on other mismatches."""
    lengths = {len(array) for array in arrays.values()} - {1}
    if len(lengths) > 1:
        check_same_length(**arrays)
    size = max(lengths, default=1)
    return [np.broadcast_to(array, (size,)) for array in arrays.values()]


def _check_whole(values: FloatArray, name: str) -> None:
    fractional = values != np.floor(values)
    if fractional.any():
        msg = f"Some values in {name} are not whole numbers ({count_rows(int(fractional.sum()))})."
        raise InvalidInputError(msg)


def customer_arrays(
    frequency: object, recency: object, T: object
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate and broadcast ``(frequency, recency, T)`` of customers."""
    x, t_x, age = _broadcast(
        frequency=as_float_array(frequency, "frequency"),
        recency=as_float_array(recency, "recency"),
        T=as_float_array(T, "T"),
    )
    _check_whole(x, "frequency")
    late = t_x > age
    if late.any():
        msg = f"Some values in recency are larger than T ({count_rows(int(late.sum()))})."
        raise InvalidInputError(msg)
    orphan = (x == 0) & (t_x > 0)
    if orphan.any():
        msg = (
            f"Some customers have frequency 0 but recency > 0 ({count_rows(int(orphan.sum()))}); "
            "recency is the age at the last repeat purchase and must be 0 without one."
        )
        raise InvalidInputError(msg)
    return x, t_x, age


class BetaGeoFamily(ProbabilityModel[BetaGeoParams]):
    """Fitting and predictions shared by :class:`BetaGeoModel` and :class:`ModifiedBetaGeoModel`."""

    params_type: ClassVar[type[ModelParams]] = BetaGeoParams
    _shift: ClassVar[int] = 0

    # -- fitting ------------------------------------------------------------
    def fit(self, frequency: object, recency: object, T: object, *, weights: object = None) -> Self:
        """Fit the parameters by maximum likelihood.

        Parameters
        ----------
        frequency : array-like
            Number of repeat purchases ``x`` of each customer (whole numbers).
        recency : array-like
            Age of the customer at the last repeat purchase, ``t_x``
            (0 when ``x = 0``), in the same time unit as ``T``.
        T : array-like
            Age of the customer at the end of the calibration period.
        weights : array-like, optional
            Number of customers each row stands for (non-negative); rows with
            identical ``(x, t_x, T)`` are merged internally either way.

        Returns
        -------
        Self
            The fitted model: ``params``, ``log_likelihood`` (total, not per
            customer), ``standard_errors``, ``confidence_intervals``.

        Raises
        ------
        InvalidInputError
            On negative, fractional (frequency), nan or infinite values,
            ``recency > T``, recency without repeat purchases, mismatched
            lengths, empty input or weights that sum to 0.
        ConvergenceError
            If no customer has a repeat purchase (the likelihood is then
            maximised at the boundary of the parameter space), the optimiser
            fails or the optimum is not identified (see ``docs/clv/index.md``).

        Examples
        --------
        CDNOW's 2,357 customers, in weeks (five customers, as this example
        used to show, do not identify the dropout parameters: see
        ``docs/clv/index.md``):

        >>> from retention_kpis.clv import BetaGeoModel, rfm_summary
        >>> from retention_kpis.datasets import load_cdnow
        >>> summary = rfm_summary(load_cdnow(), customer_id="customer_id", timestamp="date",
        ...                       observation_end="1997-09-30", time_unit="W")
        >>> model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
        >>> round(model.params.r, 3), round(model.params.alpha, 2)
        (0.291, 6.94)
        """
        name = type(self).__name__
        x = as_float_array(frequency, "frequency")
        t_x = as_float_array(recency, "recency")
        age = as_float_array(T, "T")
        w = np.ones(len(x)) if weights is None else as_float_array(weights, "weights")
        rows = check_same_length(frequency=x, recency=t_x, T=age, weights=w)
        x, t_x, age = customer_arrays(x, t_x, age)
        total = float(w.sum())
        if rows == 0 or total <= 0:
            msg = f"{name}.fit needs at least one customer with a positive weight; got {rows} rows."
            raise InvalidInputError(msg)
        require_repeat_purchases(name, x, w)
        (x, t_x, age), w = collapse_rows([x, t_x, age], w)
        likelihood = BetaGeoLikelihood(x, t_x, age, w, self._shift)

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            log_lik, gradient = likelihood(np.exp(log_params))
            return -log_lik, -gradient

        self._fit_log_params(objective, np.zeros(4), total_weight=total)
        return self

    # -- predictions --------------------------------------------------------
    def probability_alive(self, frequency: object, recency: object, T: object) -> FloatArray:
        """Probability that each customer is still active at ``T``.

        ``P(alive | x, t_x, T) = 1 / (1 + a/(b+x+s-1) * ((alpha+T)/(alpha+t_x))^(r+x))``
        with ``s = 0`` for BG/NBD (FHL 2005, where it is exactly 1 for
        ``x = 0``) and ``s = 1`` for MBG/NBD (Batislam et al. 2007, always < 1).

        Parameters
        ----------
        frequency, recency, T : array-like or float
            The customers' summaries (see :meth:`fit`); length-1 inputs broadcast.

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1], one per customer (a 1-D array, also for scalars).

        Examples
        --------
        >>> from retention_kpis.clv import BetaGeoModel
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.probability_alive([0, 2], [0, 30.43], [38.86, 38.86]).round(4)
        array([1.    , 0.7266])
        """
        x, t_x, age = customer_arrays(frequency, recency, T)
        return probability_alive(x, t_x, age, self.params.as_array(), self._shift)

    def expected_purchases(
        self, t: object, frequency: object, recency: object, T: object
    ) -> FloatArray:
        """Return the expected number of purchases in ``(T, T + t]`` given each history.

        BG/NBD (FHL 2005 eq. 10)::

            E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1)
                * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
                * P(alive | x, t_x, T)

        MBG/NBD uses ``b+x+1`` in place of ``b+x`` (Batislam et al. 2007).

        Parameters
        ----------
        t : array-like or float
            Length of the prediction period (>= 0), in the time unit of ``T``.
        frequency, recency, T : array-like or float
            The customers' summaries (see :meth:`fit`); length-1 inputs broadcast.

        Returns
        -------
        numpy.ndarray
            Expected purchases (>= 0), non-decreasing in ``t``; 0 when ``t = 0``.

        Examples
        --------
        >>> from retention_kpis.clv import BetaGeoModel
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.expected_purchases(39, 2, 30.43, 38.86).round(3)
        array([1.226])
        """
        x, t_x, age = customer_arrays(frequency, recency, T)
        horizon = as_float_array(t, "t")
        horizon, x, t_x, age = _broadcast(t=horizon, frequency=x, recency=t_x, T=age)
        params = self.params.as_array()
        r, alpha, a, b = params
        alive = probability_alive(x, t_x, age, params, self._shift)
        count = expected_count(horizon, r + x, alpha + age, a, b + x + self._shift)
        result: FloatArray = alive * count
        return result

    def expected_purchases_new_customer(self, t: object) -> FloatArray:
        """Return the expected number of repeat purchases of a new customer in ``(0, t]``.

        BG/NBD (FHL 2005 eq. 9)::

            E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]

        MBG/NBD (Batislam et al. 2007): ``b/(a-1) * [1 - (alpha/(alpha+t))^r
        2F1(r, b+1; a+b; t/(alpha+t))]``. Both are finite at ``a = 1``
        (a removable singularity, handled by interpolation).

        Parameters
        ----------
        t : array-like or float
            Length of the period (>= 0), in the time unit of the fitted data.

        Returns
        -------
        numpy.ndarray
            Expected repeat purchases per customer, one per ``t``.

        Examples
        --------
        >>> from retention_kpis.clv import BetaGeoModel
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.expected_purchases_new_customer([39, 78]).round(4)
        array([1.1967, 1.8605])
        """
        horizon = as_float_array(t, "t")
        r, alpha, a, b = self.params.as_array()
        ones = np.ones_like(horizon)
        count = expected_count(horizon, r * ones, alpha * ones, a, (b + self._shift) * ones)
        alive_at_start = b / (a + b) if self._shift else 1.0
        result: FloatArray = alive_at_start * count
        return result

    def probability_of_purchases(self, n: object, t: object) -> FloatArray:
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``.

        BG/NBD (FHL 2005 eq. 8)::

            P(X(t) = n) = B(a, b+n)/B(a,b) * G(r+n)/(G(r) n!) (alpha/(alpha+t))^r (t/(alpha+t))^n
                + [n > 0] B(a+1, b+n-1)/B(a,b)
                  * [1 - (alpha/(alpha+t))^r sum_{j<n} G(r+j)/(G(r) j!) (t/(alpha+t))^j]

        The bracketed sum is computed as a regularised incomplete beta function.
        MBG/NBD replaces ``b+n`` by ``b+n+1`` and ``b+n-1`` by ``b+n``, and keeps
        the second term for ``n = 0``.

        Parameters
        ----------
        n : array-like or int
            Numbers of purchases (whole, >= 0).
        t : array-like or float
            Lengths of the period (>= 0); broadcasts against ``n``.

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1]; over ``n = 0, 1, ...`` they sum to 1.

        Examples
        --------
        >>> from retention_kpis.clv import BetaGeoModel
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.probability_of_purchases([0, 1, 2], 39).round(4)
        array([0.5738, 0.1994, 0.0854])
        """
        counts = as_float_array(n, "n")
        _check_whole(counts, "n")
        counts, horizon = _broadcast(n=counts, t=as_float_array(t, "t"))
        log_p = log_probability_of_purchases(counts, horizon, self.params.as_array(), self._shift)
        result: FloatArray = np.exp(log_p)
        return result
