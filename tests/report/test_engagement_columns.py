"""Tests of the engagement columns of compute_kpis (referral, email, Pareto) against hand counts."""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
import pytest

from retention_kpis import InvalidInputError
from retention_kpis.datasets import make_events
from retention_kpis.metrics.pareto import pareto_share
from retention_kpis.report import compute_kpis

# Hand-built: a, b, c as in docs/metrics.md (first events on web, email, web), d arrives
# through "referral"; a refers someone in January; weekly-style emails to a and b.
ROWS = [
    ("a", "2024-01-03 09:00", "visit", None, None, "web"),
    ("a", "2024-01-03 09:10", "purchase", 100.0, "o1", "web"),
    ("a", "2024-01-07 10:00", "referral", None, None, "web"),
    ("d", "2024-01-08 10:00", "visit", None, None, "referral"),
    ("d", "2024-01-09 10:00", "purchase", 50.0, "o5", "referral"),
    ("b", "2024-01-10 00:00", "visit", None, None, "email"),
    ("a", "2024-01-10 10:00", "email_sent", None, None, "email"),
    ("b", "2024-01-10 10:00", "email_sent", None, None, "email"),
    ("a", "2024-01-10 11:00", "email_open", None, None, "email"),
    ("a", "2024-01-10 11:05", "email_click", None, None, "email"),
    ("c", "2024-01-15 00:00", "visit", None, None, "web"),
    ("b", "2024-02-01 00:00", "email_sent", None, None, "email"),
    ("b", "2024-02-01 12:00", "email_click", None, None, "email"),  # a click implies an open
    ("a", "2024-02-02 01:00", "purchase", 60.0, "o2", "web"),  # 22 days after a's click
    ("b", "2024-02-05 00:00", "purchase", 40.0, "o3", "email"),  # b's first purchase
    ("b", "2024-02-05 00:00", "purchase", 10.0, "o3", "email"),
    ("b", "2024-03-01 00:00", "email_sent", None, None, "email"),
    ("b", "2024-03-02 00:00", "email_click", None, None, "email"),
    ("b", "2024-03-02 12:00", "unsubscribe", None, None, "email"),
    ("b", "2024-03-03 01:00", "purchase", 30.0, "o4", "email"),  # 25 h after b's click
]
ENGAGEMENT = [
    "referrals",
    "referral_rate",
    "referred_customers",
    "referred_customer_share",
    "emails_delivered",
    "email_open_rate",
    "email_ctr",
    "email_cto_rate",
    "email_unsubscribe_rate",
    "email_attributed_repeat_purchases",
    "pareto_share",
]
# Hand counts, period="M". Purchasers: Jan {a, d}, Feb {a, b}, Mar {b}; only d's first event
# is on the referral channel.
EXPECTED = {
    # Jan: 1 referral / 2 purchasers; d referred: 1/2. Emails a, b (Jan 10): a opened and
    # clicked -> open 1/2, ctr 1/2, cto 1/1, unsubscribe 0/2. No repeat purchase (a's and
    # d's purchases are their first). Pareto: revenues 100, 50; top ceil(2 * 0.2) = 1:
    # 100 / 150.
    "2024-01-01": [1, 0.5, 1, 0.5, 2, 0.5, 0.5, 1.0, 0.0, 0, 100 / 150],
    # Feb: no referral; nobody referred (0/2). One email (b, Feb 1), clicked: 1, 1, 1, 0.
    # a's purchase is 22 days after a's click (> 7D); b's purchases are b's first: 0.
    # Pareto: a 60, b 50 -> 60 / 110.
    "2024-02-01": [0, 0.0, 0, 0.0, 1, 1.0, 1.0, 1.0, 0.0, 0, 60 / 110],
    # Mar: one email (b, Mar 1), clicked and unsubscribed: 1, 1, 1, 1. b's purchase 25 h
    # after the click, after b's first purchase: 1. Pareto: one purchaser: 30 / 30.
    "2024-03-01": [0, 0.0, 0, 0.0, 1, 1.0, 1.0, 1.0, 1.0, 1, 1.0],
}


