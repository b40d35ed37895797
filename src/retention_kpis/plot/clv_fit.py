"""Goodness of fit of a transaction model: the data functions and the plots that draw them.

* :func:`period_transactions`: how many customers made 0, 1, 2, ..., ``k+``
  repeat purchases in the calibration period, actual and expected (the
  histogram of Fader, Hardie & Lee 2005, section 4);
* :func:`calibration_vs_holdout_purchases`: mean holdout purchases by
  calibration frequency, actual and conditional expectation (their Figure 3 kind
  of check).

The data functions need no matplotlib and return pandas DataFrames; the plots
draw exactly those numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from retention_kpis._core.checks import check_count, check_positive
from retention_kpis._core.text import count_rows
from retention_kpis.clv.value import read_columns
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.plot._layout import new_axes
from retention_kpis.plot._models import PurchaseCountModel, PurchaseModel, check_model

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from retention_kpis._core.arrays import FloatArray

__all__ = [
    "calibration_vs_holdout_purchases",
    "period_transactions",
    "plot_calibration_purchases_vs_holdout_purchases",
    "plot_period_transactions",
]

HOLDOUT_COLUMNS = ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")


def _bin_labels(top: int) -> list[str]:
    return [*(str(k) for k in range(top)), f"{top}+"]


def _whole_frequencies(frequency: FloatArray, func: str) -> None:
    fractional = int(np.sum(frequency != np.floor(frequency)))
    if fractional:
        msg = (
            f"The 'frequency' column of the data of {func} must hold whole numbers "
            f"(repeat purchases). Got fractional values in {count_rows(fractional)}."
        )
        raise InvalidInputError(msg)


def period_transactions(
    model: PurchaseCountModel, summary: object, *, max_frequency: int = 7
) -> pd.DataFrame:
    """Count customers by repeat purchases in the calibration period: actual and model.

    Row ``n`` (``0 <= n < max_frequency``) counts the customers with exactly
    ``n`` repeat purchases (``frequency == n``) and the model's expectation
    ``sum_i P(X(T_i) = n)``, each customer at their own age ``T_i``; the last
    row pools ``frequency >= max_frequency``, its expectation being the rest
    (``customers - sum of the other rows``), so both columns add up to the
    number of customers. This is the calibration-period histogram of Fader,
    Hardie & Lee (2005), the standard goodness-of-fit check (lifetimes'
    ``plot_period_transactions`` simulates it instead).

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel or BetaGeoBetaBinomModel
        A fitted model with ``probability_of_purchases(n, t)``.
    summary : dataframe or mapping of arrays
        Columns ``frequency`` (whole numbers) and ``T``, as
        :func:`~retention_kpis.clv.rfm_summary` builds them.
    max_frequency : int, default=7
        First pooled count: rows ``0..max_frequency-1`` and ``"max_frequency+"``, ``>= 1``.

    Returns
    -------
    pandas.DataFrame
        Columns ``frequency`` (labels ``"0"``, ..., ``"7+"``), ``actual`` (int)
        and ``model`` (float), one row per label.

    Examples
    --------
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> summary = {"frequency": [0, 0, 1, 4], "T": [39, 39, 39, 30]}
    >>> period_transactions(model, summary, max_frequency=2).round(3)
      frequency  actual  model
    0         0       2  2.328
    1         1       1  0.792
    2        2+       1  0.880
    """
    func = "period_transactions"
    check_model(model, "probability_of_purchases", func)
    top = check_count(check_positive(max_frequency, "max_frequency", func), "max_frequency", func)
    columns = read_columns(summary, ("frequency", "T"), func, hint="rfm_summary(...)")
    frequency, age = columns["frequency"], columns["T"]
    _whole_frequencies(frequency, func)
    ages, weights = np.unique(age, return_counts=True)
    counts = np.repeat(np.arange(top, dtype=np.float64), len(ages))
    probabilities = np.asarray(
        model.probability_of_purchases(counts, np.tile(ages, top)), dtype=np.float64
    ).reshape(top, len(ages))
    expected = probabilities @ weights.astype(np.float64)
    customers = float(len(frequency))
    model_counts = [*expected.tolist(), customers - float(expected.sum())]
    actual = np.bincount(np.minimum(frequency, top).astype(np.int64), minlength=top + 1)
    table: pd.DataFrame = pd.DataFrame(
        {"frequency": _bin_labels(top), "actual": actual.astype(np.int64), "model": model_counts}
    )
    return table


def plot_period_transactions(
    model: PurchaseCountModel,
    summary: object,
    *,
    max_frequency: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of :func:`period_transactions`: customers by repeat purchases, actual vs model.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel, ParetoNBDModel or BetaGeoBetaBinomModel
        A fitted model with ``probability_of_purchases(n, t)``.
    summary : dataframe or mapping of arrays
        Columns ``frequency`` and ``T`` of the calibration period.
    max_frequency : int, default=7
        First pooled count (``"7+"``).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.containers[0]`` holds the actual bars, ``ax.containers[1]`` the model's.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> summary = {"frequency": [0, 0, 1, 4], "T": [39, 39, 39, 30]}
    >>> ax = plot_period_transactions(model, summary, max_frequency=2)
    >>> [float(bar.get_height()) for bar in ax.containers[0]]
    [2.0, 1.0, 1.0]
    """
    func = "plot_period_transactions"
    table = period_transactions(model, summary, max_frequency=max_frequency)
    axes = new_axes(ax, func)
    positions = np.arange(len(table))
    width = 0.4
    axes.bar(positions - width / 2, table["actual"].to_numpy(float), width, label="Actual")
    axes.bar(positions + width / 2, table["model"].to_numpy(float), width, label="Model")
    axes.set_xticks(positions, table["frequency"].tolist())
    axes.set_title("Repeat purchases in the calibration period")
    axes.set_xlabel("Repeat purchases per customer")
    axes.set_ylabel("Customers")
    axes.yaxis.set_major_formatter("{x:,.0f}")
    axes.legend()
    return axes


