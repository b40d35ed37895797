"""Diagnostic plots of the buy-till-you-die and contractual retention models."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from retention_kpis._core.arrays import FloatArray, as_float_array
from retention_kpis._core.checks import check_count, check_positive
from retention_kpis.clv import ProbabilityModel
from retention_kpis.clv.value import read_columns
from retention_kpis.exceptions import InvalidInputError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "plot_survival_curve",
]

_INSTALL_HINT = "pip install 'retention-kpis[plot]'"
HOLDOUT_COLUMNS = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")


class _PurchaseModel(Protocol):
    def expected_purchases(
        self, t: FloatArray, frequency: FloatArray, recency: FloatArray, T: FloatArray, /
    ) -> npt.ArrayLike: ...


class _AliveModel(Protocol):
    def probability_alive(
        self, frequency: FloatArray, recency: FloatArray, T: FloatArray, /
    ) -> npt.ArrayLike: ...


class _SurvivalModel(Protocol):
    def survival(self, t: FloatArray, /) -> npt.ArrayLike: ...


def _axes(ax: Axes | None, func: str) -> Axes:
    """Return ``ax`` or the axes of a new figure, importing matplotlib lazily."""
    try:
        import matplotlib.pyplot as plt  # noqa: PLC0415 - optional dependency, imported lazily
    except ImportError as exc:
        msg = f"{func} needs matplotlib, which is not installed. Install it with: {_INSTALL_HINT}"
        raise ImportError(msg) from exc
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _check_model(model: object, method: str, func: str) -> None:
    if not callable(getattr(model, method, None)):
        msg = (
            f"The 'model' parameter of {func} must have a {method}() method. "
            f"Got {type(model).__name__} instead."
        )
        raise InvalidInputError(msg)
    if isinstance(model, ProbabilityModel):
        _ = model.params  # raises NotFittedError


def _grid(
    T: object, max_frequency: object, max_recency: object, func: str
) -> tuple[float, FloatArray, FloatArray]:
    """Validate the matrix arguments; return T and the frequency x recency grids.

    Customers without repeat purchases have recency 0, so row 0 is evaluated
    at recency 0 throughout.
    """
    age = check_positive(T, "T", func)
    rows = (
        math.floor(age)
        if max_frequency is None
        else check_count(max_frequency, "max_frequency", func)
    )
    if max_recency is None:
        last = age
    else:
        last = check_positive(max_recency, "max_recency", func)
        if last > age:
            msg = (
                f"The 'max_recency' parameter of {func} must be <= T ({age:g}). "
                f"Got {max_recency!r} instead."
            )
            raise InvalidInputError(msg)
    frequencies = np.arange(rows + 1, dtype=np.float64)
    recencies = np.arange(math.floor(last) + 1, dtype=np.float64)
    frequency, recency = np.meshgrid(frequencies, recencies, indexing="ij")
    recency[0, :] = 0.0
    return age, frequency, recency


def _draw_matrix(ax: Axes, values: FloatArray, title: str, *, vmin: float, vmax: float) -> Axes:
    image = ax.imshow(
        values, origin="lower", aspect="auto", interpolation="none", vmin=vmin, vmax=vmax
    )
    ax.figure.colorbar(image, ax=ax)
    ax.set_title(title)
    ax.set_xlabel("Customer's recency (age at last purchase)")
    ax.set_ylabel("Customer's frequency (repeat purchases)")
    return ax


def plot_frequency_recency_matrix(
    model: _PurchaseModel,
    *,
    T: float,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    t: float = 1,
    ax: Axes | None = None,
) -> Axes:
    """Heat map of the expected purchases in the next ``t`` by frequency and recency.

    Cell ``(f, r)`` is ``model.expected_purchases(t, f, r, T)``: what a
    customer of age ``T`` with ``f`` repeat purchases, the last at age ``r``,
    is expected to buy in ``(T, T + t]``. Frequency runs up the y axis
    (``0..max_frequency``), recency along the x axis (``0..max_recency`` in
    whole time units); row 0 (no repeat purchase) is evaluated at recency 0,
    the only recency such a customer has.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A fitted transaction model.
    T : float
        Customer age at the end of observation, ``> 0``, in the model's time units.
    max_frequency : int, optional
        Highest frequency shown; default ``floor(T)``.
    max_recency : float, optional
        Highest recency shown, ``<= T``; default ``T``.
    t : float, default=1
        Length of the prediction window, ``> 0``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.images[0].get_array()`` holds the matrix.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = plot_frequency_recency_matrix(model, T=38.86, max_frequency=20, t=4)
    >>> ax.images[0].get_array().shape
    (21, 39)
    """
    func = "plot_frequency_recency_matrix"
    _check_model(model, "expected_purchases", func)
    horizon = check_positive(t, "t", func)
    age, frequency, recency = _grid(T, max_frequency, max_recency, func)
    flat = frequency.ravel()
    values = np.asarray(
        model.expected_purchases(
            np.full(flat.shape, horizon), flat, recency.ravel(), np.full(flat.shape, age)
        ),
        dtype=np.float64,
    ).reshape(frequency.shape)
    axes = _axes(ax, func)
    title = f"Expected purchases in the next {horizon:g} time units (T = {age:g})"
    return _draw_matrix(axes, values, title, vmin=0.0, vmax=float(values.max()))


def plot_probability_alive_matrix(
    model: _AliveModel,
    *,
    T: float,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Heat map of the probability that a customer is alive, by frequency and recency.

    Cell ``(f, r)`` is ``model.probability_alive(f, r, T)``; the grid is the one
    of :func:`plot_frequency_recency_matrix`. The colour scale runs over [0, 1].

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A fitted transaction model.
    T : float
        Customer age at the end of observation, ``> 0``.
    max_frequency : int, optional
        Highest frequency shown; default ``floor(T)``.
    max_recency : float, optional
        Highest recency shown, ``<= T``; default ``T``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.images[0].get_array()`` holds the probabilities.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = plot_probability_alive_matrix(model, T=38.86, max_frequency=20)
    >>> float(ax.images[0].get_array()[0, 0])
    1.0
    """
    func = "plot_probability_alive_matrix"
    _check_model(model, "probability_alive", func)
    age, frequency, recency = _grid(T, max_frequency, max_recency, func)
    flat = frequency.ravel()
    values = np.asarray(
        model.probability_alive(flat, recency.ravel(), np.full(flat.shape, age)),
        dtype=np.float64,
    ).reshape(frequency.shape)
    axes = _axes(ax, func)
    title = f"Probability a customer is alive (T = {age:g})"
    return _draw_matrix(axes, values, title, vmin=0.0, vmax=1.0)


