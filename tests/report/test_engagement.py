"""Tests of retention_kpis.report.engagement (engagement_kpis and referred_vs_organic)."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import narwhals.stable.v2 as nw
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_kpis import ColumnNotFoundError, EventSchema, InvalidInputError, compute_kpis
from retention_kpis.datasets import make_events
from retention_kpis.report import (
    ENGAGEMENT_DEFINITIONS,
    engagement_kpis,
    referred_vs_organic,
)

# Hand-built events. Customers a and d arrive through "referral" (their first event's channel);
# b refers twice in January; e only has an open that follows no email of theirs.
ROWS = [
    ("b", "2024-01-01 08:00", "referral", None, "organic"),
    ("a", "2024-01-01 09:00", "visit", None, "referral"),
    ("b", "2024-01-01 10:00", "visit", None, "organic"),
    ("a", "2024-01-02 10:00", "purchase", 100.0, "referral"),
    ("b", "2024-01-03 10:00", "purchase", 20.0, "organic"),
    ("c", "2024-01-05 10:00", "visit", None, "social"),
    ("c", "2024-01-06 10:00", "purchase", 10.0, "social"),
    ("b", "2024-01-06 11:00", "referral", None, "organic"),
    ("d", "2024-01-07 10:00", "visit", None, "referral"),
    ("a", "2024-01-10 10:00", "email_sent", None, "email"),
    ("b", "2024-01-10 10:00", "email_sent", None, "email"),
    ("c", "2024-01-10 10:00", "email_sent", None, "email"),
    ("a", "2024-01-10 12:00", "email_open", None, "email"),
    ("a", "2024-01-10 12:05", "email_click", None, "email"),
    ("c", "2024-01-10 13:00", "email_click", None, "email"),  # a click without an open
    ("a", "2024-01-11 08:00", "email_open", None, "email"),  # a second open of the same email
    ("a", "2024-01-15 00:00", "purchase", 50.0, "email"),  # 4.5 days after a's click
    ("c", "2024-01-17 13:00", "purchase", 40.0, "email"),  # exactly 7 days after c's click
    ("d", "2024-01-31 23:00", "email_sent", None, "email"),
    ("d", "2024-02-01 08:00", "email_open", None, "email"),  # opens d's January email
    ("d", "2024-02-02 10:00", "purchase", 60.0, "referral"),  # d's first purchase
    ("e", "2024-02-02 11:00", "email_open", None, "email"),  # no email of e's before it
    ("b", "2024-02-07 10:00", "email_sent", None, "email"),
    ("b", "2024-02-08 10:00", "unsubscribe", None, "email"),
    ("c", "2024-02-09 10:00", "unsubscribe", None, "email"),  # after c's January email
    ("a", "2024-02-20 10:00", "purchase", 30.0, "referral"),  # 41 days after a's click
]


def hand_events() -> pd.DataFrame:
    frame = pd.DataFrame(
        ROWS, columns=["customer_id", "timestamp", "event_type", "revenue", "channel"]
    )
    frame["timestamp"] = pd.to_datetime(frame["timestamp"])
    return frame


def as_rows(native) -> list[dict]:
    frame = nw.from_native(native)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in frame.rows(named=True)
    ]


def assert_same_rows(got: list[dict], expected: list[dict]) -> None:
    """Rows equal column by column: floats to 1e-12 relative, the rest exactly."""
    assert len(got) == len(expected)
    for left, right in zip(got, expected, strict=True):
        assert list(left) == list(right)
        for name, value in right.items():
            if name == "period" and value is not None:
                assert as_date(left[name]) == as_date(value)
            elif isinstance(value, float):
                assert left[name] == pytest.approx(value, rel=1e-12), name
            else:
                assert left[name] == value, name


def as_date(value) -> dt.date:
    return value if type(value) is dt.date else value.date()


JANUARY = {
    # Purchasers a (100 + 50), b (20), c (10 + 40); a is referred (d is, but does not buy).
    "customers": 3,
    "referrals": 2,
    "referral_rate": 2 / 3,
    "referred_customers": 1,
    "referred_customer_share": 1 / 3,
    # Emails a, b, c (Jan 10) and d (Jan 31). Opened: a, c (its click counts as an open) and
    # d (opened Feb 1, counted with its January email); clicked: a, c; c's unsubscribe of
    # Feb 9 follows c's January email.
    "emails_delivered": 4,
    "email_opens": 3,
    "email_clicks": 2,
    "email_unsubscribes": 1,
    "email_open_rate": 3 / 4,
    "email_ctr": 2 / 4,
    "email_cto_rate": 2 / 3,
    "email_unsubscribe_rate": 1 / 4,
    # a on Jan 15 (4.5 days after the click) and c on Jan 17 (7 days, inclusive).
    "email_attributed_repeat_purchases": 2,
    # Revenues 150, 20, 50: top ceil(3 * 0.2) = 1 customer: 150 / 220.
    "pareto_share": 150 / 220,
}
FEBRUARY = {
    # Purchasers a (30) and d (60), both referred; no referrals.
    "customers": 2,
    "referrals": 0,
    "referral_rate": 0.0,
    "referred_customers": 2,
    "referred_customer_share": 1.0,
    # One email (b, Feb 7), unsubscribed the next day; e's open links to no email.
    "emails_delivered": 1,
    "email_opens": 0,
    "email_clicks": 0,
    "email_unsubscribes": 1,
    "email_open_rate": 0.0,
    "email_ctr": 0.0,
    "email_cto_rate": None,  # 0 clicks / 0 opens
    "email_unsubscribe_rate": 1.0,
    # a's purchase is 41 days after the click; d's is a first purchase.
    "email_attributed_repeat_purchases": 0,
    # Revenues 30, 60: top ceil(2 * 0.2) = 1: 60 / 90.
    "pareto_share": 60 / 90,
}


def assert_row(row: dict, expected: dict) -> None:
    for name, value in expected.items():
        assert (
            row[name] == pytest.approx(value, rel=1e-12) if value is not None else row[name] is None
        ), name


def test_engagement_kpis_match_hand_counts_per_month():
    jan, feb = as_rows(engagement_kpis(hand_events()))
    assert (as_date(jan["period"]), as_date(feb["period"])) == (
        dt.date(2024, 1, 1),
        dt.date(2024, 2, 1),
    )
    assert list(jan) == ["period", *ENGAGEMENT_DEFINITIONS]
    assert_row(jan, JANUARY)
    assert_row(feb, FEBRUARY)


def test_engagement_kpis_whole_frame_as_one_period():
    (row,) = as_rows(engagement_kpis(hand_events(), period=None))
    assert row["period"] is None
    assert_row(
        row,
        {
            # Purchasers a (180), b (20), c (50), d (60); referred a and d.
            "customers": 4,
            "referred_customers": 2,
            "referral_rate": 2 / 4,
            "emails_delivered": 5,
            "email_opens": 3,
            "email_clicks": 2,
            "email_unsubscribes": 2,
            "email_attributed_repeat_purchases": 2,
            # Top ceil(4 * 0.2) = 1 customer: 180 / 310.
            "pareto_share": 180 / 310,
        },
    )


@pytest.mark.parametrize(
    ("window", "expected"),
    [("7D", 2), (dt.timedelta(days=7), 2), ("6D", 1), ("1D", 0), ("10W", 3)],
)
def test_email_attributed_repeat_purchases_follow_click_window(window, expected):
    # a's Jan 15 purchase is 4.5 days after a's click, c's Jan 17 purchase 7 days after c's,
    # a's Feb 20 purchase 41 days after a's click (inside 10 weeks).
    (row,) = as_rows(engagement_kpis(hand_events(), period=None, click_window=window))
    assert row["email_attributed_repeat_purchases"] == expected


def test_engagement_kpis_top_fraction_changes_the_pareto_group():
    # top_fraction=0.5 of 4 customers: 2 top customers, (180 + 60) / 310.
    (row,) = as_rows(engagement_kpis(hand_events(), period=None, top_fraction=0.5))
    assert row["pareto_share"] == pytest.approx(240 / 310)


def test_engagement_kpis_without_referral_channel_leave_out_referred_columns():
    events = hand_events().drop(columns="channel")
    jan, feb = as_rows(engagement_kpis(events, referral_channel=None))
    assert "referred_customers" not in jan
    assert "referred_customer_share" not in jan
    referred = {"referred_customers", "referred_customer_share"}
    assert_row(jan, {k: v for k, v in JANUARY.items() if k not in referred})
    assert_row(feb, {k: v for k, v in FEBRUARY.items() if k not in referred})


def test_engagement_kpis_links_emails_within_their_segment():
    # By channel: every email row is in "email"; its counts equal the whole frame's.
    rows = as_rows(engagement_kpis(hand_events(), by="channel", period=None))
    email = next(row for row in rows if row["channel"] == "email")
    assert (email["emails_delivered"], email["email_opens"], email["email_clicks"]) == (5, 3, 2)
    assert [row["channel"] for row in rows] == ["email", "organic", "referral", "social"]
    # Purchases with channel "email": a (50), c (40); a is referred.
    assert (email["customers"], email["referred_customers"]) == (2, 1)


def test_engagement_kpis_missing_channel_raises_with_hint():
    events = hand_events().drop(columns="channel")
    with pytest.raises(ColumnNotFoundError) as excinfo:
        engagement_kpis(events)
    assert str(excinfo.value) == (
        "Missing column(s) ['channel'] in events (needed to find referred customers, "
        "referral_channel='referral'). Available columns: ['customer_id', 'timestamp', "
        "'event_type', 'revenue'].\n"
        "Hint: map it with EventSchema(channel=...), or pass referral_channel=None."
    )


def test_engagement_kpis_renamed_event_types_and_columns():
    events = hand_events().rename(columns={"customer_id": "user", "channel": "source"})
    events["event_type"] = events["event_type"].replace({"email_sent": "send"})
    schema = EventSchema(
        customer_id="user",
        channel="source",
        event_types={"email_sent": "send"},
    )
    jan, _ = as_rows(engagement_kpis(events, schema=schema))
    assert_row(jan, JANUARY)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"period": "X"},
            (
                "The 'period' parameter of engagement_kpis must be one of "
                "['D', 'W', 'M', 'Q', 'Y'] or None. Got 'X' instead."
            ),
        ),
        (
            {"top_fraction": 0.0},
            "The 'top_fraction' parameter of engagement_kpis must be in (0, 1]. Got 0.0 instead.",
        ),
        (
            {"click_window": "a week"},
            (
                "The 'click_window' parameter of engagement_kpis must be a timedelta or a string "
                "such as '7D', '1.5h', '30min', '45s' (units s, min, h, D, W). Got 'a week' instead."
            ),
        ),
        (
            {"by": "email_ctr"},
            (
                "The 'by' parameter of engagement_kpis must not name result columns. "
                "Got ['email_ctr'] instead."
            ),
        ),
        (
            {"referral_channel": ""},
            (
                "The 'referral_channel' parameter of engagement_kpis must be a non-empty string "
                "or None. Got '' instead."
            ),
        ),
    ],
)
def test_engagement_kpis_bad_options_raise_named_errors(kwargs, message):
    with pytest.raises(InvalidInputError) as excinfo:
        engagement_kpis(hand_events(), **kwargs)
    assert str(excinfo.value) == message


def test_engagement_kpis_rejects_unknown_event_types_by_default():
    events = hand_events()
    events.loc[0, "event_type"] = "sms_sent"
    with pytest.raises(InvalidInputError, match="unknown event types: 'sms_sent' \\(1 row\\)"):
        engagement_kpis(events)
    jan, _ = as_rows(engagement_kpis(events, unknown_events="ignore"))
    assert jan["referrals"] == 1  # the ignored row was one of b's two referrals


@pytest.fixture(scope="module")
def synthetic():
    return make_events(300, seed=3, start="2024-01-01", end="2024-12-31")


@pytest.mark.parametrize("backend", ["polars", "polars_lazy", "pyarrow", "duckdb"])
def test_engagement_kpis_give_the_pandas_result_on_other_backends(synthetic, backend):
    expected = as_rows(engagement_kpis(synthetic, by="channel"))
    table = pa.Table.from_pandas(synthetic, preserve_index=False)
    native = {
        "polars": lambda: pl.from_arrow(table),
        "polars_lazy": lambda: pl.from_arrow(table).lazy(),
        "pyarrow": lambda: table,
        "duckdb": lambda: duckdb.from_arrow(table),
    }[backend]()
    assert_same_rows(as_rows(engagement_kpis(native, by="channel")), expected)


def test_engagement_kpis_on_synthetic_events_are_near_the_generator_rates(synthetic):
    # make_events draws opens with mean 0.2 and clicks with mean 0.03 per email.
    (row,) = as_rows(engagement_kpis(synthetic, period=None))
    assert row["email_open_rate"] == pytest.approx(0.2, abs=0.03)
    assert row["email_ctr"] == pytest.approx(0.03, abs=0.01)
    assert row["email_attributed_repeat_purchases"] > 0
    assert 0.2 < row["pareto_share"] < 1.0


# --- Properties on random frames ---------------------------------------------------------

KINDS = ["visit", "purchase", "referral", "email_sent", "email_open", "email_click", "unsubscribe"]
event_rows = st.lists(
    st.tuples(
        st.sampled_from("abcde"),
        st.integers(0, 60 * 24 * 70),  # minutes after 2024-01-01: ties are likely
        st.sampled_from(KINDS),
        st.floats(0.0, 500.0, allow_nan=False).map(lambda x: round(x, 2)),
        st.sampled_from(["referral", "organic", "email"]),
    ),
    min_size=1,
    max_size=40,
)


def random_events(rows) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["customer_id", "minute", "event_type", "revenue", "channel"]
    )
    frame["timestamp"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame.pop("minute"), "min")
    frame.loc[frame["event_type"] != "purchase", "revenue"] = float("nan")
    return frame


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event_rows, st.randoms(use_true_random=False))
def test_engagement_kpis_rates_in_range_order_invariant_and_input_untouched(rows, random):
    events = random_events(rows)
    before = events.copy()
    result = engagement_kpis(events)
    pd.testing.assert_frame_equal(events, before)
    order = list(range(len(events)))
    random.shuffle(order)
    shuffled = engagement_kpis(events.iloc[order].reset_index(drop=True))
    pd.testing.assert_frame_equal(result, shuffled)
    for name in (
        "referred_customer_share",
        "email_open_rate",
        "email_ctr",
        "email_cto_rate",
        "email_unsubscribe_rate",
        "pareto_share",
    ):
        values = result[name].dropna()
        assert ((values >= 0) & (values <= 1)).all(), name
    assert (result["email_clicks"] <= result["email_opens"]).all()
    assert (result["email_opens"] <= result["emails_delivered"]).all()
    assert (result["pareto_share"].dropna() >= 0.2).all()


# --- referred_vs_organic -----------------------------------------------------------------


def test_referred_vs_organic_equals_compute_kpis_on_hand_split_customers():
    # Referred by first-event channel: a and d; the others: b, c and e.
    events = hand_events()
    table = as_rows(referred_vs_organic(events))
    referred = as_rows(compute_kpis(events[events["customer_id"].isin(["a", "d"])]).to_frame())
    others = as_rows(compute_kpis(events[events["customer_id"].isin(["b", "c", "e"])]).to_frame())
    assert [row.pop("referred") for row in table] == [True] * len(referred) + [False] * len(others)
    assert table == [*referred, *others]


def test_referred_vs_organic_retention_matches_hand_count():
    rows = as_rows(referred_vs_organic(hand_events()))
    feb = {row["referred"]: row for row in rows if as_date(row["period"]) == dt.date(2024, 2, 1)}
    # Referred: January purchasers {a}, February {a, d}: a retained, 1 / 1.
    assert feb[True]["retention_rate"] == pytest.approx(1.0)
    # Others: January purchasers {b, c}, none in February: 0 / 2.
    assert feb[False]["retention_rate"] == pytest.approx(0.0)
    assert feb[False]["clv"] is None


def test_referred_vs_organic_on_polars_matches_pandas(synthetic):
    expected = as_rows(referred_vs_organic(synthetic))
    assert_same_rows(as_rows(referred_vs_organic(pl.from_pandas(synthetic))), expected)


def test_referred_vs_organic_needs_the_channel_column():
    with pytest.raises(ColumnNotFoundError, match=r"Missing column\(s\) \['channel'\]"):
        referred_vs_organic(hand_events().drop(columns="channel"))
    with pytest.raises(InvalidInputError, match=r"must be a non-empty string\. Got None instead\."):
        referred_vs_organic(hand_events(), referral_channel=None)
