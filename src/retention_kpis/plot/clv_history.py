"""How the probability that one customer is alive evolved, given their purchase times."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from retention_kpis._core.arrays import as_float_array
from retention_kpis._core.checks import check_positive
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.plot._layout import new_axes, percent_formatter, plural
from retention_kpis.plot._models import AliveModel, check_model, check_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_history_alive", "probability_alive_history"]


def _history(
    model: AliveModel, purchases: object, T: object, step: object, func: str
) -> tuple[pd.DataFrame, np.ndarray[tuple[int], np.dtype[np.float64]]]:
    check_model(model, "probability_alive", func)
    times = as_float_array(purchases, "purchases")
    if times.size == 0 or not np.isfinite(times).all():
        msg = (
            f"The 'purchases' parameter of {func} must hold at least one finite purchase "
            f"time. Got {purchases!r} instead."
        )
        raise InvalidInputError(msg)
    moments = np.unique(times - times.min())  # age 0 is the first purchase; same times merge
    age = check_positive(T, "T", func)
    if age < moments[-1]:
        msg = (
            f"The 'T' parameter of {func} must be >= the last purchase time ({moments[-1]:g} "
            f"after the first). Got {T!r} instead."
        )
        raise InvalidInputError(msg)
    width = check_positive(step, "step", func)
    grid = np.unique(np.concatenate([np.arange(0.0, age, width), moments, [age]]))
    made = np.searchsorted(moments, grid, side="right")  # purchases at ages <= t
    frequency = (made - 1).astype(np.float64)
    recency = moments[made - 1]
    alive = np.asarray(model.probability_alive(frequency, recency, grid), dtype=np.float64)
    frame = pd.DataFrame(
        {"t": grid, "frequency": frequency, "recency": recency, "probability_alive": alive}
    )
    return frame, moments


def probability_alive_history(
    model: AliveModel, purchases: object, *, T: float, step: float = 1.0
) -> pd.DataFrame:
    """P(alive) of one customer at each age from their first purchase to ``T``.

    At age ``t`` the customer's history is what had happened by then: ``x(t)``
    repeat purchases, the last at ``t_x(t)``; the row holds
    ``model.probability_alive(x(t), t_x(t), t)``. Rows are at ``0, step, 2
    step, ...``, at ``T`` and at every purchase (where the probability jumps).
    As lifetimes' ``plot_history_alive``.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A fitted model with ``probability_alive(frequency, recency, T)``.
    purchases : array-like of float
        The customer's purchase times in the model's time unit, on any origin:
        the earliest is the first purchase (age 0); equal times count once (one
        purchase period, as :func:`~retention_kpis.clv.rfm_summary` counts).
    T : float
        Age at which the history ends, ``>=`` the last purchase.
    step : float, default=1.0
        Spacing of the ages, ``> 0``.

    Returns
    -------
    pandas.DataFrame
        Columns ``t``, ``frequency``, ``recency`` and ``probability_alive``.

    Examples
    --------
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> probability_alive_history(model, [0, 2.5], T=4).round(3)
         t  frequency  recency  probability_alive
    0  0.0        0.0      0.0              1.000
    1  1.0        0.0      0.0              1.000
    2  2.0        0.0      0.0              1.000
    3  2.5        1.0      2.5              0.754
    4  3.0        1.0      2.5              0.737
    5  4.0        1.0      2.5              0.706
    """
    frame, _ = _history(model, purchases, T, step, "probability_alive_history")
    return frame


def plot_history_alive(
    model: AliveModel,
    purchases: object,
    *,
    T: float,
    step: float = 1.0,
    unit: str = "period",
    ax: Axes | None = None,
) -> Axes:
    """Draw :func:`probability_alive_history` as a step line, purchases marked on it.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A fitted model with ``probability_alive``.
    purchases : array-like of float
        The customer's purchase times (model units, any origin).
    T : float
        Age at which the history ends.
    step : float, default=1.0
        Spacing of the ages.
    unit : str, default="period"
        The model's time unit, singular (``"week"``), for the axis and title.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` is P(alive) over age; ``ax.lines[1]`` marks the purchases.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> ax = plot_history_alive(model, [0, 2.5], T=38.8571, unit="week")
    >>> ax.get_title()
    'P(alive) of one customer over 38.9 weeks'
    >>> ax.lines[1].get_xdata().tolist()
    [0.0, 2.5]
    """
    func = "plot_history_alive"
    name = check_unit(unit, func)
    frame, moments = _history(model, purchases, T, step, func)
    axes = new_axes(ax, func)
    axes.step(frame["t"], frame["probability_alive"], where="post", label="P(alive)")
    at_purchase = frame.set_index("t").loc[moments, "probability_alive"].to_numpy()
    axes.plot(moments, at_purchase, linestyle="", marker="o", color="k", label="Purchase")
    axes.set_ylim(0.0, 1.05)
    axes.yaxis.set_major_formatter(percent_formatter())
    axes.set_title(f"P(alive) of one customer over {plural(float(frame['t'].iloc[-1]), name)}")
    axes.set_xlabel(f"{name.capitalize()}s since the first purchase")
    axes.set_ylabel("Probability alive")
    axes.legend(loc="lower left")
    return axes
