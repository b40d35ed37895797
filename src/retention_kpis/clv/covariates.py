"""BG/NBD, Pareto/NBD and Gamma-Gamma with time-invariant covariates (Fader & Hardie 2007).

A covariate shifts a population parameter for each customer. For the purchase
process (both transaction models) the gamma rate of the purchase rates becomes
``alpha_i = alpha_0 exp(-gamma_1' z_i)``: a positive coefficient makes ``alpha_i``
smaller and, since the mean purchase rate is ``r / alpha_i``, multiplies the
expected purchase rate by ``exp(gamma_1)`` per unit of the covariate. For the
dropout process:

* Pareto/NBD: ``beta_i = beta_0 exp(-gamma_2' z_i)`` (the mean dropout rate is
  ``s / beta_i``: a positive coefficient shortens lifetimes by ``exp(-gamma_2)``
  per unit);
* BG/NBD: ``a_i = a_0 exp(gamma_a' z_i)`` and ``b_i = b_0 exp(gamma_b' z_i)``,
  two coefficient vectors on the same columns (pymc-marketing's ``BetaGeoModel``
  parametrisation; the mean dropout probability is ``a_i / (a_i + b_i)``, so
  ``gamma_a > gamma_b`` means more dropout).

Gamma-Gamma: ``v_i = v_0 exp(gamma' z_i)``, so ``exp(gamma)`` is the ratio of
expected spend per purchase per unit of the covariate.

``fit(summary, purchase_covariates=[...], dropout_covariates=[...])`` reads the
summary columns (``frequency``, ``recency``, ``T``; ``monetary_value`` for
Gamma-Gamma) and the named covariate columns from any frame the library reads
(or a mapping of arrays). A covariate must be a finite number for every
customer: missing, nan or inf values are refused with the column and the
number of rows (drop or fill them first), and so is a constant column. Without
covariates the fit *is* the model without covariates (identical numbers).
Predictions take a summary with the same covariate columns and use each
customer's own parameters.

References
----------
Fader, P. S. & Hardie, B. G. S. (2007). Incorporating time-invariant covariates
into the Pareto/NBD and BG/NBD models. http://brucehardie.com/notes/019/
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from typing_extensions import Self

from retention_kpis._core.text import count_rows
from retention_kpis.clv import _bgnbd_covariates as _bg
from retention_kpis.clv import _pareto_covariates as _pn
from retention_kpis.clv._base import FloatArray, NotFittedError, collapse_rows
from retention_kpis.clv._covariates import (
    Block,
    CovariateFit,
    RowLikelihood,
    check_names,
    fit_blocks,
    per_row_parameters,
    read_covariates,
    read_summary,
    summary_table,
)
from retention_kpis.clv._gamma_gamma_covariates import GammaGammaRows
from retention_kpis.clv.bgnbd import BetaGeoModel
from retention_kpis.clv.gamma_gamma import GammaGammaModel
from retention_kpis.clv.pareto_nbd import ParetoNBDModel
from retention_kpis.exceptions import ConvergenceError, InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

    from retention_kpis.clv._base import ProbabilityModel

__all__ = ["BetaGeoCovariateModel", "GammaGammaCovariateModel", "ParetoNBDCovariateModel"]

_SUMMARY = ("frequency", "recency", "T")


class _CovariateModel:
    """Fitted state, the coefficient table and per-customer parameters."""

    _base_names: ClassVar[tuple[str, ...]]
    _roles: ClassVar[tuple[str, ...]]
    """The keyword arguments of ``fit`` naming covariate columns, in block order."""

    def __init__(self) -> None:
        self._fit: CovariateFit | None = None
        self._columns: dict[str, tuple[str, ...]] = {}
        self._blocks: tuple[tuple[int, float, str, str], ...] = ()

    def __repr__(self) -> str:
        if self._fit is None:
            return f"{type(self).__name__}(<not fitted>)"
        body = ", ".join(f"{k}={v:.4g}" for k, v in self.coefficients.items())
        return f"{type(self).__name__}({body})"

    @property
    def _fitted(self) -> CovariateFit:
        if self._fit is None:
            msg = f"This {type(self).__name__} is not fitted yet; call fit()."
            raise NotFittedError(msg)
        return self._fit

    @property
    def coefficients(self) -> dict[str, float]:
        """Estimates: base parameters (natural scale), then ``role:column`` coefficients."""
        fit = self._fitted
        return dict(zip(fit.names, fit.estimates.tolist(), strict=True))

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors from the inverse Hessian (delta method for the base parameters)."""
        fit = self._fitted
        se = np.sqrt(np.clip(np.diag(fit.covariance), 0.0, None))
        return dict(zip(fit.names, se.tolist(), strict=True))

    @property
    def covariance(self) -> FloatArray:
        """Asymptotic covariance of :attr:`coefficients`, in their order."""
        return self._fitted.covariance

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood at the estimates."""
        return self._fitted.log_likelihood

    @property
    def n_customers(self) -> float:
        """Customers the model was fitted to."""
        return self._fitted.n_customers

    @property
    def covariate_columns(self) -> dict[str, tuple[str, ...]]:
        """The covariate columns per role, as passed to ``fit``."""
        self._fitted  # noqa: B018 - raises NotFittedError
        return dict(self._columns)

    def summary(self) -> pd.DataFrame:
        """Return estimates, standard errors and 95 % bounds, one row per coefficient.

        Base parameters get log-scale Wald bounds (never <= 0), coefficients
        ``coef +- 1.96 se``. ``attrs`` holds ``log_likelihood`` and ``n``.
        """
        return summary_table(self._fitted, len(self._base_names))

    # -- internals ---------------------------------------------------------
    def _set_roles(self, names: dict[str, tuple[str, ...]]) -> None:
        self._columns = {role: names[role] for role in self._roles if names[role]}

    def _store_plain(self, plain: ProbabilityModel[Any]) -> None:
        """Store the model without covariates (the special case) as this model's fit."""
        self._fit = CovariateFit(
            names=self._base_names,
            estimates=plain.params.as_array(),
            covariance=plain.covariance.copy(),
            log_likelihood=plain.log_likelihood,
            n_customers=plain.n_customers,
        )

    def _block_specs(self) -> list[tuple[int, float, str, str]]:
        """``(target, sign, label, role)`` of each block, given the roles used."""
        raise NotImplementedError

    def _make_blocks(self, columns: dict[str, FloatArray], func: str) -> list[Block]:
        blocks = []
        for target, sign, label, role in self._block_specs():
            names = self._columns.get(role, ())
            if names:
                matrix = read_covariates(columns, names, f"{role}_covariates", func)
                blocks.append(Block(target, sign, label, names, matrix))
        return blocks

    def _theta(self, summary: object, func: str) -> tuple[dict[str, FloatArray], list[FloatArray]]:
        """Read a summary for prediction: its columns and each customer's parameters."""
        fit = self._fitted
        wanted = [*self._summary_columns(), *(c for cols in self._columns.values() for c in cols)]
        columns, n = read_summary(summary, wanted, func)
        blocks = self._make_blocks_for_prediction(columns, func)
        k0 = len(self._base_names)
        theta = per_row_parameters(fit.estimates[:k0], blocks, fit.estimates[k0:], n)
        return columns, theta

    def _make_blocks_for_prediction(self, columns: dict[str, FloatArray], func: str) -> list[Block]:
        blocks = []
        for target, sign, label, role in self._block_specs():
            names = self._columns.get(role, ())
            if names:
                matrix = np.column_stack([columns[name] for name in names])
                bad = ~np.isfinite(matrix)
                if bad.any():
                    rows = int(bad.any(axis=1).sum())
                    msg = (
                        f"The covariate columns {list(names)} of the data of {func} must be "
                        f"finite for every customer. Got missing, nan or inf values in "
                        f"{count_rows(rows)} instead."
                    )
                    raise InvalidInputError(msg)
                blocks.append(Block(target, sign, label, names, matrix))
        return blocks

    def _summary_columns(self) -> tuple[str, ...]:
        return _SUMMARY


