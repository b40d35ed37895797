"""Shared machinery of the probability models: validation, fitting, persistence.

Every model maximises its log-likelihood over the logarithm of its (positive)
parameters with L-BFGS-B and an analytic gradient. Standard errors come from
the Hessian of the negative log-likelihood at the optimum (computed by central
differences of the analytic gradient in log space) and are carried to the
natural scale with the delta method. Confidence intervals are built in log
space, so they never include non-positive values.

Non-identified fits are refused the same way by every model: when the data
cannot pin the parameters down (nobody made a repeat purchase, nobody churned,
every spend is the same, ...), ``fit`` raises :class:`ConvergenceError` and the
model stays unfitted. Three checks lead there: the data check of each model
(:func:`require_repeat_purchases` and the like), a log-parameter that runs to
the solver's bound (+-30), and a Hessian at the optimum that is not clearly
positive definite (:func:`check_identified`), which is what standard errors of
0 or nan used to reveal.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from typing_extensions import Self

from retention_kpis._core.arrays import FloatArray, as_float_array
from retention_kpis._core.checks import check_amount
from retention_kpis._core.display import Table, Unit
from retention_kpis._version import __version__
from retention_kpis.clv.predictions import Prediction, predict
from retention_kpis.clv.units import normalise_time_unit
from retention_kpis.exceptions import ConvergenceError, InvalidInputError, RetentionKPIsError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SUMMARY_COLUMNS",
    "FloatArray",
    "ModelParams",
    "NotFittedError",
    "ProbabilityModel",
    "as_float_array",
    "check_identified",
    "check_same_length",
    "collapse_rows",
    "require_repeat_purchases",
    "row_hash",
]

Objective = Callable[[FloatArray], tuple[float, FloatArray]]
"""Negative log-likelihood and its gradient, both in log-parameter space."""

_Z_95 = 1.959963984540054
_MIN_RELATIVE_CURVATURE = 1e-8
"""Smallest eigenvalue of the per-customer log-space Hessian, relative to the largest (or
to 1 when that is below 1), that still counts as identified. Fits of the suite's reference
data (CDNOW, the donations, the sBG cohorts, small hand examples) stay above 2e-6;
non-identified fits (no repeat purchase, one spend value) fall below 1e-12 or are negative."""

SUMMARY_COLUMNS = ("coef", "se(coef)", "lower 95% bound", "upper 95% bound")
"""Columns of :meth:`ProbabilityModel.summary`, named as lifetimes names them."""

_SUMMARY_UNITS: dict[str, Unit] = {"parameter": "text", **dict.fromkeys(SUMMARY_COLUMNS, "general")}


class NotFittedError(RetentionKPIsError):
    """A model was used for prediction before ``fit`` or ``from_params``."""


class ModelParams(BaseModel):
    """Base of the frozen parameter models (all parameters are positive floats)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def as_array(self) -> FloatArray:
        """Return the parameters in declaration order."""
        return np.array([getattr(self, name) for name in type(self).model_fields], dtype=float)


P = TypeVar("P", bound=ModelParams)


