"""Differential test: ``compute_kpis`` against a plain pandas reading of docs/metrics.md.

Hypothesis generates small event frames (a few customers, every event type the report
reads, timestamps on both sides of month and week boundaries, one time zone per frame,
exact duplicate rows, missing channels and order ids) and builds them natively on every
backend. :func:`reference` computes each report column from the definitions table of
``docs/metrics.md``, written straight from that text with pandas and Python sets; it shares
no code with the library. Issue #16 found the float-segment, nan-id and time-zone
defects with this kind of test.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention_kpis import compute_kpis

KINDS = (
    "visit",
    "visit",
    "purchase",
    "purchase",
    "spend",
    "nps_response",
    "csat_response",
    "churn",
    "signup",
    "referral",
)
# Instants near period boundaries (month ends, a Sunday/Monday night), wall-clock time.
ANCHORS = (
    dt.datetime.fromisoformat("2024-01-31 23:00"),
    dt.datetime.fromisoformat("2024-02-04 23:30"),  # Sunday night before Monday 5 February
    dt.datetime.fromisoformat("2024-02-29 22:00"),
    dt.datetime.fromisoformat("2024-03-31 23:00"),
    dt.datetime.fromisoformat("2024-04-15 12:00"),
)
ZONES = (None, "UTC", "America/New_York", "Asia/Kolkata")  # no DST change near the anchors


@st.composite
def event_frames(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str | None, bool]:
    """Rows of events (wall-clock timestamps), their time zone and whether they have order ids."""
    rows = []
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(KINDS))
        customer = draw(st.sampled_from(("a", "b", "c")))
        when = draw(st.sampled_from(ANCHORS)) + dt.timedelta(
            minutes=draw(st.integers(-60 * 24 * 8, 60 * 3))
        )
        rows.append(
            {
                "customer_id": None if kind == "spend" and draw(st.booleans()) else customer,
                "timestamp": when,
                "event_type": kind,
                "revenue": draw(st.integers(0, 400)) / 4 if kind == "purchase" else None,
                "cost": draw(st.integers(0, 100)) / 2 if kind == "spend" else None,
                "score": float(draw(st.integers(0, 10)))
                if kind == "nps_response"
                else float(draw(st.integers(1, 5)))
                if kind == "csat_response"
                else None,
                "order_id": f"{customer}-{draw(st.integers(0, 2))}"
                if kind == "purchase" and draw(st.booleans())
                else None,
                "channel": draw(st.sampled_from(("web", "email", None))),
            }
        )
    duplicates = draw(st.lists(st.integers(0, len(rows) - 1), max_size=3))
    rows += [dict(rows[index]) for index in duplicates]
    return rows, draw(st.sampled_from(ZONES)), draw(st.booleans())


# --- the reference: docs/metrics.md, "Definitions (per period and segment)" ------------------
def period_start(when: dt.datetime, period: str | None) -> dt.date | None:
    """First day of the period (weeks start on Monday); None with period=None."""
    if period is None:
        return None
    if period == "M":
        return dt.date(when.year, when.month, 1)
    return when.date() - dt.timedelta(days=when.weekday())


def previous_start(start: dt.date, period: str) -> dt.date:
    """The calendar-previous period's first day."""
    if period == "M":
        return (start - dt.timedelta(days=1)).replace(day=1)
    return start - dt.timedelta(days=7)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def reference(
    events: list[dict[str, Any]], period: str | None, with_orders: bool
) -> dict[Any, dict[str, float]]:
    """Every compared column per (period start, channel), from the definitions' text."""
    rows = [dict(row) for row in events]
    for row in rows:
        row["key"] = (period_start(row["timestamp"], period), row["channel"])
    spend_rows = any(row["event_type"] == "spend" for row in rows)
    purchases = [row for row in rows if row["event_type"] == "purchase"]
    first_purchase = {}
    for row in purchases:
        customer = row["customer_id"]
        first_purchase[customer] = min(
            first_purchase.get(customer, row["timestamp"]), row["timestamp"]
        )
    buyers: dict[Any, set] = {}
    for row in purchases:
        buyers.setdefault(row["key"], set()).add(row["customer_id"])
    table = {}
    for key in {row["key"] for row in rows}:
        here = [row for row in rows if row["key"] == key]
        kind = {name: [row for row in here if row["event_type"] == name] for name in KINDS}
        visitors = {row["customer_id"] for row in kind["visit"]}
        active = buyers.get(key, set())
        if with_orders:
            ids = {row["order_id"] for row in kind["purchase"] if row["order_id"] is not None}
            orders = len(ids) + sum(row["order_id"] is None for row in kind["purchase"])
        else:
            orders = len(kind["purchase"])
        revenue = sum(row["revenue"] for row in kind["purchase"])
        spend = sum(row["cost"] for row in kind["spend"]) if spend_rows else math.nan
        new = {
            row["customer_id"]
            for row in kind["purchase"]
            if row["timestamp"] == first_purchase[row["customer_id"]]
        }
        nps = [row["score"] for row in kind["nps_response"]]
        csat = [row["score"] for row in kind["csat_response"]]
        retention = churn = math.nan
        if period is not None:
            before = buyers.get((previous_start(key[0], period), key[1]), set())
            retention = ratio(len(before & active), len(before))
            churn = 1 - retention
        table[key] = {
            "visitors": len(visitors),
            "conversion_rate": ratio(len(visitors & active), len(visitors)),
            "orders": orders,
            "revenue": revenue,
            "spend": spend,
            "new_customers": len(new),
            "cpa": ratio(spend, orders),
            "cac": ratio(spend, len(new)),
            "roas": ratio(revenue, spend),
            "aov": ratio(revenue, orders),
            "purchase_frequency": ratio(orders, len(active)),
            "csat": ratio(sum(score >= 4 for score in csat), len(csat)),
            "nps": ratio(100 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps)), len(nps)),
            "active_customers": len(active),
            "retention_rate": retention,
            "churn_rate": churn,
        }
    return table