def calibration_vs_holdout_purchases(
    model: PurchaseModel, calibration_holdout_summary: object, *, n: int = 7
) -> pd.DataFrame:
    """Mean holdout purchases by calibration frequency: actual and conditional expectation.

    Customers are grouped by their calibration ``frequency``, every frequency
    ``>= n`` pooled into ``"n+"`` (Fader, Hardie & Lee 2005, Figure 3, uses
    ``n = 7``). Per group: the number of customers, the mean of
    ``frequency_holdout`` (actual) and the mean of
    ``model.expected_purchases(duration_holdout, frequency, recency, T)``
    (model). Groups without customers are left out.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A transaction model fitted on the calibration period.
    calibration_holdout_summary : dataframe or mapping of arrays
        Columns ``frequency``, ``recency``, ``T``, ``frequency_holdout`` and
        ``duration_holdout``, as :func:`~retention_kpis.clv.calibration_holdout_split`
        builds them.
    n : int, default=7
        Number of single-frequency groups (``0..n-1``) before the pooled one, ``>= 1``.

    Returns
    -------
    pandas.DataFrame
        Columns ``frequency`` (group label), ``customers``, ``actual`` and
        ``model``, one row per non-empty group.

    Examples
    --------
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> summary = {"frequency": [0, 1, 9], "recency": [0, 10, 30], "T": [39, 39, 39],
    ...            "frequency_holdout": [0, 1, 4], "duration_holdout": [39, 39, 39]}
    >>> calibration_vs_holdout_purchases(model, summary, n=2).round(3)
      frequency  customers  actual  model
    0         0          1     0.0  0.195
    1         1          1     1.0  0.418
    2        2+          1     4.0  3.978
    """
    func = "calibration_vs_holdout_purchases"
    return _holdout_table(model, calibration_holdout_summary, n, func)


def _holdout_table(model: PurchaseModel, summary: object, n: object, func: str) -> pd.DataFrame:
    check_model(model, "expected_purchases", func)
    groups = check_count(check_positive(n, "n", func), "n", func)
    columns = read_columns(summary, HOLDOUT_COLUMNS, func, hint="calibration_holdout_split(...)")
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
    model_sum = np.bincount(group, weights=predicted, minlength=groups + 1)
    labels = np.array(_bin_labels(groups))
    table: pd.DataFrame = pd.DataFrame(
        {
            "frequency": labels[present],
            "customers": counts[present].astype(np.int64),
            "actual": actual[present] / counts[present],
            "model": model_sum[present] / counts[present],
        }
    )
    return table


def plot_calibration_purchases_vs_holdout_purchases(
    model: PurchaseModel,
    calibration_holdout_summary: object,
    *,
    n: int = 7,
    ax: Axes | None = None,
) -> Axes:
    """Draw :func:`calibration_vs_holdout_purchases`: actual vs predicted, by frequency.

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A transaction model fitted on the calibration period.
    calibration_holdout_summary : dataframe or mapping of arrays
        Columns ``frequency``, ``recency``, ``T``, ``frequency_holdout`` and
        ``duration_holdout`` (:func:`~retention_kpis.clv.calibration_holdout_split`).
    n : int, default=7
        Number of single-frequency groups (``0..n-1``) before the pooled one, ``>= 1``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        The axes; ``ax.lines[0]`` is the actual series, ``ax.lines[1]`` the model's,
        at x positions ``0..n`` (empty groups left out).

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
    table = _holdout_table(model, calibration_holdout_summary, n, func)
    labels = table["frequency"].tolist()
    positions = np.array([int(label.rstrip("+")) for label in labels])
    axes = new_axes(ax, func)
    axes.plot(positions, table["actual"].to_numpy(), marker="o", label="Actual")
    axes.plot(positions, table["model"].to_numpy(), marker="s", linestyle="--", label="Model")
    axes.set_xticks(positions, labels)
    axes.set_title("Actual vs predicted purchases in the holdout period")
    axes.set_xlabel("Purchases in the calibration period")
    axes.set_ylabel("Average purchases in the holdout period")
    axes.legend()
    return axes
