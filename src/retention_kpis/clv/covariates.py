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

import copy
import dataclasses
import inspect
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from typing_extensions import Self

from retention_kpis._core.jit import Engine, ResolvedEngine, check_engine, resolve_engine
from retention_kpis._core.text import count_rows
from retention_kpis._version import __version__
from retention_kpis.clv import _bgnbd_covariates as _bg
from retention_kpis.clv import _pareto_covariates as _pn
from retention_kpis.clv._base import (
    FloatArray,
    NotFittedError,
    _checked_unit,
    _field_error,
    _finite,
    _json_document,
    _optional_number,
    _positive_number,
    _shown,
    collapse_rows,
)
from retention_kpis.clv._covariates import (
    Block,
    CovariateFit,
    RowLikelihood,
    check_names,
    few_duplicates,
    fit_blocks,
    per_row_parameters,
    read_covariates,
    read_summary,
    row_groups,
    summary_table,
)
from retention_kpis.clv._gamma_gamma_covariates import GammaGammaRows
from retention_kpis.clv.bgnbd import BetaGeoModel
from retention_kpis.clv.gamma_gamma import GammaGammaModel
from retention_kpis.clv.pareto_nbd import ParetoNBDModel
from retention_kpis.clv.predictions import (
    PREDICTIONS,
    Prediction,
    customer_ids,
    prediction_with_interval,
)
from retention_kpis.clv.uncertainty import check_interval_options
from retention_kpis.clv.units import describe_horizon, describe_time_unit
from retention_kpis.exceptions import ConvergenceError, InvalidInputError

if TYPE_CHECKING:
    import pandas as pd

    from retention_kpis.clv._base import ProbabilityModel

__all__ = ["BetaGeoCovariateModel", "GammaGammaCovariateModel", "ParetoNBDCovariateModel"]

_SUMMARY = ("frequency", "recency", "T")


