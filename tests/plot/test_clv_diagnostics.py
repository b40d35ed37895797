"""The CLV diagnostic data and plots on CDNOW (Fader, Hardie & Lee 2005, 1/10 sample).

Sources of the expected values, per test:
- the repeat-purchase histogram 1411, 439, 214, 100, 62, 38, 29, 64 (0..6, 7+) and the
  2,457 calibration repeat purchases are counts of the published per-customer summary
  (``load_cdnow_summary()``, FHL's 39-week calibration), which
  ``calibration_holdout_split`` reproduces from the transactions (tests/clv/test_rfm.py);
- the BG/NBD parameters r=0.243, alpha=4.414, a=0.793, b=2.426 and the Pareto/NBD ones are
  FHL's section 4 estimates;
- model expectations are recomputed here from closed forms with scipy, independently of
  the library: P(X(t)=0) = (alpha/(alpha+t))^r (FHL eq. 8 at x=0), E[X(t)] of FHL eq. 9
  with scipy.special.hyp2f1, P(alive) of FHL eq. 11 (their appendix) written out by hand.
- FHL section 5's published conditional expectation (x=2, t_x=30.43, T=38.86: 1.226
  purchases in the next 39 weeks), and lifetimes 0.11.3's P(alive) and E[X(39)], E[X(78)]
  at FHL's parameters (the values tests/clv/test_bgnbd.py pins), for one customer.
The paper's figures (the calibration histogram, weekly tracking, conditional expectations)
give no numbers in the text that could be retrieved for this work, so none is read off them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from retention_kpis.clv import BetaGeoModel, ParetoNBDModel, calibration_holdout_split
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError
from retention_kpis.plot import (
    calibration_vs_holdout_purchases,
    period_transactions,
    plot_calibration_purchases_vs_holdout_purchases,
    plot_cumulative_transactions,
    plot_history_alive,
    plot_incremental_transactions,
    plot_period_transactions,
    probability_alive_history,
    transaction_tracking,
)

R, ALPHA, A, B = 0.243, 4.414, 0.793, 2.426
BGNBD = BetaGeoModel.from_params(r=R, alpha=ALPHA, a=A, b=B)
PARETO = ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669)
SPLIT = {
    "customer_id": "customer_id",
    "timestamp": "date",
    "calibration_end": "1997-09-30",
    "observation_end": "1998-06-30",
    "time_scaler": 7,
}
HISTOGRAM = [1411, 439, 214, 100, 62, 38, 29, 64]


@pytest.fixture(scope="module")
def summary(cdnow_sample):
    return calibration_holdout_split(cdnow_sample, **SPLIT)


def _expected_new_customer(t):
    """FHL (2005) eq. 9: E[X(t)] = (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]."""
    t = np.asarray(t, dtype=float)
    return (
        (A + B - 1)
        / (A - 1)
        * (1 - (ALPHA / (ALPHA + t)) ** R * hyp2f1(R, B, A + B - 1, t / (ALPHA + t)))
    )


def _alive(x, t_x, T):
    """FHL (2005) eq. 11: P(alive) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha+T)/(alpha+t_x))^(r+x))."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    odds = np.where(x > 0, A / (B + x - 1) * ((ALPHA + T) / (ALPHA + t_x)) ** (R + x), 0.0)
    return 1 / (1 + odds)


