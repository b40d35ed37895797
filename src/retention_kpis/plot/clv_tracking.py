"""Tracking a cohort's repeat transactions over calibration and holdout: actual vs model.

:func:`transaction_tracking` returns the numbers (no matplotlib needed);
:func:`plot_cumulative_transactions` and :func:`plot_incremental_transactions`
draw them, as in Fader, Hardie & Lee (2005, section 4) for CDNOW.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd

from retention_kpis._core.checks import check_choice, check_positive
from retention_kpis._core.frames import as_lazy, collect
from retention_kpis._core.timestamps import parse_timestamps
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError
from retention_kpis.plot._layout import figure_size, new_axes, plural
from retention_kpis.plot._models import NewCustomerModel, check_model, check_unit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from retention_kpis._core.arrays import FloatArray

__all__ = [
    "plot_cumulative_transactions",
    "plot_incremental_transactions",
    "transaction_tracking",
]

TIME_UNITS = ("h", "D", "W", "M")
# Monday 1969-12-29 is day -3 of the epoch: weeks run Monday to Sunday, as in rfm_summary.
_MONDAY_OFFSET = 3
_DAYS_PER_WEEK = 7
_INT = np.int64


def _moment(value: object, name: str, func: str) -> np.datetime64:
    """Return a date-like argument as a naive (wall-clock) numpy datetime64[us]."""
    if isinstance(value, (dt.date, np.datetime64, str)):
        try:
            stamp = pd.Timestamp(value)
        except ValueError:
            stamp = pd.NaT
        if stamp is not pd.NaT:
            if stamp.tzinfo is not None:
                stamp = stamp.tz_localize(None)
            result: np.datetime64 = np.datetime64(stamp.to_datetime64(), "us")
            return result
    msg = (
        f"The {name!r} parameter of {func} must be a date, datetime or ISO 8601 string. "
        f"Got {value!r} instead."
    )
    raise InvalidInputError(msg)


def _period_index(moments: np.ndarray[Any, Any], time_unit: str) -> np.ndarray[Any, Any]:
    """Whole periods since the epoch of each naive datetime64 (the rfm_summary flooring)."""
    if time_unit == "h":
        return moments.astype("datetime64[h]").astype(_INT)
    if time_unit == "M":
        return moments.astype("datetime64[M]").astype(_INT)
    days = moments.astype("datetime64[D]").astype(_INT)
    if time_unit == "W":
        return (days + _MONDAY_OFFSET) // _DAYS_PER_WEEK
    return days


def _read_purchases(
    transactions: object, customer_id: str, timestamp: str, func: str
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Return customer codes (0..n-1) and naive datetime64[us] times of every purchase."""
    given: dict[str, object] = {"customer_id": customer_id, "timestamp": timestamp}
    for role, column in given.items():
        if not isinstance(column, str):
            msg = f"The {role!r} parameter of {func} must be a column name. Got {column!r} instead."
            raise InvalidInputError(msg)
    lf = as_lazy(transactions, "transactions")
    schema = lf.collect_schema()
    missing = [name for name in (customer_id, timestamp) if name not in schema]
    if missing:
        msg = (
            f"Missing column(s) {missing} in transactions for {func}. "
            f"Available columns: {list(schema)}.\n"
            "Hint: pass your column names as customer_id= and timestamp=."
        )
        raise ColumnNotFoundError(msg)
    moment = parse_timestamps(lf, timestamp, schema[timestamp], frame="transactions")
    frame = collect(lf.select(nw.col(customer_id).alias("customer"), moment.alias("moment")))
    customers = frame.get_column("customer").to_numpy()
    nulls = int(pd.isna(customers).sum()) + int(frame.get_column("moment").is_null().sum())
    if nulls:
        msg = (
            f"The transactions of {func} must have no null {customer_id!r} or {timestamp!r}. "
            f"Got {nulls} null value(s) instead."
        )
        raise InvalidInputError(msg)
    codes, _ = pd.factorize(customers)
    moments = frame.get_column("moment").to_numpy().astype("datetime64[us]")
    return codes.astype(_INT), moments


