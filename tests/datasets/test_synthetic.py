"""Tests of retention_kpis.datasets.synthetic (make_events)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_kpis import InvalidInputError
from retention_kpis.datasets import make_events

EVENT_TYPES = {
    "visit",
    "signup",
    "purchase",
    "spend",
    "nps_response",
    "csat_response",
    "referral",
    "churn",
    "cart_add",
    "checkout",
    "email_sent",
    "email_open",
    "email_click",
    "unsubscribe",
}
EMAIL_TYPES = {"email_sent", "email_open", "email_click", "unsubscribe"}
COLUMNS = [
    "customer_id",
    "timestamp",
    "event_type",
    "revenue",
    "cost",
    "channel",
    "campaign",
    "score",
    "order_id",
]
PAID_CHANNELS = {"paid_search", "social", "email", "referral"}


@pytest.fixture(scope="module")
def events():
    return make_events(2_000, seed=7)


def assert_invariants(events, start, end):
    """Structural facts every generated frame must satisfy, whatever the seed and size."""
    assert list(events.columns) == COLUMNS
    assert set(events["event_type"]) <= EVENT_TYPES
    ts = events["timestamp"]
    assert ts.is_monotonic_increasing
    assert ts.empty or (ts.min() >= pd.Timestamp(start) and ts.max() <= pd.Timestamp(end))
    assert (ts.dt.microsecond == 0).all()
    assert (ts.dt.nanosecond == 0).all()
    kind = events["event_type"]

    is_spend = kind == "spend"
    assert events.loc[is_spend, "customer_id"].isna().all()
    assert events.loc[~is_spend, "customer_id"].notna().all()
    assert (events.loc[is_spend, "cost"] >= 0).all()
    assert events.loc[~is_spend, "cost"].isna().all()
    assert set(events.loc[is_spend, "channel"]) <= PAID_CHANNELS
    assert events.loc[is_spend, "campaign"].notna().all()

    is_purchase = kind == "purchase"
    assert (events.loc[is_purchase, "revenue"] > 0).all()
    assert events.loc[~is_purchase, "revenue"].isna().all()
    order_ids = events.loc[is_purchase, "order_id"]
    assert order_ids.notna().all()
    assert order_ids.is_unique
    assert events.loc[~is_purchase, "order_id"].isna().all()

    nps = events.loc[kind == "nps_response", "score"]
    csat = events.loc[kind == "csat_response", "score"]
    assert nps.between(0, 10).all()
    assert (nps == nps.round()).all()
    assert csat.between(1, 5).all()
    assert (csat == csat.round()).all()
    assert events.loc[~kind.isin(["nps_response", "csat_response"]), "score"].isna().all()

    # Campaign is null exactly for the free channels.
    free = events["channel"].isin(["organic", "direct"])
    assert events.loc[free, "campaign"].isna().all()
    assert events.loc[~free, "campaign"].notna().all()

    customers = events[~is_spend]
    first_event = customers.groupby("customer_id")["event_type"].first()
    assert (first_event == "visit").all()
    assert customers.loc[customers["event_type"] == "signup", "customer_id"].is_unique
    assert customers.loc[customers["event_type"] == "churn", "customer_id"].is_unique
    # Nobody acts after their churn event.
    churned = customers[customers["event_type"] == "churn"].set_index("customer_id")["timestamp"]
    last = customers.groupby("customer_id")["timestamp"].max()
    assert (last.loc[churned.index] == churned).all()
    assert_email_invariants(customers)


def assert_email_invariants(customers):
    """Channels of email events and sessions, and who gets email (customer rows only)."""
    # Each customer keeps one acquisition channel on all their events, except email events
    # and the sessions an email click brings, which carry channel "email" (newsletter).
    emailed = customers["event_type"].isin(EMAIL_TYPES)
    assert (customers.loc[emailed, "channel"] == "email").all()
    assert (customers.loc[emailed, "campaign"] == "newsletter").all()
    own = customers[customers["channel"] != "email"]
    assert own.drop_duplicates(["customer_id", "channel"])["customer_id"].is_unique
    # Only members get email, after their signup.
    signup = customers[customers["event_type"] == "signup"].set_index("customer_id")["timestamp"]
    mail = customers[emailed]
    assert mail["customer_id"].isin(signup.index).all()
    assert (mail["timestamp"].to_numpy() >= signup.loc[mail["customer_id"]].to_numpy()).all()
    assert customers.loc[customers["event_type"] == "unsubscribe", "customer_id"].is_unique


def test_make_events_satisfies_invariants_on_default_window(events):
    assert_invariants(events, "2024-01-01", "2025-12-31")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 60),
    seed=st.integers(0, 2**32),
    start_day=st.integers(0, 400),
    days=st.integers(1, 120),
)
def test_make_events_invariants_hold_for_any_seed_and_size(n, seed, start_day, days):
    start = pd.Timestamp("2023-01-01") + pd.Timedelta(days=start_day)
    end = start + pd.Timedelta(days=days)
    assert_invariants(make_events(n, start=start, end=end, seed=seed), start, end)


def test_make_events_is_deterministic_for_a_seed():
    pd.testing.assert_frame_equal(make_events(300, seed=5), make_events(300, seed=5))


def test_make_events_differs_between_seeds():
    assert not make_events(300, seed=5).equals(make_events(300, seed=6))


def test_make_events_columns_and_dtypes(events):
    assert list(events.columns) == COLUMNS
    dtypes = events.dtypes
    assert dtypes["customer_id"] == "Int64"
    assert dtypes["order_id"] == "Int64"
    assert dtypes["timestamp"] == np.dtype("datetime64[ns]")
    for column in ("revenue", "cost", "score"):
        assert dtypes[column] == np.dtype("float64")
    for column in ("event_type", "channel", "campaign"):
        assert pd.api.types.is_string_dtype(dtypes[column])
    assert isinstance(events.index, pd.RangeIndex)


def test_make_events_zero_customers_is_empty_with_the_same_dtypes(events):
    empty = make_events(0)
    assert empty.shape == (0, 9)
    pd.testing.assert_series_equal(empty.dtypes, events.dtypes)


def test_make_events_has_every_event_type(events):
    assert set(events["event_type"]) == EVENT_TYPES


def test_make_events_has_every_channel(events):
    assert set(events["channel"]) == {
        "organic",
        "paid_search",
        "social",
        "email",
        "referral",
        "direct",
    }


def test_make_events_customer_ids_run_one_to_n_in_arrival_order(events):
    first_visit = events[events["event_type"] != "spend"].groupby("customer_id")["timestamp"].min()
    assert first_visit.index.tolist() == list(range(1, 2_001))
    assert first_visit.is_monotonic_increasing


def test_make_events_order_ids_number_purchases_in_time_order(events):
    ids = events.loc[events["event_type"] == "purchase", "order_id"]
    assert ids.tolist() == list(range(1, len(ids) + 1))


def test_make_events_timestamps_respect_start_and_end_with_times_of_day():
    start, end = "2024-03-01 12:30:00", "2024-03-04 06:00:00"
    events = make_events(200, start=start, end=end, seed=3)
    assert events["timestamp"].min() >= pd.Timestamp(start)
    assert events["timestamp"].max() <= pd.Timestamp(end)
    # Spend rows sit at whole days after start.
    offsets = events.loc[events["event_type"] == "spend", "timestamp"] - pd.Timestamp(start)
    assert (offsets % pd.Timedelta(days=1) == pd.Timedelta(0)).all()


def test_make_events_accepts_dates_and_datetime64():
    by_string = make_events(50, start="2024-01-01", end="2024-06-30", seed=2)
    by_date = make_events(50, start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30), seed=2)
    by_numpy = make_events(
        50, start=np.datetime64("2024-01-01"), end=np.datetime64("2024-06-30"), seed=2
    )
    pd.testing.assert_frame_equal(by_string, by_date)
    pd.testing.assert_frame_equal(by_string, by_numpy)


def test_make_events_signup_share_matches_signup_probability():
    # Binomial(4000, 0.3): mean 1200, sd sqrt(4000 * 0.3 * 0.7) = 29; allow 4 sd.
    events = make_events(4_000, seed=11, signup_probability=0.3)
    assert abs((events["event_type"] == "signup").sum() - 1_200) < 4 * 29


def test_make_events_no_signups_means_no_members_events():
    # Visitors who never sign up only visit and abandon carts (some reaching the checkout).
    events = make_events(300, seed=1, signup_probability=0.0)
    assert set(events["event_type"]) == {"visit", "spend", "cart_add", "checkout"}


def test_make_events_mean_order_value_matches_parameter():
    # Order value = customer mean (lognormal, mean 1) x order noise (lognormal, mean 1)
    # x mean_order_value, so the mean revenue per order is about 80 (within 10 %).
    events = make_events(3_000, seed=4, mean_order_value=80.0)
    revenue = events.loc[events["event_type"] == "purchase", "revenue"]
    assert revenue.mean() == pytest.approx(80.0, rel=0.10)


def test_make_events_channel_shares_match_documented_mix(events):
    # Documented arrival mix: organic 25 %, paid_search 25 %, social 15 %, email 10 %,
    # referral 10 %, direct 15 %; 2,000 visitors give a binomial sd below 1 point.
    first = events[events["event_type"] != "spend"].groupby("customer_id")["channel"].first()
    shares = first.value_counts(normalize=True)
    expected = {
        "organic": 0.25,
        "paid_search": 0.25,
        "social": 0.15,
        "email": 0.10,
        "referral": 0.10,
        "direct": 0.15,
    }
    for channel, share in expected.items():
        assert shares[channel] == pytest.approx(share, abs=0.04)


def test_make_events_about_120_events_per_visitor_with_defaults():
    # Documented ratio (about 120 events per visitor over the default two years).
    n = 3_000
    assert 100 < len(make_events(n, seed=0)) / n < 140


def test_make_events_visits_scale_with_visits_per_week():
    few = make_events(500, seed=9, visits_per_week=1.0)
    many = make_events(500, seed=9, visits_per_week=10.0)
    assert (many["event_type"] == "visit").sum() > 5 * (few["event_type"] == "visit").sum()


def test_make_events_nps_is_higher_for_more_active_customers():
    # Satisfaction raises both purchase rates and scores: the per-customer mean NPS must
    # correlate positively with the number of purchases.
    events = make_events(5_000, seed=12)
    nps = events[events["event_type"] == "nps_response"].groupby("customer_id")["score"].mean()
    orders = events[events["event_type"] == "purchase"].groupby("customer_id").size()
    joined = pd.concat([nps, orders.rename("orders")], axis=1, join="inner")
    assert joined["score"].corr(joined["orders"], method="spearman") > 0.1


def test_make_events_referral_events_come_from_earlier_members(events):
    signup = events[events["event_type"] == "signup"].set_index("customer_id")["timestamp"]
    referrals = events[events["event_type"] == "referral"]
    assert len(referrals) > 0
    assert (
        referrals["timestamp"].to_numpy() >= signup.loc[referrals["customer_id"]].to_numpy()
    ).all()


def test_make_events_purchases_come_after_signup(events):
    signup = events[events["event_type"] == "signup"].groupby("customer_id")["timestamp"].first()
    purchases = events[events["event_type"] == "purchase"]
    assert purchases["customer_id"].isin(signup.index).all()
    assert (
        purchases["timestamp"].to_numpy() > signup.loc[purchases["customer_id"]].to_numpy()
    ).all()


def test_make_events_spend_days_have_arrivals_from_their_campaign(events):
    # A campaign pays for the visitors it brings: each spend row's (day, campaign) has at
    # least one first visit through that campaign on that day.
    visits = events[events["event_type"] == "visit"]
    first = visits.groupby("customer_id").first()
    arrivals = set(zip(first["timestamp"].dt.normalize(), first["campaign"], strict=True))
    spend = events[events["event_type"] == "spend"]
    assert set(zip(spend["timestamp"], spend["campaign"], strict=True)) <= arrivals


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"n_customers": -1},
            "The 'n_customers' parameter of make_events must be >= 0. Got -1 instead.",
        ),
        (
            {"n_customers": 2.5},
            "The 'n_customers' parameter of make_events must be a whole number. Got 2.5 instead.",
        ),
        (
            {"n_customers": True},
            "The 'n_customers' parameter of make_events must be a real number. Got True instead.",
        ),
        ({"seed": -3}, "The 'seed' parameter of make_events must be >= 0. Got -3 instead."),
        (
            {"start": "not a date"},
            "The 'start' parameter of make_events must be a date or timestamp. Got 'not a date' instead.",
        ),
        (
            {"end": 20240101},
            "The 'end' parameter of make_events must be a date or timestamp. Got 20240101 instead.",
        ),
        (
            {"start": "2025-01-01", "end": "2024-01-01"},
            "The 'end' parameter of make_events must be > 'start' (2025-01-01 00:00:00). Got '2024-01-01' instead.",
        ),
        (
            {"start": "2024-01-01", "end": "2024-01-01"},
            "The 'end' parameter of make_events must be > 'start' (2024-01-01 00:00:00). Got '2024-01-01' instead.",
        ),
        (
            {"start": "2024-01-01T00:00:00+01:00"},
            "The 'start' parameter of make_events must be timezone-naive. Got '2024-01-01T00:00:00+01:00' instead.",
        ),
        (
            {"visits_per_week": 0},
            "The 'visits_per_week' parameter of make_events must be > 0. Got 0 instead.",
        ),
        (
            {"signup_probability": 1.5},
            "The 'signup_probability' parameter of make_events must be in [0, 1]. Got 1.5 instead.",
        ),
        (
            {"mean_lifetime_days": -1.0},
            "The 'mean_lifetime_days' parameter of make_events must be > 0. Got -1.0 instead.",
        ),
        (
            {"mean_order_value": float("nan")},
            "The 'mean_order_value' parameter of make_events must be finite. Got nan instead.",
        ),
    ],
)
def test_make_events_rejects_bad_parameters_with_exact_message(kwargs, message):
    with pytest.raises(InvalidInputError) as excinfo:
        make_events(**kwargs)
    assert str(excinfo.value) == message


def test_make_events_rejects_nat_start():
    with pytest.raises(InvalidInputError, match="'start' parameter of make_events must be a date"):
        make_events(start="NaT")


def _previous(events, kind, before, by="customer_id"):
    """For each row of ``before``, the time of the same customer's latest ``kind`` at or before it."""
    earlier = events.loc[events["event_type"] == kind, [by, "timestamp"]].rename(
        columns={"timestamp": f"{kind}_at"}
    )
    left = before[[by, "timestamp"]].astype({by: "int64"}).sort_values("timestamp", kind="stable")
    right = earlier.astype({by: "int64"}).sort_values(f"{kind}_at", kind="stable")
    return pd.merge_asof(
        left, right, left_on="timestamp", right_on=f"{kind}_at", by=by, direction="backward"
    )