class _CovariateModel:
    """Fitted state, the coefficient table and per-customer parameters.

    Parameters
    ----------
    time_unit : str, optional
        The time unit of the summaries the model is fitted to (see :attr:`time_unit`).
    """

    _base_names: ClassVar[tuple[str, ...]]
    _roles: ClassVar[tuple[str, ...]]
    """The keyword arguments of ``fit`` naming covariate columns, in block order."""

    def __init__(self, *, time_unit: str | None = None) -> None:
        self._fit: CovariateFit | None = None
        self._columns: dict[str, tuple[str, ...]] = {}
        self._time_unit = _checked_unit(time_unit, type(self).__name__)

    @property
    def time_unit(self) -> str | None:
        """The time unit of ``t``, ``recency``, ``T`` and the rate parameters (None: not recorded).

        As :attr:`BetaGeoModel.time_unit <retention_kpis.clv.BetaGeoModel.time_unit>`:
        ``"h"``, ``"D"``, ``"W"``, ``"M"`` or a multiple such as ``"7D"``, set with
        ``time_unit=`` of the constructor or by assignment. It changes no number;
        :meth:`predict` carries it into every prediction and :meth:`to_json` keeps it.
        """
        return self._time_unit

    @time_unit.setter
    def time_unit(self, value: str | None) -> None:
        self._time_unit = _checked_unit(value, type(self).__name__)

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

    # -- persistence -------------------------------------------------------
    def to_json(self) -> str:
        """Serialise the fitted model to strict JSON.

        The document holds the covariate columns per role, the estimates by name
        (base parameters on their natural scale, then the coefficients), their
        covariance, the log-likelihood, the number of customers and the time unit.
        :meth:`from_json` rebuilds a model whose predictions are identical.
        """
        fit = self._fitted
        payload: dict[str, Any] = {
            "model": type(self).__name__,
            "library_version": __version__,
            "covariate_columns": {role: list(names) for role, names in self._columns.items()},
            "params": dict(zip(fit.names, fit.estimates.tolist(), strict=True)),
            "covariance": fit.covariance.tolist(),
            "log_likelihood": fit.log_likelihood,
            "n_customers": fit.n_customers,
        }
        if self._time_unit is not None:
            payload["time_unit"] = self._time_unit
        return json.dumps(payload, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Rebuild a model written by :meth:`to_json`.

        Every field is checked before use: a tampered or truncated document raises
        :class:`~retention_kpis.InvalidInputError` naming the field
        (``covariate_columns``, ``params.<name>``, ``covariance``, ...).

        Examples
        --------
        >>> ParetoNBDCovariateModel.from_json('{"model": "ParetoNBDCovariateModel"}')
        Traceback (most recent call last):
        ...
        retention_kpis.exceptions.InvalidInputError: The 'covariate_columns' field of the \
ParetoNBDCovariateModel JSON must be a mapping from ['purchase', 'dropout'] to non-empty lists \
of distinct column names. Got None instead.
        """
        name = cls.__name__
        payload = _json_document(text, name, _COVARIATE_JSON_KEYS)
        model = cls()
        model._columns = _json_roles(payload.get("covariate_columns"), cls._roles, name)
        names = model._coefficient_names()
        params = payload.get("params")
        if not isinstance(params, dict) or sorted(params) != sorted(names):
            shown = sorted(params) if isinstance(params, dict) else _shown(params)
            raise _field_error(name, "params", f"hold exactly the keys {names}", shown)
        k0 = len(cls._base_names)
        estimates = [
            _positive_number(params[key], name, f"params.{key}")
            if j < k0
            else _coefficient(params[key], name, f"params.{key}")
            for j, key in enumerate(names)
        ]
        covariance = _covariance_matrix(payload.get("covariance"), len(names), name)
        log_likelihood = _optional_number(payload.get("log_likelihood"), name, "log_likelihood")
        n_customers = _optional_number(payload.get("n_customers"), name, "n_customers")
        model._time_unit = _checked_unit(payload.get("time_unit"), f"{name}.from_json")
        model._fit = CovariateFit(
            names=tuple(names),
            estimates=np.array(estimates, dtype=np.float64),
            covariance=covariance,
            log_likelihood=math.nan if log_likelihood is None else log_likelihood,
            n_customers=math.nan if n_customers is None else n_customers,
        )
        return model

    # -- predictions with intervals ------------------------------------------
    _quantities: ClassVar[tuple[str, ...]]

    def predict(
        self,
        quantity: str,
        *args: object,
        customer_id: object = None,
        confidence: float | None = None,
        method: str = "sampling",
        n_draws: int = 1000,
        seed: int = 0,
        **kwargs: object,
    ) -> Prediction:
        """Return a prediction as a typed, JSON-serialisable result, optionally with an interval.

        ``model.predict("expected_purchases", t, summary)`` is
        ``model.expected_purchases(t, summary)`` wrapped in a
        :class:`~retention_kpis.clv.Prediction` that carries the model's
        :attr:`time_unit`, the customer ids and, with ``confidence``, an
        interval per customer and for the total from the uncertainty of the
        fitted estimates (see :mod:`retention_kpis.clv.uncertainty`).

        The estimates are drawn (``method="sampling"``) or differentiated
        (``method="delta"``) in the coordinates the fit works in: the *logs* of
        the base parameters (positive) and the covariate coefficients *as they
        are* (they can be negative), jointly normal with the covariance of the
        fit (the inverse Hessian of the negative log-likelihood in those
        coordinates). Every customer is evaluated at their own parameters.

        Parameters
        ----------
        quantity : str
            ``probability_alive``, ``expected_purchases``,
            ``expected_purchases_new_customer`` (BG/NBD, Pareto/NBD) or
            ``expected_average_value`` (Gamma-Gamma).
        *args, **kwargs
            The method's own arguments (``t, summary`` or ``summary``).
        customer_id : array-like of str or int, optional
            One id per row of the summary.
        confidence : float, optional
            Level of the interval in (0, 1); ``None`` (default): no interval.
        method : {"sampling", "delta"}, default="sampling"
            How the uncertainty is carried.
        n_draws : int, default=1000
            Draws of ``method="sampling"`` (``>= 2``).
        seed : int, default=0
            Seed of the draws.

        Returns
        -------
        Prediction
            ``value`` per customer, ``total``, the time unit and, with
            ``confidence``, ``low``/``high`` and ``total_low``/``total_high``.

        Raises
        ------
        InvalidInputError
            On an unknown quantity, bad options or arguments, ids of the wrong length
            or the method's own input errors.

        Examples
        --------
        A Gamma-Gamma model with a spend covariate, rebuilt from JSON; for new
        customers the expected spend is ``p v_i / (q - 1)``: ``6 * 15 / 3 = 30``,
        and ``30 * exp(0.4) = 44.75`` for premium customers:

        >>> text = (
        ...     '{"model": "GammaGammaCovariateModel", "covariate_columns": {"spend": '
        ...     '["premium"]}, "params": {"p": 6.0, "q": 4.0, "v": 15.0, "spend:premium": 0.4}, '
        ...     '"covariance": [[0.04, 0, 0, 0], [0, 0.02, 0, 0], [0, 0, 0.9, 0], '
        ...     '[0, 0, 0, 0.001]], "log_likelihood": null, "n_customers": 2000, '
        ...     '"time_unit": "W"}'
        ... )
        >>> model = GammaGammaCovariateModel.from_json(text)
        >>> summary = {"frequency": [0, 0], "monetary_value": [0.0, 0.0], "premium": [0.0, 1.0]}
        >>> result = model.predict("expected_average_value", summary, confidence=0.9,
        ...                        method="delta", customer_id=["basic", "premium"])
        >>> [round(v, 2) for v in result.value]
        [30.0, 44.75]
        >>> all(lo < v < hi for lo, v, hi in zip(result.low, result.value, result.high))
        True
        """
        return _predict(
            self,
            quantity,
            args,
            kwargs,
            customer_id=customer_id,
            confidence=confidence,
            method=method,
            n_draws=n_draws,
            seed=seed,
        )

    def _interval_coordinates(self, func: str) -> tuple[FloatArray, FloatArray]:
        """Mean and covariance of ``(log theta_0, gamma)``: what the intervals draw from."""
        del func
        fit = self._fitted
        k0 = len(self._base_names)
        mean = fit.estimates.copy()
        mean[:k0] = np.log(mean[:k0])
        scale = np.ones_like(mean)
        scale[:k0] = fit.estimates[:k0]
        cov = fit.covariance / np.outer(scale, scale)  # undoes the delta method of the fit
        return mean, (cov + cov.T) / 2

    def _at_coordinates(self, vector: FloatArray) -> Self:
        """Return a copy of the model at ``(log theta_0, gamma) = vector``."""
        fit = self._fitted
        k0 = len(self._base_names)
        estimates = np.asarray(vector, dtype=np.float64).copy()
        estimates[:k0] = np.exp(estimates[:k0])
        clone = copy.copy(self)
        clone._fit = dataclasses.replace(fit, estimates=estimates)  # noqa: SLF001 - same class
        return clone

    def _prediction_columns(self, quantity: str) -> list[str]:
        """Summary columns the method ``quantity`` reads."""
        covariates = [*dict.fromkeys(c for cols in self._columns.values() for c in cols)]
        if quantity == "expected_purchases_new_customer":
            return covariates or list(_SUMMARY)
        return [*self._summary_columns(), *covariates]

    def _coefficient_names(self) -> list[str]:
        """Names of the estimates for the roles in use, in the order of ``fit``."""
        names = list(self._base_names)
        for _, _, label, role in self._block_specs():
            names.extend(f"{label}:{column}" for column in self._columns.get(role, ()))
        return names

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

    def _make_blocks(
        self, columns: dict[str, FloatArray], func: str, *, checked: bool = False
    ) -> list[Block]:
        """Return the blocks of the roles used, each role's matrix read once.

        BG/NBD's dropout covariates scale ``a`` and ``b``: one matrix for both blocks.
        ``checked``: the values were checked already.
        """
        blocks = []
        matrices: dict[str, FloatArray] = {}
        for target, sign, label, role in self._block_specs():
            names = self._columns.get(role, ())
            if names:
                if role not in matrices:
                    matrices[role] = read_covariates(
                        columns, names, f"{role}_covariates", func, checked=checked
                    )
                blocks.append(Block(target, sign, label, names, matrices[role]))
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


def _predict(
    model: _CovariateModel,
    quantity: object,
    args: tuple[object, ...],
    kwargs: dict[str, object],
    *,
    customer_id: object,
    confidence: float | None,
    method: str,
    n_draws: int,
    seed: int,
) -> Prediction:
    """:meth:`_CovariateModel.predict`: the point, the ids, the unit and the interval."""
    func = f"{type(model).__name__}.predict"
    if not isinstance(quantity, str) or quantity not in model._quantities:  # noqa: SLF001
        msg = (
            f"The 'quantity' parameter of {func} must be one of {list(model._quantities)}. "  # noqa: SLF001
            f"Got {quantity!r} instead."
        )
        raise InvalidInputError(msg)
    options = None
    if confidence is not None:
        options = check_interval_options(confidence, method, n_draws, seed, func)
    method_of = getattr(model, quantity)
    try:
        bound = inspect.signature(method_of).bind(*args, **kwargs)
    except TypeError as exc:
        msg = f"The arguments of {func} for {quantity!r} do not fit {quantity}: {exc}."
        raise InvalidInputError(msg) from None
    model._fitted  # noqa: B018, SLF001 - raises NotFittedError
    columns, n = read_summary(
        bound.arguments["summary"],
        model._prediction_columns(quantity),  # noqa: SLF001
        func,
    )
    t_value = bound.arguments.get("t")
    horizon_t: FloatArray | None = None
    if "t" in bound.arguments:
        horizon_t = _horizon(t_value, n)

    def evaluate_at(at: _CovariateModel, rows: slice) -> FloatArray:
        sliced = {key: values[rows] for key, values in columns.items()}
        method_at = getattr(at, quantity)
        values = method_at(sliced) if horizon_t is None else method_at(horizon_t[rows], sliced)
        return np.asarray(values, dtype=np.float64)

    point = evaluate_at(model, slice(0, n))
    ids = customer_ids(customer_id, n, func)
    unit = model.time_unit
    spec = PREDICTIONS[quantity]
    horizon = None
    if t_value is not None:
        listed = np.atleast_1d(np.asarray(t_value, dtype=np.float64)).tolist()
        horizon = describe_horizon(listed, unit)
    fields: dict[str, Any] = {
        "quantity": quantity,
        "model": type(model).__name__,
        "unit": spec.unit,
        "time_unit": unit,
        "time_unit_description": describe_time_unit(unit),
        "horizon": horizon,
        "customer_id": ids,
        "value": point.tolist(),
        "total": float(point.sum()),
    }
    if options is None:
        return Prediction(**fields)
    return prediction_with_interval(
        fields,
        options,
        models=[model],
        evaluate=lambda at, rows: evaluate_at(at[0], rows),
        counts=np.ones(n),
        point_distinct=point,
        inverse=np.arange(n, dtype=np.intp),
        kind=spec.kind,
        func=func,
    )


_COVARIATE_JSON_KEYS = (
    "model",
    "library_version",
    "covariate_columns",
    "params",
    "covariance",
    "log_likelihood",
    "n_customers",
    "time_unit",
)


def _json_roles(value: object, roles: tuple[str, ...], model: str) -> dict[str, tuple[str, ...]]:
    """Read ``covariate_columns``: known roles, each a non-empty list of distinct names."""
    requirement = f"be a mapping from {list(roles)} to non-empty lists of distinct column names"
    if not isinstance(value, dict) or any(role not in roles for role in value):
        raise _field_error(model, "covariate_columns", requirement, _shown(value))
    out: dict[str, tuple[str, ...]] = {}
    for role in roles:
        if role not in value:
            continue
        names = value[role]
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(item, str) for item in names)
            or len(set(names)) != len(names)
        ):
            raise _field_error(model, f"covariate_columns.{role}", requirement, _shown(names))
        out[role] = tuple(names)
    return out


def _coefficient(value: object, model: str, field: str) -> float:
    number = _finite(value)
    if number is None:
        raise _field_error(model, field, "be a finite number", _shown(value))
    return number


def _covariance_matrix(value: object, size: int, model: str) -> FloatArray:
    """Read a symmetric ``size x size`` matrix of finite numbers with a non-negative diagonal."""
    requirement = f"be a symmetric {size} x {size} list of finite numbers"
    if not isinstance(value, list) or len(value) != size:
        raise _field_error(model, "covariance", requirement, _shown(value))
    rows: list[list[float]] = []
    for row in value:
        numbers = [_finite(item) for item in row] if isinstance(row, list) else []
        if len(numbers) != size or any(number is None for number in numbers):
            raise _field_error(model, "covariance", requirement, _shown(row))
        rows.append([float(number) for number in numbers if number is not None])
    matrix = np.array(rows, dtype=np.float64)
    scale = float(np.max(np.abs(matrix))) if size else 0.0
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=1e-12 * max(scale, 1e-300)) or np.any(
        np.diag(matrix) < 0
    ):
        shown = "an asymmetric matrix or one with a negative variance"
        raise _field_error(model, "covariance", requirement + " and no negative variance", shown)
    return matrix


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


_START_ROWS = 10_000
"""Above twice this many customers, the starting point is fitted on every k-th customer
(the fit with covariates on ``_sample_rows`` customers starts from 10,000 of them)."""


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
    _quantities = ("probability_alive", "expected_purchases", "expected_purchases_new_customer")
    _plain_type: ClassVar[type[BetaGeoModel | ParetoNBDModel]]
    _distinct_rows = False
    """Set on the model fitted to a sample of data whose rows hardly repeat."""
    _sample_rows: ClassVar[int] = 50_000
    """Customers of the sample whose fit is the starting point (from 4 times as many)."""

    def fit(
        self,
        summary: object,
        *,
        purchase_covariates: Sequence[str] | None = None,
        dropout_covariates: Sequence[str] | None = None,
        engine: Engine = "auto",
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
        engine : {"auto", "numpy", "numba"}, default "auto"
            What evaluates the likelihood: numba's compiled kernel when numba is
            installed and can be imported (``pip install 'retention-kpis[fast]'``),
            else numpy; ``"numba"`` raises when it cannot be used. Both give the same
            estimates; only the time differs (docs/clv/covariates.md, "Engines").
            Without covariates (the plain model) numba is never imported.

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
        check_engine(engine, name)  # refused before any work, with or without covariates
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
        resolved = resolve_engine(engine, name)  # imports numba for "auto" / "numba"
        covariate_names = [*dict.fromkeys([*purchase, *dropout])]
        rows = [x, t_x, age, *(columns[c] for c in covariate_names)]
        distinct = self._distinct_rows or few_duplicates(rows)
        if distinct:  # continuous covariates and times: nothing to merge
            merged, weights = rows, np.ones(n)
        else:
            merged, weights = collapse_rows(rows, None)
        # many distinct rows: start from the fit on a sample (a few full Newton steps
        # remain); otherwise from the fit without covariates
        warm = (
            self._sample_fit(columns, n, (purchase, dropout), resolved, distinct=distinct)
            if len(weights) > n // 2
            else None
        )
        if warm is None:
            _start_fit(plain, x, t_x, age)
            start, start_coefficients = np.log(plain.params.as_array()), None
        else:
            k0 = len(self._base_names)
            start, start_coefficients = np.log(warm[:k0]), warm[k0:]
        # customers without repeats first, each part in its order (a stable argsort)
        buys = merged[0] > 0
        order = np.concatenate([np.flatnonzero(~buys), np.flatnonzero(buys)])
        merged = [column[order] for column in merged]
        weights = weights if distinct else weights[order]  # all 1 when distinct
        x_, t_x_, age_ = merged[:3]
        by_name = dict(zip(covariate_names, merged[3:], strict=True))
        blocks = self._make_blocks(by_name, name, checked=True)
        likelihood = self._likelihood(x_, t_x_, age_, weights, blocks, engine=resolved)
        self._fit = fit_blocks(
            type(self).__name__,
            self._base_names,
            likelihood,
            blocks,
            start=start,
            total_weight=float(n),
            weights=weights,
            start_coefficients=start_coefficients,
        )
        return self

    def _sample_fit(
        self,
        columns: dict[str, FloatArray],
        n: int,
        roles: tuple[tuple[str, ...], tuple[str, ...]],
        engine: ResolvedEngine,
        *,
        distinct: bool,
    ) -> FloatArray | None:
        """Fit with covariates on every k-th customer (``_sample_rows`` of them).

        Only where the full fit starts depends on it (a point close to the optimum,
        so that a few Newton steps on all the customers finish); ``None`` below
        ``4 * _sample_rows`` customers, or when the sample does not identify the model
        (a covariate constant in it, no repeat purchases, ...).
        """
        step = n // self._sample_rows
        if step < 4:  # a sample of half the data costs about what it saves
            return None
        sample = {name: values[::step] for name, values in columns.items()}
        purchase, dropout = roles
        try:
            model = type(self)()
            # a sample of rows that hardly repeat hardly repeats: no merge attempted there
            model._distinct_rows = distinct  # noqa: SLF001 - the same class
            fitted = model.fit(
                sample, purchase_covariates=purchase, dropout_covariates=dropout, engine=engine
            )
        except (ConvergenceError, InvalidInputError):
            return None
        return np.array(list(fitted.coefficients.values()))

    def _likelihood(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        weights: FloatArray,
        blocks: list[Block],
        *,
        engine: ResolvedEngine,
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
        *,
        engine: ResolvedEngine,
    ) -> RowLikelihood:
        dropout = [block.matrix for block in blocks if block.label == "dropout_a"]
        if not dropout:
            return _bg.BetaGeoRows(
                x, t_x, T, weights, np.zeros(len(x), dtype=np.intp), engine=engine
            )
        if engine == "numba" and _bg.mostly_distinct(dropout[0]):
            # continuous dropout covariates: the kernel computes each row's beta terms
            return _bg.BetaGeoRows(x, t_x, T, weights, None, engine=engine)
        return _bg.BetaGeoRows(x, t_x, T, weights, row_groups(dropout[0]), engine=engine)

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
    _sample_rows = 10_000
    """Smaller than BG/NBD's sample: every evaluation costs more (the integral's series),
    and the full-data steps from a 10,000-customer start are as few as from 50,000."""

    def _block_specs(self) -> list[tuple[int, float, str, str]]:
        return [(1, -1.0, "purchase", "purchase"), (3, -1.0, "dropout", "dropout")]

    def _likelihood(
        self,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        weights: FloatArray,
        blocks: list[Block],
        *,
        engine: ResolvedEngine,
    ) -> RowLikelihood:
        del blocks
        rows_type = _pn.ParetoHessianRows if engine == "numba" else _pn.ParetoRows
        return rows_type(x, t_x, T, weights, engine=engine)

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
    _quantities = ("expected_average_value",)

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