def _tracking(
    model: NewCustomerModel,
    transactions: object,
    *,
    customer_id: str,
    timestamp: str,
    calibration_end: object,
    observation_end: object,
    time_unit: str,
    time_scaler: float,
    step: float,
    func: str,
) -> pd.DataFrame:
    check_model(model, "expected_purchases_new_customer", func)
    unit = check_choice(time_unit, "time_unit", func, TIME_UNITS)
    scaler = check_positive(time_scaler, "time_scaler", func)
    width = check_positive(step, "step", func)
    codes, moments = _read_purchases(transactions, customer_id, timestamp, func)
    if len(codes) == 0:
        msg = f"The 'transactions' parameter of {func} must hold at least one purchase."
        raise InvalidInputError(msg)
    periods = _period_index(moments, unit)
    calibration = int(
        _period_index(np.array([_moment(calibration_end, "calibration_end", func)]), unit)[0]
    )
    end_moment = (
        moments.max()
        if observation_end is None
        else _moment(observation_end, "observation_end", func)
    )
    last = int(_period_index(np.array([end_moment]), unit)[0])
    if last <= calibration:
        msg = (
            f"The 'observation_end' parameter of {func} must fall in a later period than "
            f"calibration_end. Got {observation_end!r} instead."
        )
        raise InvalidInputError(msg)
    # one purchase period per customer and period, as rfm_summary counts them
    pairs = np.unique(np.stack([codes, periods]), axis=1)
    first = np.full(int(codes.max()) + 1, np.iinfo(_INT).max, dtype=_INT)
    np.minimum.at(first, pairs[0], pairs[1])
    cohort = first <= calibration
    if not cohort.any():
        msg = (
            f"No customer of {func} made a first purchase by calibration_end ({calibration_end!r})."
        )
        raise InvalidInputError(msg)
    origin = int(first[cohort].min())
    keep = cohort[pairs[0]] & (pairs[1] > first[pairs[0]]) & (pairs[1] <= last)
    repeat_times = (pairs[1][keep] - origin) / scaler
    births, born = np.unique((first[cohort] - origin) / scaler, return_counts=True)
    end = (last - origin) / scaler
    boundary = (calibration - origin) / scaler
    # Rows every `step` before and after the calibration end, which is a row itself.
    before = math.floor(boundary / width + 1e-9)
    after = max(1, math.ceil((end - boundary) / width - 1e-9))
    grid = boundary + width * np.arange(-before, after + 1, dtype=np.float64)
    grid = np.minimum(grid[grid > 1e-9], end)
    actual = np.searchsorted(np.sort(repeat_times), grid, side="right").astype(np.float64)
    ages = np.clip(grid[:, None] - births[None, :], 0.0, None)
    expected = np.asarray(
        model.expected_purchases_new_customer(ages.ravel()), dtype=np.float64
    ).reshape(ages.shape)
    model_cumulative: FloatArray = expected @ born.astype(np.float64)
    frame: pd.DataFrame = pd.DataFrame(
        {
            "t": grid,
            "actual_cumulative": actual,
            "model_cumulative": model_cumulative,
            "actual": np.diff(actual, prepend=0.0),
            "model": np.diff(model_cumulative, prepend=0.0),
            "holdout": grid > boundary,
        }
    )
    frame.attrs["calibration_end"] = boundary
    return frame