def _holdout_columns(summary: object, func: str) -> dict[str, FloatArray]:
    return read_columns(summary, HOLDOUT_COLUMNS, func, hint="calibration_holdout_split(...)")


def plot_calibration_purchases_vs_holdout_purchases(
    model: _PurchaseModel,
    calibration_holdout_summary: object,
    *,
    n: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Mean holdout purchases, actual and predicted, by calibration frequency.

    Customers are grouped by their calibration-period ``frequency``, with
    every frequency ``>= n`` pooled into one group ``"n+"`` (Fader, Hardie &
    Lee 2005, Figure 3, uses ``n = 7``). Per group the plot shows the mean of
    ``frequency_holdout`` (actual) and the mean of
    ``model.expected_purchases(duration_holdout, frequency, recency, T)``
    (model). Groups without customers are left out.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A transaction model fitted on the calibration period.
    calibration_holdout_summary : dataframe or mapping of arrays
        Columns ``frequency``, ``recency``, ``T``, ``frequency_holdout`` and
        ``duration_holdout``, as :func:`calibration_holdout_split` builds them.
    n : int, default=7
        Number of single-frequency groups (``0..n-1``) before the pooled one, ``>= 1``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.lines[0]`` is the actual series, ``ax.lines[1]`` the model's.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> summary = {"frequency": [0, 1, 9], "recency": [0, 10, 30], "T": [39, 39, 39],
    ...            "frequency_holdout": [0, 1, 4], "duration_holdout": [39, 39, 39]}
    >>> ax = plot_calibration_purchases_vs_holdout_purchases(model, summary, n=2)
    >>> ax.lines[0].get_ydata().tolist()
    [0.0, 1.0, 4.0]
    """
    func = "plot_calibration_purchases_vs_holdout_purchases"
    _check_model(model, "expected_purchases", func)
    groups_ = check_positive(n, "n", func)
    groups = check_count(groups_, "n", func)
    columns = _holdout_columns(calibration_holdout_summary, func)
    predicted = np.asarray(
        model.expected_purchases(
            columns["duration_holdout"], columns["frequency"], columns["recency"], columns["T"]
        ),
        dtype=np.float64,
    )
    group = np.minimum(columns["frequency"], groups).astype(np.int64)
    counts = np.bincount(group, minlength=groups + 1)
    present = counts > 0
    actual = np.bincount(group, weights=columns["frequency_holdout"], minlength=groups + 1)
    model_mean = np.bincount(group, weights=predicted, minlength=groups + 1)
    positions = np.arange(groups + 1)[present]
    labels = [*(str(k) for k in range(groups)), f"{groups}+"]
    axes = _axes(ax, func)
    axes.plot(positions, actual[present] / counts[present], marker="o", label="Actual")
    axes.plot(
        positions, model_mean[present] / counts[present], marker="s", linestyle="--", label="Model"
    )
    axes.set_xticks(positions, [labels[k] for k in positions])
    axes.set_title("Actual vs predicted purchases in the holdout period")
    axes.set_xlabel("Purchases in the calibration period")
    axes.set_ylabel("Average purchases in the holdout period")
    axes.legend()
    return axes


def plot_survival_curve(
    sbg_model: _SurvivalModel,
    survivors: object = None,
    *,
    n_periods: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Share of a cohort still active per period: the sBG model, and the data if given.

    The model line is ``S(t)`` for ``t = 0..n_periods``; ``survivors`` (customers
    active at the start of periods ``0, 1, ...``, as in Fader & Hardie 2007)
    are drawn as points divided by ``survivors[0]``. Extending ``n_periods``
    beyond the data shows the projection.

    Parameters
    ----------
    sbg_model : ShiftedBetaGeometricModel
        A fitted model with ``survival(t)``.
    survivors : array-like of float, optional
        Survivor counts from period 0, ``survivors[0] > 0``, all ``>= 0``.
    n_periods : int, optional
        Last period of the model line; default ``len(survivors) - 1``, or 12
        without survivors.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.lines[0]`` is the model, ``ax.lines[1]`` the data (if any).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from retention_kpis.clv import ShiftedBetaGeometricModel
    >>> model = ShiftedBetaGeometricModel.from_params(alpha=1.0, beta=1.0)
    >>> ax = plot_survival_curve(model, [100, 55, 30])
    >>> ax.lines[0].get_ydata().round(3).tolist()
    [1.0, 0.5, 0.333]
    """
    func = "plot_survival_curve"
    if not callable(getattr(sbg_model, "survival", None)):
        msg = (
            f"The 'sbg_model' parameter of {func} must have a survival() method. "
            f"Got {type(sbg_model).__name__} instead."
        )
        raise InvalidInputError(msg)
    if isinstance(sbg_model, ProbabilityModel):
        _ = sbg_model.params
    observed = None if survivors is None else as_float_array(survivors, "survivors")
    if observed is not None and (len(observed) == 0 or observed[0] <= 0):
        msg = (
            f"The 'survivors' parameter of {func} must start with a count > 0. "
            f"Got {survivors!r} instead."
        )
        raise InvalidInputError(msg)
    if n_periods is not None:
        periods = check_count(n_periods, "n_periods", func)
    else:
        periods = 12 if observed is None else len(observed) - 1
    t = np.arange(periods + 1, dtype=np.float64)
    share = np.asarray(sbg_model.survival(t), dtype=np.float64)
    axes = _axes(ax, func)
    axes.plot(t, share, linestyle="--", label="Model (sBG)")
    if observed is not None:
        axes.plot(
            np.arange(len(observed)),
            observed / observed[0],
            marker="o",
            linestyle="",
            label="Actual",
        )
    axes.set_ylim(0.0, 1.05)
    axes.set_title("Share of the cohort still active")
    axes.set_xlabel("Period")
    axes.set_ylabel("Share still active")
    axes.legend()
    return axes
