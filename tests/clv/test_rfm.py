"""Tests of retention_kpis.clv.rfm (rfm_summary, calibration_holdout_split)."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal

import narwhals.stable.v2 as nw
import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import ColumnNotFoundError, InvalidInputError
from retention_kpis.clv import calibration_holdout_split, rfm_summary
from retention_kpis.datasets import load_cdnow_summary

SUMMARY = ["frequency", "recency", "T"]


# ----------------------------------------------------------------------------- helpers


def to_pandas(result):
    frame = nw.from_native(result)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


def ts(values):
    return pd.to_datetime(values, format="ISO8601")


def tiny():
    # a: 2024-01-01 (10 + 5, one day), 2024-01-08 (20); b: 2024-01-03 (7); c: 2024-01-20 (4).
    return pd.DataFrame(
        {
            "customer": ["a", "a", "a", "b", "c"],
            "date": ts(
                ["2024-01-01 09:00", "2024-01-01 18:30", "2024-01-08", "2024-01-03", "2024-01-20"]
            ),
            "amount": [10.0, 5.0, 20.0, 7.0, 4.0],
        }
    )


# ----------------------------------------------------------------------------- published data


def test_rfm_summary_matches_cdnow_customers_summary_39_weeks(cdnow_sample):
    # load_cdnow_summary() (lifetimes' copy of Fader-Hardie-Lee 2005 BG/NBD data; its x, t_x,
    # T equal cdnow_customers_summary.csv): x, t_x, T in weeks over the 39-week calibration
    # ending 1997-09-30, rounded to 2 decimals. cdnow_sample: tests/data/CDNOW_sample.txt.gz.
    # The convention that reproduces it: days, observation_end = 1997-09-30 inclusive, /7.
    summary = rfm_summary(
        cdnow_sample,
        customer_id="id",
        timestamp="date",
        observation_end="1997-09-30",
        time_unit="D",
        time_scaler=7,
    )
    expected = load_cdnow_summary()
    assert len(summary) == len(expected) == 2357
    merged = summary.merge(expected, left_on="id", right_on="customer_id", suffixes=("", "_paper"))
    assert len(merged) == 2357
    assert (merged["frequency"] == merged["frequency_paper"]).all()
    assert (merged["recency"].round(2) == merged["recency_paper"]).all()
    assert (merged["T"].round(2) == merged["T_paper"]).all()
    # customer 1 bought on 1997-01-01, 01-18, 08-02 (and 12-12, after the cut):
    # x = 2, t_x = 213 days / 7, T = 272 days / 7.
    first = summary.iloc[0]
    assert (first["frequency"], first["recency"], first["T"]) == (2, 213 / 7, 272 / 7)


def test_monetary_value_matches_cdnow_zbar_rounded_half_up(cdnow_sample):
    # zbar in cdnow_customers_summary_with_transactions.csv (load_cdnow_summary()'s
    # monetary_value) is the mean of the repeat
    # purchase days' spend (same-day purchases summed), 0 with no repeats, written to
    # cents with round-half-up (e.g. customer 1: (14.96 + 29.73) / 2 = 22.345 -> 22.35).
    summary = rfm_summary(
        cdnow_sample,
        customer_id="id",
        timestamp="date",
        monetary_value="value",
        observation_end="1997-09-30",
        time_scaler=7,
    )
    expected = load_cdnow_summary().rename(columns={"frequency": "x", "monetary_value": "zbar"})
    merged = summary.merge(expected, left_on="id", right_on="customer_id")
    assert len(merged) == 2357
    cents = [
        float(Decimal(f"{value:.9f}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        for value in merged["monetary_value"]
    ]
    assert cents == merged["zbar"].tolist()
    assert (merged["frequency"] == merged["x"]).all()


@pytest.mark.parametrize(
    ("options", "sums", "rows"),
    [
        # lifetimes 0.11.3, summary_data_from_transaction_data(df, "id", "date", **kwargs) on
        # example_transactions.csv (tests/data) read with pd.read_csv (dates as strings);
        # sums of the columns and .loc[[0, 1, 7]] (run in /work/benchvenv, pandas 3.0).
        (
            {},
            (9270, 121356.0, 1211978.0),
            {0: (0, 0.0, 298.0), 1: (0, 0.0, 224.0), 7: (1, 1.0, 316.0)},
        ),
        (  # freq="W"
            {"time_unit": "W"},
            (6052, 17363.0, 173884.0),
            {0: (0, 0.0, 43.0), 1: (0, 0.0, 32.0), 7: (0, 0.0, 45.0)},
        ),
        (  # freq="D", freq_multiplier=7
            {"time_scaler": 7},
            (9270, 17336.571428571428, 173139.71428571426),
            {0: (0, 0.0, 42.57142857142857), 1: (0, 0.0, 32.0), 7: (1, 1 / 7, 45.142857142857146)},
        ),
        (  # observation_period_end="2014-06-30": 3,711 customers
            {"observation_end": "2014-06-30"},
            (4893, 46484.0, 333238.0),
            {0: (0, 0.0, 114.0), 1: (0, 0.0, 40.0), 7: (1, 1.0, 132.0)},
        ),
    ],
)
def test_rfm_summary_matches_lifetimes_on_example_transactions(data_dir, options, sums, rows):
    frequency, recency, T = sums
    transactions = pd.read_csv(data_dir / "example_transactions.csv.gz")
    summary = rfm_summary(transactions, customer_id="id", timestamp="date", **options)
    assert summary["frequency"].sum() == frequency
    assert summary["recency"].sum() == pytest.approx(recency, rel=1e-12)
    assert summary["T"].sum() == pytest.approx(T, rel=1e-12)
    indexed = summary.set_index("id")
    for customer, row in rows.items():
        assert tuple(indexed.loc[customer, SUMMARY]) == pytest.approx(row, rel=1e-12)
    assert len(summary) == (3711 if "observation_end" in options else 5000)


def test_calibration_holdout_split_matches_lifetimes_on_example_transactions(data_dir):
    # lifetimes 0.11.3 calibration_and_holdout_data(df, "id", "date", calibration_period_end=
    # "2014-09-01", observation_period_end="2014-12-31", monetary_value_col="one") with a
    # constant column one = 1.0 (lifetimes fails without a value column under pandas 3).
    # Sums: frequency_cal 7346, recency_cal 75496, T_cal 606978, monetary_value_cal
    # 2556.279370397218, frequency_holdout 1924, duration_holdout 605000 (= 5000 * 121).
    transactions = pd.read_csv(data_dir / "example_transactions.csv.gz")
    transactions["one"] = 1.0
    split = calibration_holdout_split(
        transactions,
        customer_id="id",
        timestamp="date",
        monetary_value="one",
        calibration_end="2014-09-01",
        observation_end="2014-12-31",
    )
    assert len(split) == 5000
    assert split["frequency"].sum() == 7346
    assert split["recency"].sum() == 75496.0
    assert split["T"].sum() == 606978.0
    assert split["monetary_value"].sum() == pytest.approx(2556.279370397218, rel=1e-12)
    assert split["frequency_holdout"].sum() == 1924
    assert (split["duration_holdout"] == 121.0).all()
    row7 = split.set_index("id").loc[7]
    assert tuple(row7[["frequency", "recency", "T", "frequency_holdout"]]) == (1, 1.0, 195.0, 0)


def test_calibration_holdout_split_matches_lifetimes_on_cdnow(cdnow_sample):
    # lifetimes 0.11.3 calibration_and_holdout_data(tx, "id", "date", monetary_value_col="value",
    # calibration_period_end="1997-09-30", observation_period_end="1998-06-30", freq="D",
    # freq_multiplier=7). Sums: frequency_cal 2457, recency_cal 16135.57142857143,
    # T_cal 77111.28571428571, monetary_value_cal 33183.643766870584, frequency_holdout 1882,
    # duration_holdout 91923 (= 2357 * 39 weeks). monetary_value_holdout differs on purpose:
    # lifetimes averages single holdout transactions, we average purchase days.
    split = calibration_holdout_split(
        cdnow_sample,
        customer_id="id",
        timestamp="date",
        monetary_value="value",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_scaler=7,
    )
    assert len(split) == 2357
    assert split["frequency"].sum() == 2457
    assert split["recency"].sum() == pytest.approx(16135.57142857143, rel=1e-12)
    assert split["T"].sum() == pytest.approx(77111.28571428571, rel=1e-12)
    assert split["monetary_value"].sum() == pytest.approx(33183.643766870584, rel=1e-12)
    assert split["frequency_holdout"].sum() == 1882
    assert (split["duration_holdout"] == 39.0).all()


# ----------------------------------------------------------------------------- hand calculations


def test_rfm_summary_merges_same_day_purchases_hand_calculation(constructor):
    # a: days {Jan 1 (10 + 5), Jan 8 (20)} -> frequency 1, recency 7, T 19 (Jan 1 -> Jan 20),
    #    monetary = mean of repeat days = 20. b: one day -> 0, 0, T 17. c: 0, 0, T 0.
    summary = to_pandas(
        rfm_summary(
            constructor(tiny()), customer_id="customer", timestamp="date", monetary_value="amount"
        )
    )
    assert summary.columns.tolist() == ["customer", *SUMMARY, "monetary_value"]
    assert summary["customer"].tolist() == ["a", "b", "c"]
    assert summary["frequency"].tolist() == [1, 0, 0]
    assert summary["recency"].tolist() == [7.0, 0.0, 0.0]
    assert summary["T"].tolist() == [19.0, 17.0, 0.0]
    assert summary["monetary_value"].tolist() == [20.0, 0.0, 0.0]


def test_rfm_summary_returns_the_callers_kind_of_frame(constructor):
    native = constructor(tiny())
    result = rfm_summary(native, customer_id="customer", timestamp="date")
    assert type(nw.to_native(nw.from_native(result))) is type(native)


def test_rfm_summary_sums_a_periods_purchases_before_averaging():
    # Days: Jan 1 (1), Jan 2 (3 + 5 = 8), Jan 3 (2) -> repeat days 8 and 2 -> mean 5
    # (a mean of single repeat purchases would be (3 + 5 + 2) / 3 = 3.33).
    transactions = pd.DataFrame(
        {
            "c": [1, 1, 1, 1],
            "t": ts(["2024-01-01", "2024-01-02 08:00", "2024-01-02 20:00", "2024-01-03"]),
            "v": [1.0, 3.0, 5.0, 2.0],
        }
    )
    summary = rfm_summary(transactions, customer_id="c", timestamp="t", monetary_value="v")
    assert summary.loc[0, ["frequency", "monetary_value"]].tolist() == [2, 5.0]


def test_rfm_summary_weeks_run_monday_to_sunday():
    # 2024-01-07 is a Sunday, 2024-01-08 a Monday: Sun and the previous Mon share a week.
    # a: Mon Jan 1, Sun Jan 7 -> one week -> frequency 0; then Mon Jan 8 -> frequency 1, recency 1.
    # observation_end Wed Jan 17 is in the week of Mon Jan 15 -> T = 2 weeks.
    transactions = pd.DataFrame(
        {"c": ["a", "a", "a"], "t": ts(["2024-01-01", "2024-01-07 23:59", "2024-01-08"])}
    )
    summary = rfm_summary(
        transactions, customer_id="c", timestamp="t", time_unit="W", observation_end="2024-01-17"
    )
    assert summary.loc[0, SUMMARY].tolist() == [1, 1.0, 2.0]


def test_rfm_summary_months_are_calendar_months():
    # Jan 31 -> Feb 1 is one calendar month; Jan 31 -> Mar 15 observation end is 2 months.
    transactions = pd.DataFrame(
        {"c": [1, 1, 1], "t": ts(["2023-01-31", "2023-02-01", "2023-02-28"])}
    )
    summary = rfm_summary(
        transactions, customer_id="c", timestamp="t", time_unit="M", observation_end="2023-03-15"
    )
    assert summary.loc[0, SUMMARY].tolist() == [1, 1.0, 2.0]


def test_rfm_summary_hours_with_a_scaler_of_24_gives_fractional_days():
    # lifetimes' docstring example: freq="h", freq_multiplier=24 gives recency in days with
    # hour resolution. 10:15 and 10:50 share hour 10; 2024-01-02 16:00 is 30 hours after 10:00
    # -> recency 30 / 24 = 1.25; T to 2024-01-03 10:00 = 48 / 24 = 2.
    transactions = pd.DataFrame(
        {"c": [1, 1, 1], "t": ts(["2024-01-01 10:15", "2024-01-01 10:50", "2024-01-02 16:00"])}
    )
    summary = rfm_summary(
        transactions,
        customer_id="c",
        timestamp="t",
        time_unit="h",
        time_scaler=24,
        observation_end=dt.datetime(2024, 1, 3, 10, 30),  # noqa: DTZ001 - naive on purpose
    )
    assert summary.loc[0, SUMMARY].tolist() == [1, 1.25, 2.0]


def test_rfm_summary_excludes_purchases_after_observation_end():
    # observation_end Jan 5: a keeps Jan 1 only (frequency 0, T 4); c (first purchase Jan 20)
    # is not in the summary.
    summary = rfm_summary(
        tiny(), customer_id="customer", timestamp="date", observation_end=dt.date(2024, 1, 5)
    )
    assert summary["customer"].tolist() == ["a", "b"]
    assert summary["T"].tolist() == [4.0, 2.0]
    assert summary["frequency"].tolist() == [0, 0]


def test_rfm_summary_observation_end_includes_its_whole_day():
    # Jan 8 00:00 as observation end still counts the purchase at Jan 8 (and one at 15:00).
    transactions = pd.DataFrame({"c": [1, 1], "t": ts(["2024-01-01", "2024-01-08 15:00"])})
    summary = rfm_summary(
        transactions, customer_id="c", timestamp="t", observation_end=np.datetime64("2024-01-08")
    )
    assert summary.loc[0, SUMMARY].tolist() == [1, 7.0, 7.0]


def test_rfm_summary_floors_zoned_timestamps_in_their_wall_clock():
    # 2024-01-01 23:30 in Tokyo is 14:30 UTC; in Tokyo wall-clock time the two purchases are on
    # Jan 1 and Jan 2 (frequency 1), though both are on Jan 1 in UTC.
    times = ts(["2024-01-01 08:00", "2024-01-02 00:30"]).tz_localize("Asia/Tokyo")
    transactions = pd.DataFrame({"c": [1, 1], "t": times})
    summary = rfm_summary(transactions, customer_id="c", timestamp="t")
    assert summary.loc[0, SUMMARY].tolist() == [1, 1.0, 1.0]
    # A zoned observation_end is converted to the column's zone: 2024-01-02 16:00 UTC is
    # 2024-01-03 01:00 in Tokyo -> T = 2 days.
    zoned_end = dt.datetime(2024, 1, 2, 16, tzinfo=dt.timezone.utc)
    summary = rfm_summary(transactions, customer_id="c", timestamp="t", observation_end=zoned_end)
    assert summary.loc[0, "T"] == 2.0


def test_rfm_summary_accepts_dates_and_iso_strings(constructor):
    dates = pd.DataFrame(
        {"c": [1, 1, 2], "t": [dt.date(2024, 1, 1), dt.date(2024, 1, 3), dt.date(2024, 1, 2)]}
    )
    dates["t"] = dates["t"].astype("date32[pyarrow]")
    strings = pd.DataFrame(
        {"c": [1, 1, 2], "t": ["2024-01-01", "2024-01-03 12:00:00", "2024-01-02T08:00"]}
    )
    for frame in (dates, strings):
        summary = to_pandas(rfm_summary(constructor(frame), customer_id="c", timestamp="t"))
        assert summary[SUMMARY].to_numpy().tolist() == [[1, 2.0, 2.0], [0, 0.0, 1.0]]


def test_calibration_holdout_split_hand_calculation(constructor):
    # calibration to Jan 7, observation to Jan 14.
    # 1: Jan 1, Jan 5 | Jan 12 (2 purchases: 3 + 4), Jan 13 (6): cal x=1, t_x=4, T=6;
    #    holdout periods 2, value mean (7 + 6) / 2 = 6.5. calibration repeat mean = 2.
    # 2: Jan 2 | nothing -> 0, 0, 5, holdout 0, 0. 3: first purchase Jan 11 -> not in the cohort.
    transactions = pd.DataFrame(
        {
            "c": [1, 1, 1, 1, 1, 2, 3],
            "t": ts(
                [
                    "2024-01-01",
                    "2024-01-05",
                    "2024-01-12 09:00",
                    "2024-01-12 10:00",
                    "2024-01-13",
                    "2024-01-02",
                    "2024-01-11",
                ]
            ),
            "v": [1.0, 2.0, 3.0, 4.0, 6.0, 5.0, 9.0],
        }
    )
    split = to_pandas(
        calibration_holdout_split(
            constructor(transactions),
            customer_id="c",
            timestamp="t",
            monetary_value="v",
            calibration_end="2024-01-07",
            observation_end="2024-01-14",
        )
    )
    assert split.columns.tolist() == [
        "c",
        *SUMMARY,
        "monetary_value",
        "frequency_holdout",
        "duration_holdout",
        "monetary_value_holdout",
    ]
    assert split.to_numpy().tolist() == [
        [1, 1, 4.0, 6.0, 2.0, 2, 7.0, 6.5],
        [2, 0, 0.0, 5.0, 0.0, 0, 7.0, 0.0],
    ]


def test_calibration_holdout_split_defaults_observation_end_to_last_purchase():
    # Last purchase Jan 20 -> duration 20 - 7 = 13 days; a's Jan 8 is holdout.
    split = calibration_holdout_split(
        tiny(), customer_id="customer", timestamp="date", calibration_end="2024-01-07"
    )
    assert split["customer"].tolist() == ["a", "b"]
    assert split["frequency_holdout"].tolist() == [1, 0]
    assert split["duration_holdout"].tolist() == [13.0, 13.0]


def test_calibration_end_takes_its_whole_period():
    # Weeks run Monday to Sunday. calibration_end Wed 2024-01-10 puts its whole week
    # (Mon Jan 8 - Sun Jan 14) in calibration, so Fri Jan 12 is a calibration purchase:
    # weeks of Jan 1 and Jan 8 -> frequency 1, recency 1, T = 1; Tue Jan 23 is in the holdout.
    # observation_end Sun Jan 28 is in the week of Mon Jan 22 -> duration 3 - 1 = 2 weeks.
    transactions = pd.DataFrame(
        {"c": [1, 1, 1], "t": ts(["2024-01-01", "2024-01-12 17:00", "2024-01-23"])}
    )
    split = calibration_holdout_split(
        transactions,
        customer_id="c",
        timestamp="t",
        time_unit="W",
        calibration_end="2024-01-10",
        observation_end="2024-01-28",
    )
    assert split.to_numpy().tolist() == [[1, 1, 1.0, 1.0, 1, 2.0]]


def test_empty_transactions_give_an_empty_summary(constructor):
    empty = tiny().iloc[:0]
    summary = to_pandas(
        rfm_summary(
            constructor(empty), customer_id="customer", timestamp="date", monetary_value="amount"
        )
    )
    assert summary.columns.tolist() == ["customer", *SUMMARY, "monetary_value"]
    assert len(summary) == 0


# ----------------------------------------------------------------------------- bad input


def test_missing_columns_are_listed():
    with pytest.raises(ColumnNotFoundError) as error:
        rfm_summary(tiny(), customer_id="user", timestamp="date", monetary_value="revenue")
    assert str(error.value) == (
        "Missing column(s) ['user', 'revenue'] in transactions for rfm_summary. "
        "Available columns: ['customer', 'date', 'amount'].\n"
        "Hint: pass your column names as customer_id=, timestamp= and monetary_value=."
    )


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (
            "customer",
            None,
            "Column 'customer' (customer_id) of transactions has 1 row with a null id.",
        ),
        ("date", pd.NaT, "Column 'date' (timestamp) of transactions has 1 row with no time."),
        (
            "amount",
            np.nan,
            "Column 'amount' (monetary_value) of transactions has 1 row with no value.",
        ),
        (
            "amount",
            -2.0,
            (
                "Column 'amount' (monetary_value) of transactions must be >= 0. Got 1 row with a "
                "negative value instead.\nHint: net refunds against their purchases first."
            ),
        ),
    ],
)
def test_bad_values_are_counted_in_the_message(column, value, message):
    transactions = tiny()
    transactions.loc[1, column] = value
    with pytest.raises(InvalidInputError) as error:
        rfm_summary(transactions, customer_id="customer", timestamp="date", monetary_value="amount")
    assert str(error.value) == message


def test_infinite_and_nan_values_are_rejected_on_polars():
    transactions = pl.from_pandas(tiny()).with_columns(
        amount=pl.Series([1.0, float("nan"), math.inf, 2.0, 3.0])
    )
    with pytest.raises(InvalidInputError) as error:
        rfm_summary(transactions, customer_id="customer", timestamp="date", monetary_value="amount")
    assert str(error.value) == (
        "Column 'amount' (monetary_value) of transactions must be finite. Got 2 rows with nan or inf instead."
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"time_unit": "Y"},
            "The 'time_unit' parameter of rfm_summary must be one of ['h', 'D', 'W', 'M']. Got 'Y' instead.",
        ),
        (
            {"time_scaler": 0},
            "The 'time_scaler' parameter of rfm_summary must be > 0. Got 0 instead.",
        ),
        (
            {"time_scaler": -7.0},
            "The 'time_scaler' parameter of rfm_summary must be > 0. Got -7.0 instead.",
        ),
        (
            {"observation_end": "2023-12-31"},
            (
                "The 'observation_end' parameter of rfm_summary must not precede every purchase in "
                "transactions (with time_unit 'D'). Got '2023-12-31' instead."
            ),
        ),
        (
            {"observation_end": "yesterday"},
            (
                "The 'observation_end' parameter of rfm_summary must be an ISO 8601 date or datetime. "
                "Got 'yesterday' instead."
            ),
        ),
        (
            {"observation_end": 20240101},
            (
                "The 'observation_end' parameter of rfm_summary must be a date, datetime or ISO 8601 "
                "string. Got 20240101 instead."
            ),
        ),
        (
            {"observation_end": dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc)},
            (
                "The 'observation_end' parameter of rfm_summary is time-zone aware but the "
                "timestamp column is not. Got datetime.datetime(2024, 2, 1, 0, 0, "
                "tzinfo=datetime.timezone.utc) instead.\nHint: pass a naive date or datetime."
            ),
        ),
    ],
)
def test_bad_parameters_use_the_message_template(options, message):
    with pytest.raises(InvalidInputError) as error:
        rfm_summary(tiny(), customer_id="customer", timestamp="date", **options)
    assert str(error.value) == message


def test_calibration_end_must_precede_observation_end_and_some_purchase():
    with pytest.raises(InvalidInputError) as error:
        calibration_holdout_split(
            tiny(),
            customer_id="customer",
            timestamp="date",
            calibration_end="2024-01-10 12:00",
            observation_end="2024-01-10",
        )
    assert str(error.value) == (
        "The 'calibration_end' parameter of calibration_holdout_split must fall in an earlier "
        "period than observation_end (2024-01-10, time_unit 'D'). Got '2024-01-10 12:00' instead."
    )
    with pytest.raises(InvalidInputError) as error:
        calibration_holdout_split(
            tiny(), customer_id="customer", timestamp="date", calibration_end="2023-06-01"
        )
    assert str(error.value) == (
        "The 'calibration_end' parameter of calibration_holdout_split must not precede every "
        "purchase in transactions (with time_unit 'D'). Got '2023-06-01' instead."
    )


def test_non_temporal_and_unparseable_timestamps_are_rejected():
    numbers = tiny().assign(date=[20240101, 20240101, 20240108, 20240103, 20240120])
    with pytest.raises(
        InvalidInputError, match=r"must hold datetimes, dates or ISO 8601 strings\. Got dtype Int64"
    ):
        rfm_summary(numbers, customer_id="customer", timestamp="date")
    garbage = tiny().assign(date=["2024-01-01", "soon", "2024-01-08", "later", "2024-01-20"])
    with pytest.raises(
        InvalidInputError, match=re.escape("holds 2 rows that cannot be parsed as ISO 8601")
    ):
        rfm_summary(garbage, customer_id="customer", timestamp="date")


def test_non_numeric_monetary_column_and_clashing_names_are_rejected():
    with pytest.raises(InvalidInputError) as error:
        rfm_summary(tiny(), customer_id="customer", timestamp="date", monetary_value="customer")
    assert str(error.value) == (
        "Column 'customer' (monetary_value) of transactions must be numeric. Got dtype String instead."
    )
    with pytest.raises(InvalidInputError) as error:
        rfm_summary(tiny().rename(columns={"customer": "T"}), customer_id="T", timestamp="date")
    assert str(error.value) == (
        "The 'customer_id' parameter of rfm_summary names a column of the result. Got 'T' instead.\n"
        "Hint: rename the customer column first."
    )


def test_non_frames_are_rejected():
    with pytest.raises(InvalidInputError) as error:
        rfm_summary([1, 2], customer_id="c", timestamp="t")
    assert str(error.value) == (
        "The 'transactions' parameter of rfm_summary must be a dataframe narwhals supports "
        "(pandas, polars, pyarrow, DuckDB, ...). Got list instead."
    )
    with pytest.raises(
        InvalidInputError, match=r"must be a dataframe narwhals supports .* Got Series"
    ):
        rfm_summary(pl.Series([1, 2]), customer_id="c", timestamp="t")


# ----------------------------------------------------------------------------- properties

EPOCH = dt.datetime(2020, 1, 1)  # noqa: DTZ001 - naive wall-clock times on purpose


def floor_key(moment, time_unit):
    """Period start of a datetime, by calendar arithmetic (independent of the library)."""
    if time_unit == "h":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = dt.datetime(moment.year, moment.month, moment.day)  # noqa: DTZ001 - wall clock
    if time_unit == "W":
        return day - dt.timedelta(days=day.weekday())
    if time_unit == "M":
        return dt.datetime(moment.year, moment.month, 1)  # noqa: DTZ001 - wall clock
    return day


def periods_between(start, end, time_unit):
    if time_unit == "M":
        return (end.year - start.year) * 12 + end.month - start.month
    hours = (end - start) / dt.timedelta(hours=1)
    return {"h": hours, "D": hours / 24, "W": hours / 168}[time_unit]


def brute_force_summary(rows, time_unit, scaler):
    """Definition of the summary, customer by customer, in plain Python."""
    observation_end = floor_key(max(moment for _, moment, _ in rows), time_unit)
    by_customer: dict[int, dict[dt.datetime, float]] = {}
    for customer, moment, value in rows:
        periods = by_customer.setdefault(customer, {})
        key = floor_key(moment, time_unit)
        periods[key] = periods.get(key, 0.0) + value
    summary = {}
    for customer, periods in by_customer.items():
        keys = sorted(periods)
        repeats = [periods[key] for key in keys[1:]]
        summary[customer] = (
            len(keys) - 1,
            periods_between(keys[0], keys[-1], time_unit) / scaler,
            periods_between(keys[0], observation_end, time_unit) / scaler,
            sum(repeats) / len(repeats) if repeats else 0.0,
        )
    return summary


transaction_rows = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.integers(0, 24 * 400).map(lambda hours: EPOCH + dt.timedelta(hours=hours, minutes=7)),
        st.integers(0, 10_000).map(lambda cents: cents / 100),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    rows=transaction_rows,
    time_unit=st.sampled_from(["h", "D", "W", "M"]),
    scaler=st.sampled_from([1.0, 7.0, 2.5]),
    seed=st.integers(0, 2**32 - 1),
)
def test_summary_matches_brute_force_definition_and_invariants(rows, time_unit, scaler, seed):
    frame = pd.DataFrame(rows, columns=["c", "t", "v"])
    original = frame.copy()
    summary = rfm_summary(
        frame,
        customer_id="c",
        timestamp="t",
        monetary_value="v",
        time_unit=time_unit,
        time_scaler=scaler,
    )
    pd.testing.assert_frame_equal(frame, original)  # input not mutated
    expected = brute_force_summary(rows, time_unit, scaler)
    assert summary["c"].tolist() == sorted(expected)
    for customer, frequency, recency, T, monetary in summary.itertuples(index=False):
        want = expected[customer]
        assert (frequency, recency, T) == pytest.approx(want[:3], rel=1e-12, abs=1e-12)
        assert monetary == pytest.approx(want[3], rel=1e-9, abs=1e-9)
        transactions = sum(1 for row in rows if row[0] == customer)
        assert frequency <= transactions - 1
        assert 0 <= recency <= T
        if frequency == 0:
            assert recency == 0.0
            assert monetary == 0.0
    shuffled = frame.sample(frac=1.0, random_state=seed % 2**32).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        rfm_summary(
            shuffled,
            customer_id="c",
            timestamp="t",
            monetary_value="v",
            time_unit=time_unit,
            time_scaler=scaler,
        ),
        summary,
    )
    on_polars = rfm_summary(
        pl.from_pandas(frame),
        customer_id="c",
        timestamp="t",
        monetary_value="v",
        time_unit=time_unit,
        time_scaler=scaler,
    )
    pd.testing.assert_frame_equal(on_polars.to_pandas(), summary, check_dtype=False)


@settings(max_examples=30, deadline=None)
@given(rows=transaction_rows, cut=st.integers(1, 399))
def test_split_holdout_counts_add_up_to_the_full_summary(rows, cut):
    # Calibration frequency + 1 + holdout frequency = number of distinct days up to the end,
    # and holdout frequency never exceeds the holdout duration in days.
    frame = pd.DataFrame(rows, columns=["c", "t", "v"])
    calibration_end = EPOCH + dt.timedelta(days=cut)
    observation_end = EPOCH + dt.timedelta(days=401)
    first = frame.groupby("c")["t"].min()
    if (first > calibration_end + dt.timedelta(days=1)).all():
        return
    split = calibration_holdout_split(
        frame,
        customer_id="c",
        timestamp="t",
        calibration_end=calibration_end,
        observation_end=observation_end,
    )
    full = rfm_summary(
        frame, customer_id="c", timestamp="t", observation_end=observation_end
    ).set_index("c")
    split = split.set_index("c")
    assert set(split.index) == {c for c, t in first.items() if t.normalize() <= calibration_end}
    totals = split["frequency"] + split["frequency_holdout"]
    assert (totals == full.loc[split.index, "frequency"]).all()
    assert (split["frequency_holdout"] <= split["duration_holdout"]).all()
    assert (split["T"] == full.loc[split.index, "T"] - (401 - cut)).all()