def test_period_transactions_counts_the_published_cdnow_histogram(summary):
    table = period_transactions(BGNBD, summary)
    assert table["frequency"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["actual"].tolist() == HISTOGRAM
    assert table["model"].sum() == pytest.approx(2357, rel=1e-12)  # every customer once
    # The published per-customer summary itself (T rounded to 2 decimals there) gives the
    # same histogram and, to the rounding of T, the same expectations.
    published = period_transactions(BGNBD, load_cdnow_summary())
    assert published["actual"].tolist() == HISTOGRAM
    np.testing.assert_allclose(published["model"], table["model"], rtol=1e-4)


def test_period_transactions_zero_class_matches_the_closed_form(summary):
    table = period_transactions(BGNBD, summary)
    expected_zero = np.sum((ALPHA / (ALPHA + summary["T"].to_numpy())) ** R)
    assert table["model"].iloc[0] == pytest.approx(expected_zero, rel=1e-10)
    # The fit is close, as FHL's histogram shows: within 5 % of the customers in each class.
    assert np.all(np.abs(table["model"] - table["actual"]) < 0.05 * 2357)


def test_period_transactions_work_for_pareto_nbd_and_pool_from_max_frequency(summary):
    table = period_transactions(PARETO, summary, max_frequency=3)
    assert table["actual"].tolist() == [1411, 439, 214, 100 + 62 + 38 + 29 + 64]
    assert table["model"].sum() == pytest.approx(2357, rel=1e-12)
    assert table["model"].iloc[0] == pytest.approx(
        np.sum(PARETO.probability_of_purchases(np.zeros(2357), summary["T"].to_numpy()))
    )


def test_period_transactions_plot_draws_the_table(summary):
    ax = plot_period_transactions(BGNBD, summary)
    table = period_transactions(BGNBD, summary)
    actual, model = ax.containers
    assert [bar.get_height() for bar in actual] == HISTOGRAM
    np.testing.assert_allclose([bar.get_height() for bar in model], table["model"], rtol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == table["frequency"].tolist()


def test_tracking_actuals_add_up_to_the_calibration_and_holdout_purchases(cdnow_sample, summary):
    tracking = transaction_tracking(BGNBD, cdnow_sample, **SPLIT)
    boundary = tracking.attrs["calibration_end"]
    assert boundary == pytest.approx(272 / 7)  # 1997-01-01 to 1997-09-30
    at_boundary = tracking.loc[tracking["t"] == boundary]
    assert at_boundary["actual_cumulative"].item() == 2457 == summary["frequency"].sum()
    assert not at_boundary["holdout"].item()
    last = tracking.iloc[-1]
    assert last["t"] == pytest.approx(545 / 7)  # to 1998-06-30
    assert last["actual_cumulative"] == 2457 + summary["frequency_holdout"].sum()
    np.testing.assert_allclose(tracking["actual"].cumsum(), tracking["actual_cumulative"])
    np.testing.assert_allclose(tracking["model"].cumsum(), tracking["model_cumulative"])
    # weekly rows counted from the calibration end: 6/7, 1 + 6/7, ..., 38 + 6/7, ..., 77 + 6/7
    np.testing.assert_allclose(tracking["t"], 6 / 7 + np.arange(78))


def test_tracking_model_matches_fhl_equation_9_summed_over_the_cohort(cdnow_sample, summary):
    tracking = transaction_tracking(BGNBD, cdnow_sample, **SPLIT)
    births = 272 / 7 - summary["T"].to_numpy()  # each customer's first purchase, in weeks
    for t in (6 / 7, 20 + 6 / 7, 272 / 7, 60 + 6 / 7, 545 / 7):
        row = tracking.loc[np.isclose(tracking["t"], t)]
        expected = np.sum(_expected_new_customer(np.clip(t - births, 0, None)))
        assert row["model_cumulative"].item() == pytest.approx(expected, rel=1e-9)


def test_tracking_plots_draw_the_tracking_numbers(cdnow_sample):
    tracking = transaction_tracking(BGNBD, cdnow_sample, **SPLIT)
    cumulative = plot_cumulative_transactions(BGNBD, cdnow_sample, **SPLIT, unit="week")
    np.testing.assert_allclose(cumulative.lines[0].get_ydata(), tracking["actual_cumulative"])
    np.testing.assert_allclose(cumulative.lines[1].get_ydata(), tracking["model_cumulative"])
    assert cumulative.get_xlabel() == "Weeks since the cohort's first purchase"
    assert cumulative.texts[0].get_text() == "end of calibration (38.9 weeks)"
    incremental = plot_incremental_transactions(BGNBD, cdnow_sample, **SPLIT, unit="week")
    np.testing.assert_allclose(incremental.lines[0].get_ydata(), tracking["actual"])
    assert incremental.get_title() == "Repeat transactions per week"


def test_tracking_rejects_an_observation_end_before_the_calibration_end(cdnow_sample):
    with pytest.raises(InvalidInputError) as error:
        transaction_tracking(BGNBD, cdnow_sample, **{**SPLIT, "observation_end": "1997-09-30"})
    assert str(error.value) == (
        "The 'observation_end' parameter of transaction_tracking must fall in a later period "
        "than calibration_end. Got '1997-09-30' instead."
    )


def test_tracking_reads_every_backend_the_same(cdnow_sample):
    polars = pytest.importorskip("polars")
    tracking = transaction_tracking(BGNBD, cdnow_sample, **SPLIT)
    other = transaction_tracking(BGNBD, polars.from_pandas(cdnow_sample), **SPLIT)
    pd.testing.assert_frame_equal(tracking, other)


def test_history_of_customer_1_ends_at_the_published_summary(cdnow_sample):
    # Sample customer 1 bought on 1997-01-01, 01-18, 08-02 (calibration) and 12-12.
    dates = cdnow_sample.loc[cdnow_sample["customer_id"] == 1, "date"]
    weeks = ((dates - dates.min()).dt.days / 7).to_numpy()
    calibration = weeks[weeks <= 272 / 7]
    history = probability_alive_history(BGNBD, calibration, T=272 / 7)
    last = history.iloc[-1]
    # The published summary's first row: x = 2, t_x = 30.43, T = 38.86.
    assert (last["frequency"], round(last["recency"], 2), round(last["t"], 2)) == (2, 30.43, 38.86)
    np.testing.assert_allclose(
        history["probability_alive"],
        _alive(history["frequency"], history["recency"], history["t"]),
        rtol=1e-10,
    )
    assert history["probability_alive"].iloc[0] == 1.0  # no repeat purchase yet: alive
    # jumps at each repeat purchase: the rows at 17/7 and 213/7 weeks
    assert history.loc[np.isclose(history["t"], 17 / 7), "frequency"].item() == 1


def test_history_plot_marks_the_purchases_and_names_the_unit():
    ax = plot_history_alive(BGNBD, [3.0, 5.0, 5.0, 9.5], T=12, unit="week")
    curve, purchases = ax.lines
    assert purchases.get_xdata().tolist() == [0.0, 2.0, 6.5]  # from the first; 5.0 once
    np.testing.assert_allclose(purchases.get_ydata(), _alive([0, 1, 2], [0, 2, 6.5], [0, 2, 6.5]))
    assert curve.get_xdata()[-1] == 12  # T is the age at the end
    assert ax.get_title() == "P(alive) of one customer over 12 weeks"
    assert ax.get_xlabel() == "Weeks since the first purchase"


def test_history_rejects_an_age_before_the_last_purchase():
    with pytest.raises(InvalidInputError) as error:
        probability_alive_history(BGNBD, [0, 4], T=3)
    assert str(error.value) == (
        "The 'T' parameter of probability_alive_history must be >= the last purchase time "
        "(4 after the first). Got 3 instead."
    )


def test_conditional_expectations_on_cdnow_match_a_groupby(summary):
    table = calibration_vs_holdout_purchases(BGNBD, summary)
    assert table["customers"].tolist() == HISTOGRAM
    groups = np.minimum(summary["frequency"], 7)
    np.testing.assert_allclose(
        table["actual"], summary.groupby(groups)["frequency_holdout"].mean(), rtol=1e-12
    )
    predicted = BGNBD.expected_purchases(
        summary["duration_holdout"], summary["frequency"], summary["recency"], summary["T"]
    )
    np.testing.assert_allclose(
        table["model"], pd.Series(predicted).groupby(groups.to_numpy()).mean(), rtol=1e-12
    )
    ax = plot_calibration_purchases_vs_holdout_purchases(BGNBD, summary)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), table["model"], rtol=1e-12)


