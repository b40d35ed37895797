"""Diagnostic plots of the buy-till-you-die and contractual retention models."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from retention_kpis._core.arrays import FloatArray, as_float_array
from retention_kpis._core.checks import check_count, check_positive
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.plot._layout import figure_size, new_axes, percent_formatter, plural
from retention_kpis.plot._models import (
    AliveModel,
    PurchaseModel,
    SurvivalModel,
    check_model,
    check_unit,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_frequency_recency_matrix",
    "plot_probability_alive_matrix",
    "plot_survival_curve",
]


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


def _draw_matrix(
    ax: Axes | None,
    func: str,
    values: FloatArray,
    title: str,
    *,
    unit: str,
    vmax: float,
    colour_label: str,
) -> Axes:
    rows, columns = values.shape
    axes = new_axes(ax, func, size=figure_size(columns, rows, cell=(0.2, 0.15)))
    image = axes.imshow(
        values, origin="lower", aspect="auto", interpolation="none", vmin=0.0, vmax=vmax
    )
    axes.figure.colorbar(image, ax=axes, label=colour_label)
    axes.set_title(title)
    axes.set_xlabel(f"Customer's recency (age at last purchase, {unit}s)")
    axes.set_ylabel("Customer's frequency (repeat purchases)")
    return axes


def plot_frequency_recency_matrix(
    model: PurchaseModel,
    *,
    T: float,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    t: float = 1,
    unit: str = "period",
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
    unit : str, default="period"
        The model's time unit, singular (``"week"`` for CDNOW): the title reads
        ``next 1 week (T = 38.9 weeks)`` and the recency axis names it.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure, sized to the grid.

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
    >>> ax = plot_frequency_recency_matrix(model, T=38.86, max_frequency=20, t=4, unit="week")
    >>> ax.images[0].get_array().shape
    (21, 39)
    >>> ax.get_title()
    'Expected purchases in the next 4 weeks (T = 38.9 weeks)'
    """
    func = "plot_frequency_recency_matrix"
    check_model(model, "expected_purchases", func)
    horizon = check_positive(t, "t", func)
    name = check_unit(unit, func)
    age, frequency, recency = _grid(T, max_frequency, max_recency, func)
    flat = frequency.ravel()
    values = np.asarray(
        model.expected_purchases(
            np.full(flat.shape, horizon), flat, recency.ravel(), np.full(flat.shape, age)
        ),
        dtype=np.float64,
    ).reshape(frequency.shape)
    title = f"Expected purchases in the next {plural(horizon, name)} (T = {plural(age, name)})"
    return _draw_matrix(
        ax,
        func,
        values,
        title,
        unit=name,
        vmax=float(values.max()),
        colour_label=f"Expected purchases in the next {plural(horizon, name)}",
    )


def plot_probability_alive_matrix(
    model: AliveModel,
    *,
    T: float,
    max_frequency: int | None = None,
    max_recency: float | None = None,
    unit: str = "period",
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
    unit : str, default="period"
        The model's time unit, singular (``"week"`` for CDNOW), for the title
        (``T = 38.9 weeks``) and the recency axis.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure, sized to the grid.

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
    >>> ax = plot_probability_alive_matrix(model, T=38.86, max_frequency=20, unit="week")
    >>> float(ax.images[0].get_array()[0, 0])
    1.0
    >>> ax.get_title()
    'Probability a customer is alive (T = 38.9 weeks)'
    """
    func = "plot_probability_alive_matrix"
    check_model(model, "probability_alive", func)
    name = check_unit(unit, func)
    age, frequency, recency = _grid(T, max_frequency, max_recency, func)
    flat = frequency.ravel()
    values = np.asarray(
        model.probability_alive(flat, recency.ravel(), np.full(flat.shape, age)),
        dtype=np.float64,
    ).reshape(frequency.shape)
    title = f"Probability a customer is alive (T = {plural(age, name)})"
    return _draw_matrix(ax, func, values, title, unit=name, vmax=1.0, colour_label="P(alive)")


def plot_survival_curve(
    sbg_model: SurvivalModel,
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
    check_model(sbg_model, "survival", func, name="sbg_model")
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
    axes = new_axes(ax, func)
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
    axes.yaxis.set_major_formatter(percent_formatter())
    axes.set_title("Share of the cohort still active")
    axes.set_xlabel("Periods since acquisition")
    axes.set_ylabel("Share still active")
    axes.legend()
    return axes
