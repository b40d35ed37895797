"""RFM summaries of a transaction log: the inputs of the buy-till-you-die models.

:func:`rfm_summary` turns a transaction log into one row per customer with the
sufficient statistics of the BG/NBD, Pareto/NBD and Gamma-Gamma models, in the
vocabulary of lifetimes (``summary_data_from_transaction_data``) and
pymc-marketing (``rfm_summary``). :func:`calibration_holdout_split` adds a
holdout window for out-of-sample checks (lifetimes'
``calibration_and_holdout_data``).

Both accept any frame narwhals supports (pandas, polars eager or lazy, pyarrow,
DuckDB, ...) and return the same kind; on lazy backends the work stays in the
engine (one or two group-bys) and only one-row statistics are collected for
validation.
"""

from __future__ import annotations

from typing import Any

from retention_kpis.clv._rfm_core import prepare, summarise
from retention_kpis.clv._rfm_periods import TimeUnit
from retention_kpis.exceptions import InvalidInputError

__all__ = ["calibration_holdout_split", "rfm_summary"]


def rfm_summary(
    transactions: Any,  # noqa: ANN401 - any native frame narwhals supports
    *,
    customer_id: str,
    timestamp: str,
    monetary_value: str | None = None,
    observation_end: object = None,
    time_unit: TimeUnit = "D",
    time_scaler: float = 1.0,
) -> Any:  # noqa: ANN401 - the caller's kind of frame
    """Recency, frequency, age and mean repeat value of every customer.

    Every timestamp is floored to its period (``time_unit``); purchases in the
    same period are merged into one *purchase period* whose value is the sum of
    their values. Per customer, with periods counted from the first one:

    * ``frequency`` = number of purchase periods - 1 (repeat periods);
    * ``recency`` = (last purchase period - first purchase period) / ``time_scaler``;
    * ``T`` = (period of ``observation_end`` - first purchase period) / ``time_scaler``;
    * ``monetary_value`` = mean value of the repeat periods (the first period
      is left out), 0 when ``frequency`` is 0.

    These are the definitions of lifetimes' ``summary_data_from_transaction_data``
    and pymc-marketing's ``rfm_summary``.

    Parameters
    ----------
    transactions : DataFrame or LazyFrame
        One row per purchase: pandas, polars (eager or lazy), pyarrow, DuckDB or
        any other frame narwhals supports. Never modified.
    customer_id : str
        Column identifying the customer (any type, no nulls).
    timestamp : str
        Column with the purchase time: datetimes (naive or zoned; zoned ones
        are floored in their own wall-clock time), dates, or ISO 8601 strings.
    monetary_value : str, optional
        Numeric column with the purchase value (finite, ``>= 0``). When given,
        the result has a ``monetary_value`` column.
    observation_end : date, datetime, numpy.datetime64 or ISO 8601 str, optional
        End of the observation window, inclusive of its whole period. Default:
        the last timestamp in ``transactions``. Transactions in later periods
        are excluded by definition, so customers whose first purchase comes
        after it are not in the summary.
    time_unit : {"D", "W", "M", "h"}, default="D"
        Period length: calendar day, week (Monday to Sunday, as pandas'
        ``to_period("W")``), calendar month, or hour.
    time_scaler : float, default=1.0
        ``recency`` and ``T`` are divided by it: ``time_unit="D", time_scaler=7``
        counts days but reports weeks (the CDNOW convention).

    Returns
    -------
    DataFrame or LazyFrame
        Same kind as ``transactions``, one row per customer sorted by id, with
        columns ``customer_id`` (named as given), ``frequency`` (Int64),
        ``recency``, ``T`` and, with ``monetary_value``, ``monetary_value``
        (Float64). ``0 <= recency <= T``; ``frequency == 0`` implies
        ``recency == 0``. Empty input gives an empty summary.

    Raises
    ------
    ColumnNotFoundError
        If a named column is missing.
    InvalidInputError
        On null ids or timestamps, timestamps that are not datetimes, dates or
        ISO 8601 strings, null, nan, inf or negative values, a bad
        ``time_unit`` or ``time_scaler <= 0``, or an ``observation_end`` before
        every purchase.

    Examples
    --------
    >>> import pandas as pd
    >>> transactions = pd.DataFrame(
    ...     {
    ...         "customer": ["a", "a", "a", "b"],
    ...         "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08", "2024-01-03"]),
    ...         "amount": [10.0, 5.0, 20.0, 7.0],
    ...     }
    ... )
    >>> rfm_summary(
    ...     transactions, customer_id="customer", timestamp="date", monetary_value="amount",
    ...     observation_end="2024-01-10",
    ... )
      customer  frequency  recency    T  monetary_value
    0        a          1      7.0  9.0            20.0
    1        b          0      0.0  7.0             0.0
    """
    func = "rfm_summary"
    data = prepare(
        transactions,
        func,
        customer_id=customer_id,
        timestamp=timestamp,
        monetary_value=monetary_value,
        time_unit=time_unit,
        time_scaler=time_scaler,
    )
    if observation_end is None:
        end = data.last_period if data.last_period is not None else 0
    else:
        end = data.bound(observation_end, "observation_end", func)
        if data.first_period is not None and end < data.first_period:
            msg = (
                f"The 'observation_end' parameter of {func} must not precede every purchase "
                f"in transactions (with time_unit {time_unit!r}). Got {observation_end!r} instead."
            )
            raise InvalidInputError(msg)
    return data.to_native(summarise(data, calibration=end, observation=end))