def transaction_tracking(
    model: NewCustomerModel,
    transactions: object,
    *,
    customer_id: str,
    timestamp: str,
    calibration_end: object,
    observation_end: object = None,
    time_unit: str = "D",
    time_scaler: float = 1.0,
    step: float = 1.0,
) -> pd.DataFrame:
    """Repeat transactions of the calibration cohort per time step: actual and expected.

    The cohort is every customer whose first purchase falls in or before the
    period of ``calibration_end``. Time ``t`` runs in the model's units
    (periods of ``time_unit`` divided by ``time_scaler``, as in
    :func:`~retention_kpis.clv.rfm_summary`) from the cohort's first purchase
    period. Purchases are floored to their period and merged per customer and
    period, as ``rfm_summary`` does; a customer's first purchase period is not
    a repeat transaction. At each ``t``:

    * ``actual_cumulative``: the cohort's repeat purchase periods up to ``t``;
    * ``model_cumulative``: ``sum_i E[X(t - b_i)]`` over the customers born
      (first purchase) at ``b_i < t``, ``E[X(t)]`` being the model's
      ``expected_purchases_new_customer``;

    and ``actual`` and ``model`` their increments per step (Fader, Hardie & Lee
    2005, section 4: weekly tracking of CDNOW over 39 + 39 weeks).

    Parameters
    ----------
    model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        A fitted model with ``expected_purchases_new_customer(t)``, fitted in the
        same time units.
    transactions : DataFrame or LazyFrame
        One row per purchase (pandas, polars, pyarrow, DuckDB, ...). Never modified.
    customer_id, timestamp : str
        Columns of the customer and of the purchase time (datetimes, dates or
        ISO 8601 strings).
    calibration_end : date, datetime, numpy.datetime64 or ISO 8601 str
        Last moment of the calibration period (its whole period included).
    observation_end : date, datetime, numpy.datetime64 or ISO 8601 str, optional
        End of the holdout period (its whole period included); default the last
        purchase. Must fall in a later period than ``calibration_end``.
    time_unit : {"D", "W", "M", "h"}, default="D"
        Period to which purchases are floored (``rfm_summary``'s ``time_unit``).
    time_scaler : float, default=1.0
        Periods per model time unit (7 for days counted in weeks, as for CDNOW).
    step : float, default=1.0
        Spacing of the rows, in model time units, counted from the calibration
        end (a row) both ways; the first row may cover less than a step (from
        ``t = 0``), and so may the last, which sits at the observation end.

    Returns
    -------
    pandas.DataFrame
        Columns ``t``, ``actual_cumulative``, ``model_cumulative``, ``actual``,
        ``model`` and ``holdout`` (``t`` after the calibration end); the
        calibration end in model units is in ``frame.attrs["calibration_end"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> purchases = pd.DataFrame({
    ...     "customer": ["a", "a", "b", "a", "b"],
    ...     "day": ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-12", "2024-01-13"],
    ... })
    >>> tracking = transaction_tracking(
    ...     model, purchases, customer_id="customer", timestamp="day",
    ...     calibration_end="2024-01-08", observation_end="2024-01-15", time_scaler=7,
    ... )
    >>> tracking[["t", "actual_cumulative", "actual", "holdout"]]
         t  actual_cumulative  actual  holdout
    0  1.0                1.0     1.0    False
    1  2.0                3.0     2.0     True
    """
    func = "transaction_tracking"
    return _tracking(
        model,
        transactions,
        customer_id=customer_id,
        timestamp=timestamp,
        calibration_end=calibration_end,
        observation_end=observation_end,
        time_unit=time_unit,
        time_scaler=time_scaler,
        step=step,
        func=func,
    )


def _draw_tracking(
    frame: pd.DataFrame, ax: Axes | None, func: str, *, unit: str, cumulative: bool
) -> Axes:
    name = check_unit(unit, func)
    axes = new_axes(ax, func, size=figure_size(len(frame) / 4, 0))
    suffix = "_cumulative" if cumulative else ""
    axes.plot(frame["t"], frame["actual" + suffix], label="Actual")
    axes.plot(frame["t"], frame["model" + suffix], linestyle="--", label="Model")
    boundary = float(frame.attrs["calibration_end"])
    axes.axvline(boundary, color="0.5", linestyle=":", linewidth=1.0)
    axes.annotate(
        f"end of calibration ({plural(boundary, name)})",
        xy=(boundary, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -3),
        textcoords="offset points",
        va="top",
        fontsize=8,
        color="0.4",
    )
    what = "Cumulative repeat transactions" if cumulative else f"Repeat transactions per {name}"
    axes.set_title(what)
    axes.set_xlabel(f"{name.capitalize()}s since the cohort's first purchase")
    axes.set_ylabel(what)
    axes.yaxis.set_major_formatter("{x:,.0f}")
    axes.legend(loc="lower right" if cumulative else "upper right")
    return axes