def test_make_events_every_purchase_follows_a_checkout_after_a_cart_add(events):
    # Linked in time: the latest checkout before a purchase is within its session (< 20 min
    # + the email landing hour), and the latest cart_add before that checkout precedes it.
    purchases = events[events["event_type"] == "purchase"]
    checkout = _previous(events, "checkout", purchases)
    assert checkout["checkout_at"].notna().all()
    gap = checkout["timestamp"] - checkout["checkout_at"]
    assert (gap >= pd.Timedelta(0)).all()
    assert (gap <= pd.Timedelta(hours=24)).all()
    carts = _previous(events, "cart_add", checkout.assign(timestamp=checkout["checkout_at"]))
    assert carts["cart_add_at"].notna().all()


def test_make_events_carts_outnumber_checkouts_which_outnumber_purchases(events):
    counts = events["event_type"].value_counts()
    assert counts["cart_add"] > counts["checkout"] > counts["purchase"]
    journey = events[events["event_type"].isin(["cart_add", "checkout", "purchase"])]
    per_customer = pd.crosstab(journey["customer_id"], journey["event_type"])
    assert (per_customer["cart_add"] >= per_customer["checkout"]).all()
    assert (per_customer["checkout"] >= per_customer["purchase"]).all()


def test_make_events_cart_abandonment_is_about_seventy_percent():
    # Documented: about 70 % of carts are abandoned (industry benchmarks say 70 %).
    counts = make_events(3_000, seed=2)["event_type"].value_counts()
    assert 1 - counts["purchase"] / counts["cart_add"] == pytest.approx(0.70, abs=0.05)