def calibration_holdout_split(
    transactions: Any,  # noqa: ANN401 - any native frame narwhals supports
    *,
    customer_id: str,
    timestamp: str,
    calibration_end: object,
    observation_end: object = None,
    monetary_value: str | None = None,
    time_unit: TimeUnit = "D",
    time_scaler: float = 1.0,
) -> Any:  # noqa: ANN401 - the caller's kind of frame
    """RFM summary of a calibration window plus purchases in a holdout window.

    The calibration window holds the periods up to and including the period of
    ``calibration_end``; the holdout window the periods after it, up to and
    including the period of ``observation_end``. Columns ``frequency``,
    ``recency``, ``T`` and ``monetary_value`` are :func:`rfm_summary` of the
    calibration window (``T`` measured to ``calibration_end``); then

    * ``frequency_holdout`` = number of purchase periods in the holdout window;
    * ``duration_holdout`` = (period of ``observation_end`` - period of
      ``calibration_end``) / ``time_scaler``, the same for every customer;
    * ``monetary_value_holdout`` = mean value of the holdout purchase periods
      (a period's value is the sum of its purchases), 0 when there are none.

    As lifetimes' ``calibration_and_holdout_data``, except that both ends are
    taken as whole periods (lifetimes splits at the exact ``calibration_end``
    timestamp, which matters only when it falls inside a period) and that
    ``monetary_value_holdout`` averages purchase periods, as ``monetary_value``
    does (lifetimes averages single holdout transactions).

    Parameters
    ----------
    transactions : DataFrame or LazyFrame
        One row per purchase (see :func:`rfm_summary`). Never modified.
    customer_id, timestamp : str
        Columns of the customer and the purchase time.
    calibration_end : date, datetime, numpy.datetime64 or ISO 8601 str
        Last moment of the calibration window (its whole period included).
        Customers whose first purchase is after it are not in the calibration
        cohort and are left out.
    observation_end : date, datetime, numpy.datetime64 or ISO 8601 str, optional
        End of the holdout window; default: the last timestamp. Must fall in a
        later period than ``calibration_end``.
    monetary_value : str, optional
        Numeric column of purchase values; adds ``monetary_value`` and
        ``monetary_value_holdout``.
    time_unit : {"D", "W", "M", "h"}, default="D"
        Period length (see :func:`rfm_summary`).
    time_scaler : float, default=1.0
        Divides ``recency``, ``T`` and ``duration_holdout``.

    Returns
    -------
    DataFrame or LazyFrame
        Same kind as ``transactions``, one row per calibration customer sorted
        by id: ``customer_id``, ``frequency``, ``recency``, ``T``,
        [``monetary_value``], ``frequency_holdout``, ``duration_holdout``,
        [``monetary_value_holdout``].

    Raises
    ------
    ColumnNotFoundError
        If a named column is missing.
    InvalidInputError
        As :func:`rfm_summary`; also when ``calibration_end`` is not in an
        earlier period than ``observation_end`` or precedes every purchase.

    Examples
    --------
    >>> import pandas as pd
    >>> transactions = pd.DataFrame(
    ...     {
    ...         "customer": [1, 1, 1, 2, 3],
    ...         "date": pd.to_datetime(
    ...             ["2024-01-01", "2024-01-05", "2024-01-12", "2024-01-02", "2024-01-11"]
    ...         ),
    ...     }
    ... )
    >>> calibration_holdout_split(
    ...     transactions, customer_id="customer", timestamp="date",
    ...     calibration_end="2024-01-07", observation_end="2024-01-14",
    ... )
       customer  frequency  recency    T  frequency_holdout  duration_holdout
    0         1          1      4.0  6.0                  1               7.0
    1         2          0      0.0  5.0                  0               7.0
    """
    func = "calibration_holdout_split"
    data = prepare(
        transactions,
        func,
        customer_id=customer_id,
        timestamp=timestamp,
        monetary_value=monetary_value,
        time_unit=time_unit,
        time_scaler=time_scaler,
    )
    calibration = data.bound(calibration_end, "calibration_end", func)
    if observation_end is None:
        end = data.last_period if data.last_period is not None else calibration + 1
    else:
        end = data.bound(observation_end, "observation_end", func)
    if calibration >= end:
        given = "the last purchase" if observation_end is None else observation_end
        msg = (
            f"The 'calibration_end' parameter of {func} must fall in an earlier period than "
            f"observation_end ({given}, time_unit {time_unit!r}). Got {calibration_end!r} instead."
        )
        raise InvalidInputError(msg)
    if data.first_period is not None and calibration < data.first_period:
        msg = (
            f"The 'calibration_end' parameter of {func} must not precede every purchase in "
            f"transactions (with time_unit {time_unit!r}). Got {calibration_end!r} instead."
        )
        raise InvalidInputError(msg)
    return data.to_native(summarise(data, calibration=calibration, observation=end))