def agree(got: float, want: float) -> bool:
    if isinstance(want, float) and math.isnan(want):
        return got is None or (isinstance(got, float) and math.isnan(got))
    return got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9)


def as_native(
    native: Any, events: list[dict[str, Any]], zone: str | None, with_orders: bool
) -> Any:
    """The rows as a native frame; zoned timestamps carry the wall-clock time in ``zone``."""
    wall = [row["timestamp"] for row in events]
    stamps = wall if zone is None else [when.replace(tzinfo=ZoneInfo(zone)) for when in wall]
    types = {
        "customer_id": pa.string(),
        "event_type": pa.string(),
        "revenue": pa.float64(),
        "cost": pa.float64(),
        "score": pa.float64(),
        "channel": pa.string(),
        **({"order_id": pa.string()} if with_orders else {}),
    }
    columns = {name: ([row[name] for row in events], dtype) for name, dtype in types.items()}
    columns["timestamp"] = (stamps, pa.timestamp("us", tz=zone))
    return native(columns, time_zone=zone or "UTC")


def test_reference_reproduces_the_worked_example_of_docs_metrics():
    """The reference itself, on the January rows of the worked example in docs/metrics.md
    (per channel): web has 2 visitors (a, c), 1 order of 100, spend 50; email 1 visitor."""
    day = dt.datetime
    columns = {
        "customer_id": ["a", "a", "b", "c", None, None],
        "timestamp": [
            day(2024, 1, 3, 9),
            day(2024, 1, 3, 9, 10),
            day(2024, 1, 10),
            day(2024, 1, 15),
            day(2024, 1, 20),
            day(2024, 1, 21),
        ],
        "event_type": ["visit", "purchase", "visit", "visit", "spend", "spend"],
        "revenue": [None, 100.0, None, None, None, None],
        "cost": [None, None, None, None, 50.0, 30.0],
        "order_id": [None, "o1", None, None, None, None],
        "channel": ["web", "web", "email", "web", "web", "email"],
    }
    events = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    table = reference(events, "M", with_orders=True)
    web = table[(dt.date(2024, 1, 1), "web")]
    assert (web["visitors"], web["orders"], web["revenue"], web["spend"]) == (2, 1, 100.0, 50.0)
    assert (web["conversion_rate"], web["cac"], web["roas"]) == (0.5, 50.0, 2.0)
    assert table[(dt.date(2024, 1, 1), "email")]["visitors"] == 1


@pytest.mark.parametrize("period", ["M", "W", None])
def test_compute_kpis_matches_the_reference_implementation(native, period):
    """Every compared column of every row equals the reference, on every backend."""
    examples = 4 if native.name == "pyspark" else 20

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(event_frames())
    def check(case: tuple[list[dict[str, Any]], str | None, bool]) -> None:
        events, zone, with_orders = case
        want = reference(events, period, with_orders)
        report = compute_kpis(
            as_native(native, events, zone, with_orders), period=period, by="channel"
        )
        got = {(row.period, row.segment["channel"]): row for row in report.rows}
        assert set(got) == set(want)
        for key, columns in want.items():
            for name, value in columns.items():
                assert agree(getattr(got[key], name), value), (key, name, value)

    check()