def test_make_events_email_rates_match_documented_benchmarks():
    # Documented: mean open propensity 2 / (2 + 8) = 0.20, click-to-open 1.5 / 10 = 0.15,
    # so CTR = 0.2 * 0.15 = 0.03; unsubscribe 0.3 % of emails.
    counts = make_events(3_000, seed=2)["event_type"].value_counts()
    sent = counts["email_sent"]
    assert counts["email_open"] / sent == pytest.approx(0.20, abs=0.02)
    assert counts["email_click"] / sent == pytest.approx(0.03, abs=0.006)
    assert counts["unsubscribe"] / sent == pytest.approx(0.003, abs=0.0015)


def test_make_events_opens_and_clicks_follow_their_email(events):
    # Each open follows a send to the same customer by less than the next weekly send...
    sent = events[events["event_type"] == "email_sent"]
    opens = events[events["event_type"] == "email_open"]
    clicks = events[events["event_type"] == "email_click"]
    for rows in (opens, clicks):
        send = _previous(events, "email_sent", rows)
        assert send["email_sent_at"].notna().all()
    # ... and per customer: clicks <= opens <= sent (one open and one click per email at most).
    per_customer = pd.concat(
        [
            frame.groupby("customer_id").size().rename(name)
            for name, frame in (("sent", sent), ("opens", opens), ("clicks", clicks))
        ],
        axis=1,
    ).fillna(0)
    assert (per_customer["opens"] <= per_customer["sent"]).all()
    assert (per_customer["clicks"] <= per_customer["opens"]).all()
    # Every click has an open at or before it.
    opened = _previous(events, "email_open", clicks)
    assert opened["email_open_at"].notna().all()