def hand_events() -> pd.DataFrame:
    frame = pd.DataFrame(
        ROWS, columns=["customer_id", "timestamp", "event_type", "revenue", "order_id", "channel"]
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def by_period(report) -> dict[str, list]:
    data = report.to_dict()
    return {
        str(period): [data[name][i] for name in ENGAGEMENT]
        for i, period in enumerate(data["period"])
    }


def assert_values(got: list, want: list) -> None:
    for name, left, right in zip(ENGAGEMENT, got, want, strict=True):
        if isinstance(right, float):
            assert left == pytest.approx(right, rel=1e-12), name
        else:
            assert left == right, name


def test_engagement_columns_follow_the_18_kpi_columns():
    report = compute_kpis(hand_events(), engagement=True)
    assert report.columns[18:] == ENGAGEMENT
    assert report.columns[:4] == ["period", "visitors", "conversion_rate", "orders"]
    assert list(report.definitions)[17:] == ENGAGEMENT


def test_engagement_columns_match_hand_counts_on_every_backend(constructor):
    report = compute_kpis(constructor(hand_events()), period="M", engagement=True)
    got = by_period(report)
    assert list(got) == list(EXPECTED)
    for period, values in EXPECTED.items():
        assert_values(got[period], values)


def test_engagement_counts_are_integer_columns_in_the_frame():
    frame = pl.from_pandas(hand_events())
    out = compute_kpis(frame, engagement=True).to_frame()
    assert out.schema["referrals"] == pl.Int64
    assert out.schema["email_attributed_repeat_purchases"] == pl.Int64
    assert out.schema["pareto_share"] == pl.Float64


def test_click_window_and_top_fraction_options():
    # click_window=1D: b's March purchase (25 h after the click) is no longer attributed.
    # top_fraction=1: the top group is everyone -> pareto_share 1 in every month.
    report = compute_kpis(hand_events(), click_window="1D", top_fraction=1.0, engagement=True)
    got = by_period(report)
    assert got["2024-03-01"][ENGAGEMENT.index("email_attributed_repeat_purchases")] == 0
    assert [row[-1] for row in got.values()] == [1.0, 1.0, 1.0]


def test_referral_channel_names_the_acquisition_channel():
    # referral_channel="email": b's first event (visit, Jan 10) is on email -> Feb and Mar
    # purchasers {a, b} and {b} hold one referred customer each; Jan {a, d} none.
    got = by_period(compute_kpis(hand_events(), referral_channel="email", engagement=True))
    position = ENGAGEMENT.index("referred_customers")
    assert [row[position] for row in got.values()] == [0, 1, 1]


def test_without_channel_column_referred_columns_are_null_with_a_note(constructor):
    events = constructor(hand_events().drop(columns="channel"))
    report = compute_kpis(events, engagement=True)
    data = report.to_dict()
    assert data["referred_customers"] == [None, None, None]
    assert data["referred_customer_share"] == [None, None, None]
    assert data["referrals"] == [1, 0, 0]  # referral events need no channel
    assert (
        "referred_customers and referred_customer_share are null: the events have no 'channel' "
        "column (the first event's channel tells referred customers) (3 rows)."
    ) in report.notes


def test_referral_channel_none_makes_referred_columns_null_with_a_note():
    report = compute_kpis(hand_events(), referral_channel=None, engagement=True)
    assert report.to_dict()["referred_customers"] == [None, None, None]
    assert (
        "referred_customers and referred_customer_share are null: referral_channel=None (3 rows)."
        in report.notes
    )
    # referred columns are null in the pandas frame (float column with NaN)
    assert report.to_frame()["referred_customers"].isna().all()


def test_engagement_false_leaves_every_engagement_column_null_and_core_kpis_unchanged():
    full = compute_kpis(hand_events(), engagement=True)
    lean = compute_kpis(hand_events(), engagement=False)
    data = lean.to_dict()
    for name in ENGAGEMENT:
        assert data[name] == [None, None, None], name
    assert (
        "the engagement columns (referral, email, pareto_share) are null: "
        "pass engagement=True to compute them (3 rows)."
    ) in lean.notes
    core = full.columns[:18]
    assert {name: data[name] for name in core} == {name: full.to_dict()[name] for name in core}


def test_no_email_events_make_email_rates_null_with_a_note():
    events = hand_events()
    events = events[~events["event_type"].str.startswith("email")]
    events = events[events["event_type"] != "unsubscribe"]
    report = compute_kpis(events, engagement=True)
    assert report.to_dict()["email_open_rate"] == [None, None, None]
    assert report.to_dict()["emails_delivered"] == [0, 0, 0]
    assert (
        "email_open_rate, email_ctr, email_cto_rate and email_unsubscribe_rate are null where "
        "no emails were delivered (3 rows)."
    ) in report.notes


def test_pareto_share_matches_the_pure_function_on_synthetic_events():
    # Independent reference: revenue per (month, customer) summed by pandas, then
    # metrics.pareto_share per month.
    events = make_events(150, start="2024-01-01", end="2024-06-30", seed=3)
    purchases = events[events["event_type"] == "purchase"]
    month = purchases["timestamp"].dt.to_period("M").dt.start_time.dt.date
    per_customer = purchases.groupby([month, "customer_id"])["revenue"].sum()
    for frame in (events, pl.from_pandas(events)):
        report = compute_kpis(frame, top_fraction=0.1, engagement=True)
        for row in report.rows:
            if row.period not in per_customer.index.get_level_values(0):
                assert math.isnan(row.pareto_share)
                continue
            expected = pareto_share(per_customer.loc[row.period].to_numpy(), top_fraction=0.1)
            assert row.pareto_share == pytest.approx(expected, rel=1e-12)


def test_engagement_by_segment_equals_the_segment_alone(constructor):
    # The web segment of by="channel" equals a report on the web rows alone for referrals
    # (counted in the referral event's segment): a's Jan referral is a web row.
    report = compute_kpis(constructor(hand_events()), period="M", by="channel", engagement=True)
    rows = {(str(r.period), r.segment["channel"]): r for r in report.rows}
    assert rows[("2024-01-01", "web")].referrals == 1
    assert rows[("2024-01-01", "email")].emails_delivered == 2


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            {"top_fraction": 0},
            "The 'top_fraction' parameter of compute_kpis must be in (0, 1]. Got 0 instead.",
        ),
        (
            {"click_window": "7 days"},
            (
                "The 'click_window' parameter of compute_kpis must be a timedelta or a string such "
                "as '7D', '1.5h', '30min', '45s' (units s, min, h, D, W). Got '7 days' instead."
            ),
        ),
        (
            {"referral_channel": ""},
            (
                "The 'referral_channel' parameter of compute_kpis must be a non-empty string or "
                "None. Got '' instead."
            ),
        ),
        (
            {"engagement": "yes"},
            "The 'engagement' parameter of compute_kpis must be True or False. Got 'yes' instead.",
        ),
    ],
)
def test_bad_engagement_options_raise_named_errors(options, expected):
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(hand_events(), **options)
    assert str(excinfo.value) == expected