def plot_cumulative_transactions(
    model: NewCustomerModel,
    transactions: object,
    *,
    customer_id: str,
    timestamp: str,
    calibration_end: object,
    observation_end: object = None,
    time_unit: str = "D",
    time_scaler: float = 1.0,
    step: float = 1.0,
    unit: str = "period",
    ax: Axes | None = None,
) -> Axes:
    """Draw the cohort's cumulative repeat transactions: actual vs model.

    The numbers are those of :func:`transaction_tracking`.

    A dotted vertical line marks the end of the calibration period.

    Parameters
    ----------
    model, transactions, customer_id, timestamp, calibration_end, observation_end
        As :func:`transaction_tracking`.
    time_unit, time_scaler, step
        As :func:`transaction_tracking`.
    unit : str, default="period"
        The model's time unit, singular (``"week"``), for the axis label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` is the actual series, ``ax.lines[1]`` the model's.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> purchases = pd.DataFrame({"customer": ["a", "a", "b", "a"],
    ...     "day": ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-12"]})
    >>> ax = plot_cumulative_transactions(
    ...     model, purchases, customer_id="customer", timestamp="day",
    ...     calibration_end="2024-01-08", observation_end="2024-01-15", time_scaler=7,
    ...     unit="week",
    ... )
    >>> ax.lines[0].get_ydata().tolist(), ax.get_xlabel()
    ([1.0, 2.0], "Weeks since the cohort's first purchase")
    """
    func = "plot_cumulative_transactions"
    frame = _tracking(
        model,
        transactions,
        customer_id=customer_id,
        timestamp=timestamp,
        calibration_end=calibration_end,
        observation_end=observation_end,
        time_unit=time_unit,
        time_scaler=time_scaler,
        step=step,
        func=func,
    )
    return _draw_tracking(frame, ax, func, unit=unit, cumulative=True)


def plot_incremental_transactions(
    model: NewCustomerModel,
    transactions: object,
    *,
    customer_id: str,
    timestamp: str,
    calibration_end: object,
    observation_end: object = None,
    time_unit: str = "D",
    time_scaler: float = 1.0,
    step: float = 1.0,
    unit: str = "period",
    ax: Axes | None = None,
) -> Axes:
    """Draw the cohort's repeat transactions per step: actual vs model.

    The numbers are those of :func:`transaction_tracking`.

    Parameters
    ----------
    model, transactions, customer_id, timestamp, calibration_end, observation_end
        As :func:`transaction_tracking`.
    time_unit, time_scaler, step
        As :func:`transaction_tracking`.
    unit : str, default="period"
        The model's time unit, singular (``"week"``), for the title and axis label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; default the axes of a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` is the actual series, ``ax.lines[1]`` the model's.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> purchases = pd.DataFrame({"customer": ["a", "a", "b", "a"],
    ...     "day": ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-12"]})
    >>> ax = plot_incremental_transactions(
    ...     model, purchases, customer_id="customer", timestamp="day",
    ...     calibration_end="2024-01-08", observation_end="2024-01-15", time_scaler=7,
    ...     unit="week",
    ... )
    >>> ax.lines[0].get_ydata().tolist(), ax.get_title()
    ([1.0, 1.0], 'Repeat transactions per week')
    """
    func = "plot_incremental_transactions"
    frame = _tracking(
        model,
        transactions,
        customer_id=customer_id,
        timestamp=timestamp,
        calibration_end=calibration_end,
        observation_end=observation_end,
        time_unit=time_unit,
        time_scaler=time_scaler,
        step=step,
        func=func,
    )
    return _draw_tracking(frame, ax, func, unit=unit, cumulative=False)