def test_make_events_no_email_after_unsubscribe(events):
    quit_at = events[events["event_type"] == "unsubscribe"].set_index("customer_id")["timestamp"]
    sent = events[
        (events["event_type"] == "email_sent") & events["customer_id"].isin(quit_at.index)
    ]
    assert len(sent) > 0
    assert (sent["timestamp"].to_numpy() <= quit_at.loc[sent["customer_id"]].to_numpy()).all()


def test_make_events_email_clicks_bring_email_visits_and_purchases(events):
    # Each click lands on the site 1-30 s later: a visit with channel "email"; one click in
    # ten also brings a purchase with channel "email" (campaign newsletter).
    clicks = events.loc[events["event_type"] == "email_click", ["customer_id", "timestamp"]]
    visits = events.loc[
        (events["event_type"] == "visit") & (events["channel"] == "email"),
        ["customer_id", "timestamp", "campaign"],
    ].rename(columns={"timestamp": "visit_at"})
    landed = pd.merge_asof(
        clicks.astype({"customer_id": "int64"}),
        visits.astype({"customer_id": "int64"}),
        left_on="timestamp",
        right_on="visit_at",
        by="customer_id",
        direction="forward",
    ).dropna(subset=["visit_at"])
    gap = landed["visit_at"] - landed["timestamp"]
    # Clicks censored at the window's end or at death have no landing; nearly all others do.
    assert (gap <= pd.Timedelta(seconds=31)).mean() > 0.95
    email_orders = events[(events["event_type"] == "purchase") & (events["channel"] == "email")]
    assert (email_orders["campaign"] == "newsletter").any()
