"""Tests of retention_kpis.clv.value (discounted predictive CLV)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis.clv import customer_lifetime_value
from retention_kpis.clv._base import NotFittedError
from retention_kpis.clv.bgnbd import BetaGeoModel
from retention_kpis.clv.gamma_gamma import GammaGammaModel
from retention_kpis.clv.mbgnbd import ModifiedBetaGeoModel
from retention_kpis.clv.pareto_nbd import ParetoNBDModel
from retention_kpis.clv.value import _discounted_purchases, discounted_value
from retention_kpis.datasets import load_cdnow_summary
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

# Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", CDNOW, weeks.
BGNBD_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
# Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves", CDNOW spend.
GAMMA_GAMMA_CDNOW = {"p": 6.25, "q": 3.74, "v": 15.44}

# lifetimes 0.11.3 (/work/benchvenv), as an independent implementation:
#   df = pd.read_csv("cdnow/cdnow_customers_summary_with_transactions.csv")
#   bgf = BetaGeoFitter(); bgf.params_ = pd.Series(BGNBD_CDNOW)
#   bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # alias set in fit()
#   ggf = GammaGammaFitter(); ggf.params_ = pd.Series(GAMMA_GAMMA_CDNOW)
#   ggf.customer_lifetime_value(bgf, df["x"], df["t_x"], df["T"], df["zbar"],
#                               time=12, discount_rate=0.01, freq="W")
LIFETIMES_CLV_12M_1PCT_FIRST6 = [
    36.28921112559952,
    4.637294659747194,
    8.369004358920185,
    8.369004358920185,
    8.369004358920185,
    283.5327763170908,
]
LIFETIMES_CLV_12M_1PCT_TOTAL = 71560.20884012154
# The same call with time=3, discount_rate=0.05.
LIFETIMES_CLV_3M_5PCT_FIRST6 = [
    10.276959580041545,
    1.287191879126234,
    2.2433776426000946,
    2.2433776426000946,
    2.2433776426000946,
    83.34622819144568,
]
LIFETIMES_CLV_3M_5PCT_TOTAL = 20786.94464968163


@pytest.fixture(scope="module")
def cdnow_summary():
    return load_cdnow_summary()


@pytest.fixture(scope="module")
def bgnbd():
    return BetaGeoModel.from_params(**BGNBD_CDNOW)


@pytest.fixture(scope="module")
def gamma_gamma():
    return GammaGammaModel.from_params(**GAMMA_GAMMA_CDNOW)


def test_clv_matches_lifetimes_0_11_3_cdnow_12_months(cdnow_summary, bgnbd, gamma_gamma):
    clv = customer_lifetime_value(bgnbd, gamma_gamma, cdnow_summary, time_unit="W")
    assert clv[:6] == pytest.approx(LIFETIMES_CLV_12M_1PCT_FIRST6, rel=1e-9)
    assert clv.sum() == pytest.approx(LIFETIMES_CLV_12M_1PCT_TOTAL, rel=1e-9)


def test_clv_matches_lifetimes_0_11_3_cdnow_3_months_5_percent(cdnow_summary, bgnbd, gamma_gamma):
    clv = customer_lifetime_value(
        bgnbd, gamma_gamma, cdnow_summary, horizon_months=3, discount_rate=0.05, time_unit="W"
    )
    assert clv[:6] == pytest.approx(LIFETIMES_CLV_3M_5PCT_FIRST6, rel=1e-9)
    assert clv.sum() == pytest.approx(LIFETIMES_CLV_3M_5PCT_TOTAL, rel=1e-9)


# Pareto/NBD with alpha = beta has closed forms (Schmittlein, Morrison & Colombo 1987):
#   P(alive | x=0, t_x=0, T) = 1 / (1 + s/(r+s) * (((alpha+T)/alpha)^(r+s) - 1))
#   E[X(T, T+t) | alive, x=0, T] = r/(s-1) * (1 - ((alpha+T)/(alpha+T+t))^(s-1))
# r=1, alpha=beta=1, s=2, T=1, t=1 month (time_unit "M"):
#   P(alive) = 1 / (1 + 2/3 * (2^3 - 1)) = 3/17
#   E[X(1, 2)] = 3/17 * 1 * (1 - 2/3) = 1/17;  E[X(1, 3)] = 3/17 * (1 - 2/4) = 3/34
# Gamma-Gamma at x=0 is the population mean p*v/(q-1) = 2*10/2 = 10.
HAND_PARETO = {"r": 1.0, "alpha": 1.0, "s": 2.0, "beta": 1.0}
HAND_SPEND = {"p": 2.0, "q": 3.0, "v": 10.0}
HAND_CUSTOMER = {"frequency": [0], "recency": [0.0], "T": [1.0], "monetary_value": [0.0]}


def test_clv_matches_hand_calculation_one_month_no_discount():
    clv = customer_lifetime_value(
        ParetoNBDModel.from_params(**HAND_PARETO),
        GammaGammaModel.from_params(**HAND_SPEND),
        HAND_CUSTOMER,
        horizon_months=1,
        discount_rate=0.0,
        time_unit="M",
    )
    # 10 * 1/17
    assert clv == pytest.approx([10 / 17], rel=1e-9)


def test_clv_matches_hand_calculation_two_months_discounted_at_month_end():
    clv = customer_lifetime_value(
        ParetoNBDModel.from_params(**HAND_PARETO),
        GammaGammaModel.from_params(**HAND_SPEND),
        HAND_CUSTOMER,
        horizon_months=2,
        discount_rate=0.1,
        time_unit="M",
    )
    # month 1: 1/17 purchases; month 2: 3/34 - 1/17 = 1/34; discounted by 1.1 and 1.1^2
    assert clv == pytest.approx([10 * (1 / 17 / 1.1 + 1 / 34 / 1.21)], rel=1e-9)


@pytest.mark.parametrize(
    ("time_unit", "units_per_month"),
    [("D", 30.0), ("W", 4.345), ("M", 1.0), ("h", 720.0), ("H", 720.0)],
)
def test_clv_month_length_follows_lifetimes_convention(gamma_gamma, time_unit, units_per_month):
    # lifetimes' factor table: a month is 30 days, 4.345 weeks, 720 hours. BG/NBD's alpha
    # is a time scale, so the same customer and model written in another unit (recency,
    # T and alpha times the month length) must have the same CLV as in months.
    customer = {"frequency": [2], "recency": [30.43], "T": [38.86], "monetary_value": [22.35]}
    in_months = customer_lifetime_value(
        BetaGeoModel.from_params(**BGNBD_CDNOW), gamma_gamma, customer, time_unit="M"
    )
    scaled_model = BetaGeoModel.from_params(**{**BGNBD_CDNOW, "alpha": 4.414 * units_per_month})
    scaled = {**customer, "recency": [30.43 * units_per_month], "T": [38.86 * units_per_month]}
    in_unit = customer_lifetime_value(scaled_model, gamma_gamma, scaled, time_unit=time_unit)
    assert in_unit == pytest.approx(in_months, rel=1e-9)


@pytest.mark.parametrize(
    ("model", "time_unit"),
    [
        (BetaGeoModel.from_params(**BGNBD_CDNOW), "W"),
        (ModifiedBetaGeoModel.from_params(r=0.525, alpha=6.183, a=0.891, b=1.614), "W"),
        # Pareto/NBD CDNOW estimates (Fader, Hardie & Lee 2005, Table 1).
        (ParetoNBDModel.from_params(r=0.553, alpha=10.578, s=0.606, beta=11.669), "W"),
        (BetaGeoModel.from_params(**BGNBD_CDNOW), "D"),
    ],
)
def test_clv_factorised_shortcut_equals_direct_month_sum(
    cdnow_summary, gamma_gamma, model, time_unit
):
    # The fast path evaluates months once per (frequency, T) and scales by P(alive);
    # the direct path evaluates every customer's month grid with the model.
    columns = {
        name: cdnow_summary[name].to_numpy(dtype=float) for name in ("frequency", "recency", "T")
    }
    average = gamma_gamma.expected_average_value(
        cdnow_summary["frequency"], cdnow_summary["monetary_value"]
    )
    fast = discounted_value(
        model,
        **columns,
        average_value=average,
        horizon_months=24,
        discount_rate=0.02,
        units_per_month={"W": 4.345, "D": 30.0}[time_unit],
    )
    months = np.arange(1, 25, dtype=float)
    direct = average * _discounted_purchases(
        model,
        columns["frequency"],
        columns["recency"],
        columns["T"],
        grid=months * {"W": 4.345, "D": 30.0}[time_unit],
        discount=1.02**-months,
    )
    np.testing.assert_allclose(fast, direct, rtol=1e-10, atol=1e-12)


def test_clv_frequency_zero_customers_get_population_mean_spend(bgnbd, gamma_gamma):
    base = {"frequency": [0, 0], "recency": [0.0, 0.0], "T": [20.0, 20.0]}
    clv = customer_lifetime_value(
        bgnbd,
        gamma_gamma,
        {**base, "monetary_value": [0.0, 999.0]},
        discount_rate=0.0,
        time_unit="W",
    )
    # Undiscounted, the monthly increments telescope to E[X(T, T + 12 * 4.345)];
    # Gamma-Gamma at x = 0 is the population mean p*v/(q-1) = 6.25*15.44/2.74.
    purchases = bgnbd.expected_purchases(12 * 4.345, 0, 0.0, 20.0)[0]
    assert clv == pytest.approx([purchases * 6.25 * 15.44 / 2.74] * 2, rel=1e-12)


def test_clv_free_repeat_buyer_gets_the_gamma_gamma_limit(bgnbd, gamma_gamma):
    customer = {"frequency": [3], "recency": [10.0], "T": [20.0], "monetary_value": [0.0]}
    clv = customer_lifetime_value(bgnbd, gamma_gamma, customer, discount_rate=0.0, time_unit="W")
    # E[Z | x, zbar] = p (v + x zbar) / (p x + q - 1) -> 6.25 * 15.44 / (6.25 * 3 + 2.74) as zbar -> 0
    purchases = bgnbd.expected_purchases(12 * 4.345, 3, 10.0, 20.0)[0]
    assert clv == pytest.approx([purchases * 6.25 * 15.44 / (6.25 * 3 + 2.74)], rel=1e-12)


def test_clv_reads_nan_monetary_value_of_non_repeat_customers_as_zero(bgnbd, gamma_gamma):
    summary = {"frequency": [0, 3], "recency": [0.0, 10.0], "T": [20.0, 20.0]}
    with_nan = customer_lifetime_value(
        bgnbd, gamma_gamma, {**summary, "monetary_value": [math.nan, 30.0]}
    )
    with_zero = customer_lifetime_value(
        bgnbd, gamma_gamma, {**summary, "monetary_value": [0.0, 30.0]}
    )
    np.testing.assert_array_equal(with_nan, with_zero)


def test_clv_same_result_for_pandas_polars_lazy_polars_and_mapping(
    cdnow_summary, bgnbd, gamma_gamma
):
    head = cdnow_summary.head(200)
    expected = customer_lifetime_value(bgnbd, gamma_gamma, head, time_unit="W")
    polars = pl.from_pandas(head)
    mapping = {name: head[name].to_list() for name in head.columns}
    for summary in (polars, polars.lazy(), mapping):
        np.testing.assert_array_equal(
            customer_lifetime_value(bgnbd, gamma_gamma, summary, time_unit="W"), expected
        )


def test_clv_does_not_mutate_the_summary(cdnow_summary, bgnbd, gamma_gamma):
    head = cdnow_summary.head(50).copy()
    head.loc[head["frequency"] == 0, "monetary_value"] = math.nan
    before = head.copy()
    customer_lifetime_value(bgnbd, gamma_gamma, head)
    pd.testing.assert_frame_equal(head, before)


def test_clv_of_empty_summary_is_empty(bgnbd, gamma_gamma):
    empty = pd.DataFrame({"frequency": [], "recency": [], "T": [], "monetary_value": []})
    result = customer_lifetime_value(bgnbd, gamma_gamma, empty)
    assert result.shape == (0,)
    assert result.dtype == np.float64


customers = st.lists(
    st.tuples(
        st.integers(0, 200),
        st.floats(0.01, 1.0),
        st.floats(0.5, 2_000.0),
        st.floats(0.01, 5_000.0),
    ),
    min_size=1,
    max_size=20,
).map(
    lambda rows: {
        "frequency": [f for f, _, _, _ in rows],
        "recency": [(share * age if f else 0.0) for f, share, age, _ in rows],
        "T": [age for _, _, age, _ in rows],
        "monetary_value": [(m if f else 0.0) for f, _, _, m in rows],
    }
)


@settings(max_examples=60, deadline=None)
@given(customers, st.integers(1, 36), st.floats(0.0, 0.5))
def test_clv_is_finite_non_negative_and_monotone(summary, horizon, rate):
    bgnbd = BetaGeoModel.from_params(**BGNBD_CDNOW)
    spend = GammaGammaModel.from_params(**GAMMA_GAMMA_CDNOW)
    clv = customer_lifetime_value(bgnbd, spend, summary, horizon_months=horizon, discount_rate=rate)
    assert np.all(np.isfinite(clv))
    assert np.all(clv >= 0)
    longer = customer_lifetime_value(
        bgnbd, spend, summary, horizon_months=horizon + 1, discount_rate=rate
    )
    assert np.all(longer >= clv * (1 - 1e-12))
    steeper = customer_lifetime_value(
        bgnbd, spend, summary, horizon_months=horizon, discount_rate=rate + 0.01
    )
    assert np.all(steeper <= clv * (1 + 1e-12))


@settings(max_examples=30, deadline=None)
@given(customers, st.permutations(range(20)))
def test_clv_does_not_depend_on_row_order(summary, permutation):
    bgnbd = BetaGeoModel.from_params(**BGNBD_CDNOW)
    spend = GammaGammaModel.from_params(**GAMMA_GAMMA_CDNOW)
    order = [i for i in permutation if i < len(summary["T"])]
    shuffled = {name: [values[i] for i in order] for name, values in summary.items()}
    np.testing.assert_allclose(
        customer_lifetime_value(bgnbd, spend, shuffled),
        customer_lifetime_value(bgnbd, spend, summary)[order],
        rtol=1e-12,
    )


GOOD = {"frequency": [1], "recency": [1.0], "T": [2.0], "monetary_value": [10.0]}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"horizon_months": 0},
            "The 'horizon_months' parameter of customer_lifetime_value must be > 0. Got 0 instead.",
        ),
        (
            {"horizon_months": 1.5},
            "The 'horizon_months' parameter of customer_lifetime_value must be a whole number. Got 1.5 instead.",
        ),
        (
            {"horizon_months": True},
            "The 'horizon_months' parameter of customer_lifetime_value must be a real number. Got True instead.",
        ),
        (
            {"discount_rate": -0.01},
            "The 'discount_rate' parameter of customer_lifetime_value must be >= 0. Got -0.01 instead.",
        ),
        (
            {"discount_rate": math.inf},
            "The 'discount_rate' parameter of customer_lifetime_value must be finite. Got inf instead.",
        ),
        (
            {"time_unit": "Y"},
            (
                "The 'time_unit' parameter of customer_lifetime_value must be 'h', 'D', 'W' "
                "or 'M', optionally after a positive multiplier ('7D'). Got 'Y' instead."
            ),
        ),
    ],
)
def test_clv_rejects_bad_parameters_with_exact_message(bgnbd, gamma_gamma, options, message):
    with pytest.raises(InvalidInputError) as error:
        customer_lifetime_value(bgnbd, gamma_gamma, GOOD, **options)
    assert str(error.value) == message


def test_clv_rejects_missing_columns_naming_them(bgnbd, gamma_gamma):
    with pytest.raises(ColumnNotFoundError) as error:
        customer_lifetime_value(
            bgnbd, gamma_gamma, pd.DataFrame({"frequency": [1], "recency": [1.0]})
        )
    assert str(error.value) == (
        "The data of customer_lifetime_value lack the column(s) ['T', 'monetary_value']; "
        "they have ['frequency', 'recency']. Hint: build them with "
        "retention_kpis.clv.rfm_summary(..., monetary_value=...)."
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"recency": [3.0]}, "Some values in recency are larger than T (1 row)."),
        ({"T": [-2.0], "recency": [-3.0]}, "recency must be >= 0; 1 value(s) are negative."),
        (
            {"monetary_value": [math.nan]},
            "monetary_value must be finite; 1 value(s) are nan or inf.",
        ),
        (
            {"T": [2.0, 3.0]},
            "The columns of the data of customer_lifetime_value must have the same length; got {'frequency': 1, 'recency': 1, 'T': 2, 'monetary_value': 1}.",
        ),
    ],
)
def test_clv_rejects_bad_summary_values_with_exact_message(bgnbd, gamma_gamma, change, message):
    with pytest.raises(InvalidInputError) as error:
        customer_lifetime_value(bgnbd, gamma_gamma, {**GOOD, **change})
    assert str(error.value) == message


def test_clv_rejects_a_non_frame_summary(bgnbd, gamma_gamma):
    with pytest.raises(
        InvalidInputError, match=r"must be a dataframe or a mapping of arrays\. Got list instead\."
    ):
        customer_lifetime_value(bgnbd, gamma_gamma, [1, 2, 3])


def test_clv_rejects_models_in_the_wrong_places(bgnbd, gamma_gamma):
    with pytest.raises(InvalidInputError) as error:
        customer_lifetime_value(gamma_gamma, bgnbd, GOOD)
    assert str(error.value) == (
        "The 'transaction_model' parameter of customer_lifetime_value must have an "
        "expected_purchases() method. Got GammaGammaModel instead."
    )


def test_clv_rejects_unfitted_models(gamma_gamma):
    with pytest.raises(NotFittedError, match="This BetaGeoModel is not fitted yet"):
        customer_lifetime_value(BetaGeoModel(), gamma_gamma, GOOD)