def _history(columns: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray, FloatArray]:
    from retention_kpis.clv._beta_geo_common import customer_arrays  # noqa: PLC0415

    return customer_arrays(columns["frequency"], columns["recency"], columns["T"])


def _horizon(t: object, n: int) -> FloatArray:
    from retention_kpis._core.arrays import as_float_array  # noqa: PLC0415

    horizon = as_float_array(t, "t")
    if len(horizon) == 1:
        return np.full(n, horizon[0])
    if len(horizon) != n:
        msg = f"t must be a number or hold one value per customer ({n}); got {len(horizon)}."
        raise InvalidInputError(msg)
    return horizon


_START_ROWS = 50_000
"""Above twice this many customers, the starting point is fitted on every k-th customer."""


def _start_fit(
    plain: BetaGeoModel | ParetoNBDModel, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> None:
    """Fit the model without covariates, the starting point (on a sample of large data).

    Only where the search starts depends on it; on a sample that does not identify the
    model (no repeat purchases in it, ...) the whole data are used, so the errors are the
    model's own.
    """
    step = len(x) // _START_ROWS
    if step >= 2:
        try:
            plain.fit(x[::step], t_x[::step], T[::step])
        except ConvergenceError:
            pass
        else:
            return
    plain.fit(x, t_x, T)


class _TransactionCovariateModel(_CovariateModel):
    """What BG/NBD and Pareto/NBD with covariates share: reading, collapsing, fitting."""

    _roles = ("purchase", "dropout")
    _plain_type: ClassVar[type[BetaGeoModel | ParetoNBDModel]]

    def fit(
        self,
        summary: object,
        *,
        purchase_covariates: Sequence[str] | None = None,
        dropout_covariates: Sequence[str] | None = None,
    ) -> Self:
        """Fit by maximum likelihood: base parameters and covariate coefficients.

        Parameters
        ----------
        summary : DataFrame or mapping of arrays
            One row per customer with ``frequency``, ``recency``, ``T`` (as
            :func:`~retention_kpis.clv.rfm_summary` builds them) and the
            covariate columns; pandas, polars, pyarrow, DuckDB and the other
            frames narwhals reads.
        purchase_covariates : sequence of str, optional
            Columns that shift the purchase rate (``alpha_i``).
        dropout_covariates : sequence of str, optional
            Columns that shift the dropout process.

        Returns
        -------
        Self
            The fitted model: :attr:`coefficients`, :attr:`standard_errors`,
            :meth:`summary`, :attr:`log_likelihood`.

        Raises
        ------
        ColumnNotFoundError
            If a summary or covariate column is missing.
        InvalidInputError
            On invalid summaries (as the models without covariates), a
            covariate with missing, nan or inf values (the message names the
            column and counts the rows) or a constant covariate.
        ConvergenceError
            If the model without covariates cannot be fitted (no repeat
            purchases, ...), the optimiser fails or the optimum is not
            identified.
        """
        name = f"{type(self).__name__}.fit"
        purchase = check_names(purchase_covariates, "purchase_covariates", name)
        dropout = check_names(dropout_covariates, "dropout_covariates", name)
        columns, n = read_summary(summary, [*_SUMMARY, *purchase, *dropout], name)
        if n == 0:
            msg = f"{name} needs at least one customer; got 0 rows."
            raise InvalidInputError(msg)
        self._set_roles({"purchase": purchase, "dropout": dropout})
        x, t_x, age = _history(columns)
        plain = self._plain_type()
        if not purchase and not dropout:
            self._store_plain(plain.fit(x, t_x, age))
            return self
        self._make_blocks(columns, name)  # checks the covariates of every customer
        _start_fit(plain, x, t_x, age)
        covariate_names = [*dict.fromkeys([*purchase, *dropout])]
        merged, weights = collapse_rows([x, t_x, age, *(columns[c] for c in covariate_names)], None)
        order = np.argsort(merged[0] > 0, kind="stable")  # customers without repeats first
        merged, weights = [column[order] for column in merged], weights[order]
        x_, t_x_, age_ = merged[:3]
        by_name = dict(zip(covariate_names, merged[3:], strict=True))
        blocks = self._make_blocks(by_name, name)
        likelihood = self._likelihood(x_, t_x_, age_, weights, blocks)
        start = np.log(plain.params.as_array())
        self._fit = fit_blocks(
            type(self).__name__,
            self._base_names,
            likelihood,
            blocks,
            start=start,
            total_weight=float(n),
            weights=weights,
        )
        return self

    def _likelihood(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        weights: FloatArray,
        blocks: list[Block],
    ) -> RowLikelihood:
        raise NotImplementedError

    def probability_alive(self, summary: object) -> FloatArray:
        """Probability that each customer is alive at ``T``, at their own parameters.

        Parameters
        ----------
        summary : DataFrame or mapping of arrays
            ``frequency``, ``recency``, ``T`` and the covariate columns of the fit.

        Returns
        -------
        numpy.ndarray
            One probability per row of ``summary``.
        """
        columns, theta = self._theta(summary, f"{type(self).__name__}.probability_alive")
        return self._alive(*_history(columns), theta)

    def expected_purchases(self, t: object, summary: object) -> FloatArray:
        """Return the expected purchases in ``(T, T + t]`` of each customer, given their history.

        Parameters
        ----------
        t : float or array-like
            Length of the period, in the time unit of the summary; one value or
            one per customer.
        summary : DataFrame or mapping of arrays
            ``frequency``, ``recency``, ``T`` and the covariate columns of the fit.

        Returns
        -------
        numpy.ndarray
            One expectation per row of ``summary``.
        """
        columns, theta = self._theta(summary, f"{type(self).__name__}.expected_purchases")
        x, t_x, age = _history(columns)
        return self._conditional(_horizon(t, len(x)), x, t_x, age, theta)

    def expected_purchases_new_customer(self, t: object, summary: object) -> FloatArray:
        """Return the expected repeat purchases in ``(0, t]`` of new customers, per covariate row.

        Only the covariate columns of ``summary`` are read.
        """
        func = f"{type(self).__name__}.expected_purchases_new_customer"
        wanted = [c for cols in self._columns.values() for c in cols]
        self._fitted  # noqa: B018 - raises NotFittedError
        if wanted:
            columns, n = read_summary(summary, wanted, func)
        else:
            columns, n = read_summary(summary, _SUMMARY, func)
        fit = self._fitted
        k0 = len(self._base_names)
        blocks = self._make_blocks_for_prediction(columns, func)
        theta = per_row_parameters(fit.estimates[:k0], blocks, fit.estimates[k0:], n)
        return self._new_customer(_horizon(t, n), theta)

    def _alive(
        self, x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
    ) -> FloatArray:
        raise NotImplementedError

    def _conditional(
        self, t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
    ) -> FloatArray:
        raise NotImplementedError

    def _new_customer(self, t: FloatArray, theta: list[FloatArray]) -> FloatArray:
        raise NotImplementedError


class BetaGeoCovariateModel(_TransactionCovariateModel):
    """BG/NBD with time-invariant covariates (Fader & Hardie 2007).

    ``alpha_i = alpha_0 exp(-gamma_1' z_i)`` for the purchase covariates;
    ``a_i = a_0 exp(gamma_a' z_i)``, ``b_i = b_0 exp(gamma_b' z_i)`` for the
    dropout covariates (pymc-marketing's parametrisation). Coefficients are
    named ``purchase:<column>``, ``dropout_a:<column>``, ``dropout_b:<column>``;
    the base parameters ``r``, ``alpha``, ``a``, ``b`` are those of a customer
    whose covariates are all 0.

    Examples
    --------
    Customers of channel 1 buy twice as often (``gamma_1 = log 2``), simulated:

    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> n, T = 4000, 52.0
    >>> channel = rng.integers(0, 2, n).astype(float)
    >>> rate = rng.gamma(0.5, 1 / (5.0 * np.exp(-np.log(2) * channel)))
    >>> p = rng.beta(0.8, 2.5, n)
    >>> x, t_x = np.zeros(n), np.zeros(n)
    >>> for i in range(n):
    ...     t, alive = 0.0, True
    ...     while alive:
    ...         t += rng.exponential(1 / rate[i])
    ...         if t > T:
    ...             break
    ...         x[i], t_x[i] = x[i] + 1, t
    ...         alive = rng.random() > p[i]
    >>> summary = {"frequency": x, "recency": t_x, "T": np.full(n, T), "channel": channel}
    >>> model = BetaGeoCovariateModel().fit(summary, purchase_covariates=["channel"])
    >>> round(model.coefficients["purchase:channel"], 1)  # log 2 = 0.69
    0.7
    """

    _base_names = ("r", "alpha", "a", "b")
    _plain_type = BetaGeoModel

    def _block_specs(self) -> list[tuple[int, float, str, str]]:
        return [
            (1, -1.0, "purchase", "purchase"),
            (2, 1.0, "dropout_a", "dropout"),
            (3, 1.0, "dropout_b", "dropout"),
        ]

    def _likelihood(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        weights: FloatArray,
        blocks: list[Block],
    ) -> RowLikelihood:
        dropout = [block.matrix for block in blocks if block.label == "dropout_a"]
        if dropout:
            _, group = np.unique(dropout[0], axis=0, return_inverse=True)
            group = np.asarray(group, dtype=np.intp).ravel()
        else:
            group = np.zeros(len(x), dtype=np.intp)
        return _bg.BetaGeoRows(x, t_x, T, weights, group)

    def _alive(
        self, x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
    ) -> FloatArray:
        return _bg.probability_alive(x, t_x, T, theta)

    def _conditional(
        self, t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
    ) -> FloatArray:
        return _bg.conditional_expected(t, x, t_x, T, theta)

    def _new_customer(self, t: FloatArray, theta: list[FloatArray]) -> FloatArray:
        return _bg.new_customer_expected(t, theta)


class ParetoNBDCovariateModel(_TransactionCovariateModel):
    """Pareto/NBD with time-invariant covariates (Fader & Hardie 2007).

    ``alpha_i = alpha_0 exp(-gamma_1' z_i)`` for the purchase covariates and
    ``beta_i = beta_0 exp(-gamma_2' z_i)`` for the dropout covariates, the
    note's (and pymc-marketing's) parametrisation. Coefficients are named
    ``purchase:<column>`` and ``dropout:<column>``.

    Examples
    --------
    Customers of channel 1 have dropout rates twice as high (``gamma_2 = log 2``),
    simulated over 52 weeks:

    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> n, T = 6000, 52.0
    >>> channel = rng.integers(0, 2, n).astype(float)
    >>> rate = rng.gamma(0.6, 1 / 10.0, n)
    >>> death = rng.gamma(0.8, 1 / (12.0 * np.exp(-np.log(2) * channel)))
    >>> end = np.minimum(rng.exponential(1 / death), T)
    >>> x = rng.poisson(rate * end)
    >>> t_x = np.where(x > 0, end * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    >>> summary = {"frequency": x, "recency": t_x, "T": np.full(n, T), "channel": channel}
    >>> model = ParetoNBDCovariateModel().fit(summary, dropout_covariates=["channel"])
    >>> round(model.coefficients["dropout:channel"], 1)  # log 2 = 0.69
    0.7
    >>> model.probability_alive({"frequency": [2, 2], "recency": [50.0, 50.0],
    ...                          "T": [52.0, 52.0], "channel": [0.0, 1.0]}).round(3)
    array([0.974, 0.972])
    """

    _base_names = ("r", "alpha", "s", "beta")
    _plain_type = ParetoNBDModel

    def _block_specs(self) -> list[tuple[int, float, str, str]]:
        return [(1, -1.0, "purchase", "purchase"), (3, -1.0, "dropout", "dropout")]

    def _likelihood(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        weights: FloatArray,
        blocks: list[Block],
    ) -> RowLikelihood:
        del blocks
        return _pn.ParetoRows(x, t_x, T, weights)

    def _alive(
        self, x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
    ) -> FloatArray:
        return _pn.probability_alive(x, t_x, T, theta)

    def _conditional(
        self, t: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray, theta: list[FloatArray]
    ) -> FloatArray:
        return _pn.conditional_expected(t, x, t_x, T, theta)

    def _new_customer(self, t: FloatArray, theta: list[FloatArray]) -> FloatArray:
        return _pn.new_customer_expected(t, theta)


class GammaGammaCovariateModel(_CovariateModel):
    """Gamma-Gamma spend model with covariates on the scale: ``v_i = v_0 exp(gamma' z_i)``.

    The expected spend per purchase of a customer, ``p v_i / (q - 1)``, is
    multiplied by ``exp(gamma)`` per unit of a covariate. Coefficients are named
    ``spend:<column>``. Only repeat buyers (``frequency > 0``) enter the fit.

    Examples
    --------
    Premium customers spend 50 % more per purchase (``gamma = log 1.5``), simulated:

    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> n = 4000
    >>> premium = rng.integers(0, 2, n).astype(float)
    >>> nu = rng.gamma(4.0, 1 / (15.0 * np.exp(np.log(1.5) * premium)))
    >>> x = rng.integers(1, 8, n).astype(float)
    >>> zbar = rng.gamma(6.0 * x, 1 / (nu * x))
    >>> summary = {"frequency": x, "monetary_value": zbar, "premium": premium}
    >>> model = GammaGammaCovariateModel().fit(summary, spend_covariates=["premium"])
    >>> round(float(np.exp(model.coefficients["spend:premium"])), 1)
    1.5
    """

    _base_names = ("p", "q", "v")
    _roles = ("spend",)

    def _block_specs(self) -> list[tuple[int, float, str, str]]:
        return [(2, 1.0, "spend", "spend")]

    def _summary_columns(self) -> tuple[str, ...]:
        return ("frequency", "monetary_value")

    def fit(self, summary: object, *, spend_covariates: Sequence[str] | None = None) -> Self:
        """Fit by maximum likelihood over the repeat buyers.

        Parameters
        ----------
        summary : DataFrame or mapping of arrays
            ``frequency``, ``monetary_value`` and the covariate columns.
        spend_covariates : sequence of str, optional
            Columns that shift the scale ``v`` (so the expected spend).

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        ColumnNotFoundError, InvalidInputError, ConvergenceError
            As :meth:`BetaGeoCovariateModel.fit`; a covariate of a repeat buyer
            must be finite (customers without repeat purchases are not read).
        """
        name = f"{type(self).__name__}.fit"
        spend = check_names(spend_covariates, "spend_covariates", name)
        columns, _ = read_summary(summary, ["frequency", "monetary_value", *spend], name)
        self._set_roles({"spend": spend})
        x = columns["frequency"]
        plain = GammaGammaModel()
        plain.fit(x, columns["monetary_value"])
        if not spend:
            self._store_plain(plain)
            return self
        buyers = np.isfinite(x) & (x > 0)
        kept = {key: values[buyers] for key, values in columns.items()}
        blocks = self._make_blocks(kept, name)
        weights = np.ones(int(buyers.sum()))
        likelihood = GammaGammaRows(kept["frequency"], kept["monetary_value"], weights)
        start = np.log(plain.params.as_array())
        self._fit = fit_blocks(
            type(self).__name__,
            self._base_names,
            likelihood,
            blocks,
            start=start,
            total_weight=float(buyers.sum()),
            weights=weights,
        )
        return self

    def expected_average_value(self, summary: object) -> FloatArray:
        """Return the expected spend per purchase, ``p (v_i + x zbar) / (p x + q - 1)``.

        ``monetary_value`` may be anything for ``frequency == 0`` (it is then
        the new-customer mean ``p v_i / (q - 1)``).
        """
        func = f"{type(self).__name__}.expected_average_value"
        columns, theta = self._theta(summary, func)
        p, q, v = float(theta[0][0]), float(theta[1][0]), theta[2]
        if not q > 1.0:
            msg = f"{func} needs q > 1 for a finite mean spend; the fit gave q = {q:.4g}."
            raise ConvergenceError(msg)
        x = columns["frequency"]
        zbar = np.where(x > 0, columns["monetary_value"], 0.0)
        out: FloatArray = p * (v + x * zbar) / (p * x + q - 1.0)
        return out