def check_same_length(**arrays: FloatArray) -> int:
    """Raise unless all arrays have one length; return it."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{name}={n}" for name, n in lengths.items())
        msg = f"Inputs must have the same length; got {listing}."
        raise InvalidInputError(msg)
    return next(iter(lengths.values()), 0)


def _mix(key: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser: every input bit reaches every output bit."""
    key = (key ^ (key >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    key = (key ^ (key >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    out: npt.NDArray[np.uint64] = key ^ (key >> np.uint64(31))
    return out


def row_hash(columns: Sequence[FloatArray]) -> npt.NDArray[np.uint64]:
    """One 64-bit hash per row of float columns (``-0.0`` and ``0.0`` must be merged first).

    Each column's bits are mixed into the key, so small whole numbers (whose float bits
    differ only in the high bits) do not collide as they did with a multiply-and-xor.
    """
    key = _mix(np.ascontiguousarray(columns[0]).view(np.uint64).copy())
    for column in columns[1:]:
        key = _mix(key ^ np.ascontiguousarray(column).view(np.uint64))
    return key


def collapse_rows(
    columns: Sequence[FloatArray], weights: FloatArray | None
) -> tuple[list[FloatArray], FloatArray]:
    """Merge identical rows into one row with the summed weight.

    Likelihoods are sums over customers of a function of their statistics, so
    customers with identical statistics can be evaluated once (CDNOW's 2,357
    customers have far fewer distinct (frequency, recency, T) rows).
    """
    cols = [np.asarray(column, dtype=np.float64) + 0.0 for column in columns]  # -0.0 -> 0.0
    w = np.ones(len(cols[0])) if weights is None else weights
    if len(w) == 0:
        return cols, np.zeros(0)
    # Hashing one 64-bit key per row (pandas' hash table, no sort) is ~50x faster than
    # np.unique(axis=0) on a million rows; if two different rows share a key (checked
    # column by column), np.unique does the work. Rows come out in order of first
    # appearance.
    import pandas as pd  # noqa: PLC0415 - pandas is imported lazily

    codes, uniques = pd.factorize(row_hash(cols))
    n = len(codes)
    first = np.empty(len(uniques), dtype=np.intp)
    first[codes[::-1]] = np.arange(n - 1, -1, -1)
    if any(np.any(column[first][codes] != column) for column in cols):  # a hash collision
        unique, inverse = np.unique(np.column_stack(cols), axis=0, return_inverse=True)
        summed = np.bincount(inverse.ravel(), weights=w, minlength=len(unique))
        return [unique[:, j] for j in range(unique.shape[1])], summed.astype(np.float64)
    summed = np.bincount(codes, weights=w, minlength=len(uniques))
    return [column[first] for column in cols], summed.astype(np.float64)


def require_repeat_purchases(name: str, frequency: FloatArray, weights: FloatArray) -> None:
    """Raise :class:`ConvergenceError` when no customer (with a positive weight) bought again.

    Examples
    --------
    >>> require_repeat_purchases("M", np.array([0.0, 1.0]), np.ones(2))
    >>> require_repeat_purchases("M", np.zeros(2), np.ones(2))
    Traceback (most recent call last):
    ...
    retention_kpis.exceptions.ConvergenceError: M.fit needs repeat purchases: all 2 customers \
have frequency 0, so the parameters are not identified (the likelihood is largest at the \
boundary of the parameter space, where the purchase rate goes to 0).
    """
    if not np.any((frequency > 0) & (weights > 0)):
        msg = (
            f"{name}.fit needs repeat purchases: all {len(frequency)} customers have frequency 0, "
            "so the parameters are not identified (the likelihood is largest at the boundary of "
            "the parameter space, where the purchase rate goes to 0)."
        )
        raise ConvergenceError(msg)


def check_identified(name: str, hessian: FloatArray, total_weight: float) -> None:
    """Raise :class:`ConvergenceError` unless the Hessian at the optimum is positive definite.

    ``hessian`` is that of the total negative log-likelihood in log-parameter
    space; it is divided by ``total_weight`` so the rule does not depend on the
    number of customers. A smallest eigenvalue at or below
    ``1e-8 * max(1, largest)`` (or a nan) means a flat direction: the data do
    not identify the parameters and their standard errors would be 0 or nan.

    Examples
    --------
    >>> check_identified("M", np.diag([2.0, 0.5]), 1.0)
    >>> check_identified("M", np.array([[1.0, 1.0], [1.0, 1.0]]), 1.0)
    Traceback (most recent call last):
    ...
    retention_kpis.exceptions.ConvergenceError: M.fit found no identified optimum: the \
log-likelihood is flat along some direction at the estimate (smallest Hessian eigenvalue per \
customer 0, largest 2), so the data do not identify the parameters and they would have no \
standard errors. Typical causes: no repeat purchases, no churn, identical values for every customer.
    """
    scaled = hessian / total_weight
    eigenvalues = np.linalg.eigvalsh(scaled) if np.all(np.isfinite(scaled)) else np.array([np.nan])
    smallest, largest = float(eigenvalues.min()), float(eigenvalues.max())
    if not smallest > _MIN_RELATIVE_CURVATURE * max(1.0, largest):
        msg = (
            f"{name}.fit found no identified optimum: the log-likelihood is flat along some "
            f"direction at the estimate (smallest Hessian eigenvalue per customer "
            f"{0.0 if abs(smallest) < 1e-12 else smallest:.3g}, largest {largest:.3g}), so the "
            "data do not identify the parameters and they would have no standard errors. "
            "Typical causes: no repeat purchases, no churn, identical values for every customer."
        )
        raise ConvergenceError(msg)


_JSON_KEYS = (
    "model",
    "library_version",
    "params",
    "log_likelihood",
    "n_customers",
    "penalizer_coef",
    "covariance",
    "time_unit",
)


def _shown(value: object) -> str:
    """Return a short repr of a JSON value for a message (never the whole of a huge one)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_error(model: str, field: str, requirement: str, got: object) -> InvalidInputError:
    return InvalidInputError(
        f"The {field!r} field of the {model} JSON must {requirement}. Got {got} instead."
    )


def _json_document(text: object, model: str, keys: Sequence[str] = _JSON_KEYS) -> dict[str, Any]:
    """Parse the JSON text of a model; only its own ``keys``, and the right model name."""
    if not isinstance(text, (str, bytes, bytearray)):
        msg = (
            f"The 'text' parameter of {model}.from_json must be a JSON string. "
            f"Got {type(text).__name__} instead."
        )
        raise InvalidInputError(msg)
    try:
        payload = json.loads(text, parse_constant=_not_a_number, parse_int=_integer)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, too many digits, too deep
        msg = (
            f"The 'text' parameter of {model}.from_json must be valid JSON. "
            f"Got an error instead: {exc}."
        )
        raise InvalidInputError(msg) from None
    if not isinstance(payload, dict) or payload.get("model") != model:
        found = payload.get("model") if isinstance(payload, dict) else type(payload).__name__
        msg = f"JSON does not hold a {model} (found {_shown(found)})."
        raise InvalidInputError(msg)
    unknown = sorted(str(key) for key in payload if key not in keys)
    if unknown:
        msg = f"The {model} JSON holds unknown field(s) {unknown}; known fields: {list(keys)}."
        raise InvalidInputError(msg)
    return payload


_MAX_DIGITS = 400


def _integer(text: str) -> int:
    """Read a JSON integer of at most 400 digits (more cannot be a float parameter anyway)."""
    if len(text.lstrip("-")) > _MAX_DIGITS:
        msg = f"an integer of {len(text.lstrip('-'))} digits (at most {_MAX_DIGITS} are read)"
        raise ValueError(msg)
    return int(text)


def _not_a_number(_name: str) -> float:
    """``NaN``, ``Infinity`` and ``-Infinity`` (not strict JSON) read as nan, then refused."""
    return math.nan


def _finite(value: object) -> float | None:
    """``value`` as a finite float, or None if it is not a real number that fits in one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond 1.8e308
        return None
    return number if math.isfinite(number) else None


def _positive_number(value: object, model: str, field: str) -> float:
    number = _finite(value)
    if number is None or number <= 0:
        raise _field_error(model, field, "be a positive finite number", _shown(value))
    return number


def _optional_number(value: object, model: str, field: str) -> float | None:
    if value is None:
        return None
    number = _finite(value)
    if number is None:
        raise _field_error(model, field, "be a finite number or null", _shown(value))
    return number


def _square_matrix(value: object, size: int, model: str) -> list[list[float]]:
    requirement = f"be null or a {size} x {size} list of finite numbers"
    if not isinstance(value, list) or len(value) != size:
        raise _field_error(model, "covariance", requirement, _shown(value))
    rows: list[list[float]] = []
    for row in value:
        if not isinstance(row, list) or len(row) != size:
            raise _field_error(model, "covariance", requirement, _shown(row))
        numbers = [_finite(item) for item in row]
        if any(number is None for number in numbers):
            raise _field_error(model, "covariance", requirement, _shown(row))
        rows.append([float(number) for number in numbers if number is not None])
    return rows


def _checked_unit(value: object, func: str) -> str | None:
    """``None`` or the canonical spelling of a time unit (see :mod:`retention_kpis.clv.units`)."""
    return None if value is None else normalise_time_unit(value, func)


def _numerical_hessian(
    objective: Objective, x: FloatArray, *, gradient: FloatArray | None = None
) -> FloatArray:
    """Hessian by central differences of the analytic gradient, symmetrised.

    With ``gradient`` (the gradient at ``x``), forward differences with a step of
    ``1e-6`` instead: half the gradient evaluations, for models whose evaluations are
    expensive. Their error is ``O(step)``: on the Pareto/NBD fits of the suite's
    simulated data the standard errors agree with the central ones to 2e-5 relative.
    """
    k = len(x)
    hessian = np.empty((k, k))
    for j in range(k):
        forward = x.copy()
        if gradient is not None:
            step = 1e-6 * max(1.0, abs(x[j]))
            forward[j] += step
            hessian[:, j] = (objective(forward)[1] - gradient) / step
            continue
        step = 1e-5 * max(1.0, abs(x[j]))
        backward = x.copy()
        forward[j] += step
        backward[j] -= step
        hessian[:, j] = (objective(forward)[1] - objective(backward)[1]) / (2 * step)
    symmetric: FloatArray = (hessian + hessian.T) / 2
    return symmetric


class ProbabilityModel(Generic[P]):
    """Base of every fitted probability model (BG/NBD, Pareto/NBD, ...).

    Subclasses set ``params_type`` and implement ``fit`` by calling
    :meth:`_fit_log_params` with their negative log-likelihood.

    Parameters
    ----------
    penalizer_coef : float, default=0.0
        Coefficient of an optional L2 penalty, with lifetimes' semantics:
        ``fit`` minimises the mean negative log-likelihood per customer plus
        ``penalizer_coef * sum(theta ** 2)``, ``theta`` the parameters on their
        natural scale (see :attr:`penalizer_coef`). 0 (the default) is plain
        maximum likelihood, exactly.
    time_unit : str, optional
        The time unit of the data the model is (or will be) fitted to, as
        :func:`rfm_summary` counts it: ``"h"``, ``"D"``, ``"W"``, ``"M"`` or a
        multiple such as ``"7D"`` (see :attr:`time_unit`). Recorded only: it
        changes no number, and predictions carry it.
    """

    params_type: ClassVar[type[ModelParams]]

    def __init__(self, *, penalizer_coef: float = 0.0, time_unit: str | None = None) -> None:
        self._penalizer_coef = check_amount(
            penalizer_coef, "penalizer_coef", f"{type(self).__name__}"
        )
        self._time_unit = _checked_unit(time_unit, type(self).__name__)
        self._params: P | None = None
        self._log_likelihood: float = math.nan
        self._covariance: FloatArray | None = None
        self._n_customers: float = math.nan

    def __repr__(self) -> str:
        if self._params is None:
            return f"{type(self).__name__}(<not fitted>)"
        body = ", ".join(f"{k}={v:.4g}" for k, v in self._params.model_dump().items())
        return f"{type(self).__name__}({body})"

    def _table(self) -> Table:
        summary = self.summary()
        data: dict[str, list[Any]] = {"parameter": list(summary.index)}
        data.update({name: summary[name].tolist() for name in SUMMARY_COLUMNS})
        n = self._n_customers
        fitted = "from parameters"
        if not math.isnan(n):
            fitted = f"fitted to {n:,.0f} customers"
        notes = (
            f"log-likelihood: {self._log_likelihood:,.4f}"
            if not math.isnan(self._log_likelihood)
            else "log-likelihood: not available (not fitted to data)",
            "95 % bounds are Wald intervals built on the log scale (never <= 0)",
        )
        title = f"{type(self).__name__}: {fitted}"
        return Table(["parameter", *SUMMARY_COLUMNS], data, _SUMMARY_UNITS, notes, title)

    def __str__(self) -> str:
        """Return the :meth:`summary` as a fixed-width table, with the log-likelihood and n."""
        if self._params is None:
            return repr(self)
        return self._table().text()

    def _repr_html_(self) -> str:
        """Return the :meth:`summary` as an HTML table, with the log-likelihood and n."""
        if self._params is None:
            return f"<pre>{html.escape(repr(self))}</pre>"
        return self._table().html()

    # -- construction -------------------------------------------------------
    @classmethod
    def from_params(cls, **params: float) -> Self:
        """Build a model from known parameters (for example a paper's estimates)."""
        model = cls()
        names = list(cls.params_type.model_fields)
        if sorted(params) != sorted(names):
            msg = (
                f"{cls.__name__}.from_params takes exactly the parameters {names}; "
                f"got {sorted(params)}."
            )
            raise InvalidInputError(msg)
        numbers = {name: _finite(value) for name, value in params.items()}
        bad = sorted(name for name, number in numbers.items() if number is None or number <= 0)
        if bad:
            msg = f"Parameters of {cls.__name__} must be positive and finite; got {bad}."
            raise InvalidInputError(msg)
        model._params = cls.params_type(**numbers)  # type: ignore[assignment]
        bad = [k for k, v in model.params.model_dump().items() if not (v > 0 and math.isfinite(v))]
        if bad:
            msg = f"Parameters of {cls.__name__} must be positive and finite; got {bad}."
            raise InvalidInputError(msg)
        return model

    # -- fitted state -------------------------------------------------------
    @property
    def params(self) -> P:
        """The parameters, a frozen pydantic model."""
        if self._params is None:
            msg = f"This {type(self).__name__} is not fitted yet; call fit() or from_params()."
            raise NotFittedError(msg)
        return self._params

    @property
    def log_likelihood(self) -> float:
        """Total log-likelihood of the fitted data (nan when built by ``from_params``)."""
        return self._log_likelihood

    @property
    def covariance(self) -> FloatArray:
        """Asymptotic covariance matrix of the parameters (natural scale)."""
        if self._covariance is None:
            msg = f"{type(self).__name__} has no covariance: it was not fitted to data."
            raise NotFittedError(msg)
        return self._covariance

    @property
    def standard_errors(self) -> dict[str, float]:
        """Standard errors of the parameters, from the inverse Hessian (delta method)."""
        diagonal = np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))
        return dict(zip(type(self.params).model_fields, diagonal.tolist(), strict=True))

    @property
    def confidence_intervals(self) -> dict[str, tuple[float, float]]:
        """95 % Wald intervals built on the log scale: ``theta * exp(+-1.96 se / theta)``."""
        out: dict[str, tuple[float, float]] = {}
        for name, se in self.standard_errors.items():
            value = float(getattr(self.params, name))
            spread = math.exp(_Z_95 * se / value)
            out[name] = (value / spread, value * spread)
        return out

    @property
    def penalizer_coef(self) -> float:
        """Coefficient of the L2 penalty of :meth:`fit` (0: plain maximum likelihood).

        As lifetimes' ``penalizer_coef``: ``fit`` minimises the *mean* negative
        log-likelihood per customer plus ``penalizer_coef * sum(theta ** 2)``,
        where ``theta`` are the model's parameters on their natural scale (for
        BG/NBD ``r, alpha, a, b``). The penalty pulls large parameters towards 0
        and is meant for small or degenerate data; at 0 the fit is the plain
        maximum-likelihood fit. :attr:`log_likelihood` is the unpenalised
        log-likelihood at the penalised estimates.
        """
        return self._penalizer_coef

    @property
    def time_unit(self) -> str | None:
        """The time unit of ``t``, ``recency``, ``T`` and the rate parameters (None: not recorded).

        The model works in the unit of the data it was fitted to (``alpha`` of a
        weekly BG/NBD is in weeks, ``expected_purchases(39, ...)`` covers 39
        weeks); this records which unit that was, so predictions can say it
        (:meth:`predict`, :func:`predict_clv`) and :func:`customer_lifetime_value`
        can refuse a different one. Set it with ``time_unit=`` of the constructor
        or by assignment (``model.time_unit = "W"``); :meth:`to_json` keeps it.

        Examples
        --------
        >>> from retention_kpis.clv import BetaGeoModel
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.time_unit is None
        True
        >>> model.time_unit = "W"
        >>> model.predict("expected_purchases", 39, 2, 30.43, 38.86).time_unit_description
        '1 time unit = 1 week'
        """
        return self._time_unit

    @time_unit.setter
    def time_unit(self, value: str | None) -> None:
        self._time_unit = _checked_unit(value, type(self).__name__)

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

        ``model.predict("expected_purchases", t, frequency, recency, T)`` is
        ``model.expected_purchases(t, frequency, recency, T)`` wrapped in a
        :class:`~retention_kpis.clv.Prediction` that carries the model's
        :attr:`time_unit`, the customer ids and, with ``confidence``, an
        interval from the uncertainty of the fitted parameters. See
        :func:`retention_kpis.clv.predictions.predict` for the parameters.

        Examples
        --------
        >>> from retention_kpis.clv import BetaGeoModel
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> result = model.predict("probability_alive", [0, 2], [0, 30.43], 38.86)
        >>> [round(v, 4) for v in result.value], result.time_unit
        ([1.0, 0.7266], None)
        """
        return predict(
            self,
            quantity,
            *args,
            customer_id=customer_id,
            confidence=confidence,
            method=method,
            n_draws=n_draws,
            seed=seed,
            **kwargs,
        )

    @property
    def n_customers(self) -> float:
        """Customers (sum of weights) the model was fitted to; nan when built by ``from_params``."""
        return self._n_customers

    def summary(self) -> pd.DataFrame:
        """Return the parameters with their standard errors and 95 % bounds, as lifetimes does.

        Returns
        -------
        pandas.DataFrame
            Index: the parameter names, in the model's order. Columns ``coef``
            (the estimate), ``se(coef)`` (:attr:`standard_errors`), ``lower 95%
            bound`` and ``upper 95% bound`` (:attr:`confidence_intervals`: built on
            the log scale, so unlike lifetimes' ``coef +- 1.96 se`` they are
            asymmetric and never include 0). ``attrs`` holds ``log_likelihood``
            and ``n`` (:attr:`n_customers`). A model built by :meth:`from_params`
            has nan standard errors, bounds, log-likelihood and n.

        Raises
        ------
        NotFittedError
            If the model has neither been fitted nor built from parameters.

        Examples
        --------
        >>> from retention_kpis.clv import BetaGeoModel
        >>> BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426).summary()["coef"]
        r        0.243
        alpha    4.414
        a        0.793
        b        2.426
        Name: coef, dtype: float64
        """
        import pandas as pd  # noqa: PLC0415 - pandas is imported only when a table is asked for

        params = self.params.model_dump()
        names = list(params)
        if self._covariance is None:
            missing = [math.nan] * len(names)
            se, lower, upper = missing, missing, missing
        else:
            errors, bounds = self.standard_errors, self.confidence_intervals
            se = [errors[name] for name in names]
            lower = [bounds[name][0] for name in names]
            upper = [bounds[name][1] for name in names]
        coef = [float(params[name]) for name in names]
        columns = dict(zip(SUMMARY_COLUMNS, (coef, se, lower, upper), strict=True))
        frame: pd.DataFrame = pd.DataFrame(columns, index=pd.Index(names))
        frame.attrs["log_likelihood"] = self._log_likelihood
        frame.attrs["n"] = self._n_customers
        return frame

    # -- fitting ------------------------------------------------------------
    def _fit_log_params(
        self,
        objective: Objective,
        x0: FloatArray,
        *,
        total_weight: float,
        maxiter: int = 2000,
        forward_hessian: bool = False,
        hessian: Callable[[FloatArray], FloatArray] | None = None,
    ) -> None:
        """Minimise ``objective`` over log parameters and store the results.

        ``objective`` returns the total negative log-likelihood; it is scaled by
        ``total_weight`` inside so tolerances do not depend on the sample size.
        ``forward_hessian`` takes the Hessian for the standard errors by forward
        differences (4 instead of 8 gradient evaluations for 4 parameters; see
        :func:`_numerical_hessian`); ``hessian``, the analytic Hessian of ``objective``
        (used when there is no penalty), replaces the numerical one.
        """
        from scipy.optimize import minimize  # noqa: PLC0415 - scipy is imported lazily

        penalty = self._penalizer_coef

        def scaled(x: FloatArray) -> tuple[float, FloatArray]:
            value, grad = objective(x)
            if not math.isfinite(value):
                return 1e300, np.zeros_like(x)
            if penalty:  # lifetimes: mean negative log-likelihood + c * sum(theta ** 2)
                theta_squared = np.exp(2.0 * x)
                return (
                    value / total_weight + penalty * float(theta_squared.sum()),
                    grad / total_weight + 2.0 * penalty * theta_squared,
                )
            return value / total_weight, grad / total_weight

        def penalised_total(x: FloatArray) -> tuple[float, FloatArray]:
            value, grad = scaled(x)
            return value * total_weight, grad * total_weight

        result = minimize(
            scaled,
            x0,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-30.0, 30.0)] * len(x0),
            options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-9},
        )
        x = np.asarray(result.x, dtype=float)
        value, _ = objective(x)
        gradient_norm = float(np.max(np.abs(scaled(x)[1])))
        if not math.isfinite(value) or (not result.success and gradient_norm > 1e-5):
            msg = (
                f"{type(self).__name__}.fit did not converge: {result.message} "
                f"(max |gradient| per customer {gradient_norm:.2e} after {result.nit} iterations)."
            )
            raise ConvergenceError(msg)
        if np.any(np.abs(x) >= 29.999):
            msg = (
                f"{type(self).__name__}.fit ran to a parameter bound (log-parameter {x.tolist()}): "
                "the data do not identify the model (for example no repeat purchases)."
            )
            raise ConvergenceError(msg)
        total_objective = penalised_total if penalty else objective
        curvature = (
            hessian(x)
            if hessian is not None and not penalty
            else _numerical_hessian(
                total_objective,
                x,
                gradient=total_objective(x)[1] if forward_hessian else None,
            )
        )
        check_identified(type(self).__name__, curvature, total_weight)
        theta = np.exp(x)
        names = list(self.params_type.model_fields)
        self._params = self.params_type(**dict(zip(names, theta.tolist(), strict=True)))  # type: ignore[assignment]
        self._log_likelihood = -float(value)
        self._n_customers = total_weight
        cov_log = np.linalg.inv(curvature)  # positive definite: check_identified passed
        self._covariance = np.asarray(cov_log * np.outer(theta, theta), dtype=np.float64)

    # -- persistence --------------------------------------------------------
    def to_json(self) -> str:
        """Serialise the model to JSON (parameters, fit statistics, covariance)."""
        payload: dict[str, Any] = {
            "model": type(self).__name__,
            "library_version": __version__,
            "params": self.params.model_dump(),
            "log_likelihood": None if math.isnan(self._log_likelihood) else self._log_likelihood,
            "n_customers": None if math.isnan(self._n_customers) else self._n_customers,
            "penalizer_coef": self._penalizer_coef,
            "covariance": None if self._covariance is None else self._covariance.tolist(),
        }
        if self._time_unit is not None:
            payload["time_unit"] = self._time_unit
        return json.dumps(payload)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Rebuild a model written by :meth:`to_json`.

        Every field is checked before use: a tampered or truncated document
        raises :class:`InvalidInputError` naming the field (``params.r``,
        ``covariance``, ...), never a raw ``KeyError``, ``TypeError`` or
        ``OverflowError``.

        Examples
        --------
        >>> from retention_kpis.clv import GammaGammaModel
        >>> GammaGammaModel.from_json('{"model": "GammaGammaModel", "params": {"p": 6, "q": 4}}')
        Traceback (most recent call last):
        ...
        retention_kpis.exceptions.InvalidInputError: The 'params' field of the GammaGammaModel \
JSON must hold exactly the keys ['p', 'q', 'v']. Got ['p', 'q'] instead.
        """
        payload = _json_document(text, cls.__name__)
        names = list(cls.params_type.model_fields)
        params = payload.get("params")
        if not isinstance(params, dict) or sorted(params) != sorted(names):
            shown = sorted(params) if isinstance(params, dict) else _shown(params)
            raise _field_error(cls.__name__, "params", f"hold exactly the keys {names}", shown)
        values = {
            name: _positive_number(params[name], cls.__name__, f"params.{name}") for name in names
        }
        model = cls.from_params(**values)
        model._penalizer_coef = check_amount(  # noqa: SLF001 - same class
            payload.get("penalizer_coef", 0.0), "penalizer_coef", f"{cls.__name__}.from_json"
        )
        covariance = payload.get("covariance")
        model._time_unit = _checked_unit(payload.get("time_unit"), f"{cls.__name__}.from_json")  # noqa: SLF001 - same class
        model._restore_fit_state(  # noqa: SLF001 - same class
            log_likelihood=_optional_number(
                payload.get("log_likelihood"), cls.__name__, "log_likelihood"
            ),
            n_customers=_optional_number(payload.get("n_customers"), cls.__name__, "n_customers"),
            covariance=None
            if covariance is None
            else _square_matrix(covariance, len(names), cls.__name__),
        )
        return model

    def _restore_fit_state(
        self, *, log_likelihood: float | None, n_customers: float | None, covariance: object
    ) -> None:
        if log_likelihood is not None:
            self._log_likelihood = float(log_likelihood)
        if n_customers is not None:
            self._n_customers = float(n_customers)
        if covariance is not None:
            self._covariance = np.asarray(covariance, dtype=np.float64)