def test_conditional_expectation_of_fhl_section_5_customer():
    # FHL (2005), section 5: x = 2, t_x = 30.43, T = 38.86 -> 1.226 purchases in the next 39 weeks.
    summary = {
        "frequency": [2],
        "recency": [30.43],
        "T": [38.86],
        "frequency_holdout": [1],
        "duration_holdout": [39],
    }
    table = calibration_vs_holdout_purchases(BGNBD, summary)
    assert table["frequency"].tolist() == ["2"]
    assert table["model"].item() == pytest.approx(1.226, abs=5e-4)


def test_history_matches_lifetimes_probability_alive():
    # lifetimes 0.11.3 conditional_probability_alive(2, 30.43, 38.86) at FHL's parameters
    # (the value tests/clv/test_bgnbd.py pins): 0.726578570080673.
    history = probability_alive_history(BGNBD, [0.0, 12.0, 30.43], T=38.86)
    assert history["probability_alive"].iloc[-1] == pytest.approx(0.726578570080673, rel=1e-12)


def test_tracking_of_one_customer_matches_lifetimes_expected_purchases():
    # One customer, first purchase on day 0, observed 78 weeks: the model line is E[X(t)];
    # lifetimes 0.11.3 expected_number_of_purchases_up_to_time(39), (78) at FHL's parameters.
    days = pd.to_datetime(["1997-01-01", "1997-03-01"])
    transactions = pd.DataFrame({"customer_id": [1, 1], "date": days})
    tracking = transaction_tracking(
        BGNBD,
        transactions,
        customer_id="customer_id",
        timestamp="date",
        calibration_end="1997-10-01",  # day 273 = week 39
        observation_end="1998-07-01",  # day 546 = week 78
        time_scaler=7,
    )
    by_week = tracking.set_index("t")["model_cumulative"]
    assert by_week[39.0] == pytest.approx(1.1967231933207985, rel=1e-10)
    assert by_week[78.0] == pytest.approx(1.8605190579427455, rel=1e-10)
    assert tracking["actual_cumulative"].iloc[-1] == 1  # the March purchase


def test_tracking_names_missing_columns_and_nulls(cdnow_sample):
    with pytest.raises(ColumnNotFoundError) as error:
        transaction_tracking(BGNBD, cdnow_sample, **{**SPLIT, "timestamp": "day"})
    assert str(error.value) == (
        "Missing column(s) ['day'] in transactions for transaction_tracking. Available "
        "columns: ['master_id', 'customer_id', 'date', 'cds', 'dollars'].\n"
        "Hint: pass your column names as customer_id= and timestamp=."
    )
    holes = cdnow_sample.head(10).assign(customer_id=[None, 1, 1, 2, None, 3, 3, 3, 4, 4])
    before = holes.copy()
    with pytest.raises(InvalidInputError) as error:
        transaction_tracking(BGNBD, holes, **SPLIT)
    assert str(error.value) == (
        "The transactions of transaction_tracking must have no null 'customer_id' or "
        "'date'. Got 2 null value(s) instead."
    )
    pd.testing.assert_frame_equal(holes, before)  # never modified
