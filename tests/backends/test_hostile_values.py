"""Issue #16, backend items: hostile values built natively on every backend.

Each test is the regression test of one item of the issue (numbered as there); every
frame is built with the backend's own constructor (the ``native`` fixture), so a real
nan, a null beside it, -0.0 and zoned timestamps reach each backend as a user would
give them. Expected values are hand counts written next to the data.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from retention_kpis import InvalidInputError, compute_kpis, engagement_kpis
from retention_kpis.attribution import attribute
from retention_kpis.funnels import funnel

NAN = math.nan
SOURCE = Path(__file__).resolve().parents[2] / "src" / "retention_kpis"
STR, F64, I64, TS, BOOL = pa.string(), pa.float64(), pa.int64(), pa.timestamp("us"), pa.bool_()


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def purchases(segment: list[Any], segment_type: Any, revenue: list[float]) -> dict[str, Any]:
    """One purchase per customer c0, c1, ... in January 2024, with a ``seg`` column."""
    n = len(segment)
    return {
        "customer_id": ([f"c{i}" for i in range(n)], STR),
        "timestamp": ([day("2024-01-10")] * n, TS),
        "event_type": (["purchase"] * n, STR),
        "revenue": (revenue, F64),
        "seg": (segment, segment_type),
    }


def by_segment(report: Any) -> dict[Any, tuple[int, float]]:
    return {row.segment["seg"]: (row.orders, row.revenue) for row in report.rows}


# --- 1. float segments: nan and null, 0.0 and -0.0 --------------------------------------------
def test_float_segment_nan_and_null_are_one_segment_and_signed_zeros_another(native):
    """Before: polars/pyarrow/DuckDB grouped nan apart from null, pyarrow -0.0 apart from 0.0,
    and one group overwrote the other when collected (revenue 90 instead of 100)."""
    events = native(purchases([NAN, None, 0.0, -0.0], F64, [90.0, 10.0, 30.0, 20.0]))
    got = by_segment(compute_kpis(events, by="seg"))
    # Hand count: nan and null are one missing segment (90 + 10), 0.0 and -0.0 one (30 + 20).
    assert got == {0.0: (2, 50.0), None: (2, 100.0)}
    zero = next(key for key in got if key is not None)
    assert math.copysign(1.0, zero) == 1.0  # the segment is written as 0.0, not -0.0


# --- 2. internal column names as `by` columns -------------------------------------------------
def internal_names() -> list[str]:
    """Every column name the analyses write: string literals starting with '_' and names
    given to ``.alias(...)``/``.agg(...)`` in report/, events/, cohorts/, funnels/,
    attribution/ and _core/ (read from the source, so a new helper column is covered)."""
    names: set[str] = set()
    for folder in ("report", "events", "cohorts", "funnels", "attribution", "_core"):
        for path in (SOURCE / folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    if node.func.attr in {"alias", "agg"}:
                        names.update(
                            arg.value
                            for arg in node.args
                            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                        )
                elif (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and re.fullmatch(r"_[A-Za-z0-9_]+", node.value)
                    and not node.value.startswith("__")
                ):
                    names.add(node.value)
    return sorted(names)


INTERNAL = internal_names()
# Names a report refuses as `by` columns with its own clear message (its output columns).
REPORT_COLUMNS = {"new_customers", "orders", "referrals", "revenue", "spend", "visitors"}
ENGAGEMENT_COLUMNS = {"customers", "referrals", "revenue"}


def test_the_internal_names_are_found_in_the_source():
    """The collection is not empty and holds the names issue #16 found colliding."""
    found = set(INTERNAL)
    for name in ("_converted", "active", "events", "retained", "rows", "converted", "_first"):
        assert name in found
    assert len(found) > 60


def small_events(extra: dict[str, Any]) -> dict[str, Any]:
    """Two months, three customers (hand-countable), plus ``extra`` columns."""
    return {
        "customer_id": (["a", "a", "b", "b", "c"], STR),
        "timestamp": (
            [
                day(d)
                for d in ("2024-01-01", "2024-01-02", "2024-01-03", "2024-02-01", "2024-02-03")
            ],
            TS,
        ),
        "event_type": (["visit", "purchase", "visit", "purchase", "visit"], STR),
        "revenue": ([None, 10.0, None, 20.0, None], F64),
        "channel": (["x", "x", "y", "y", "x"], STR),
        **extra,
    }


def kpis_without_segment(report: Any) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in row.model_dump().items() if key != "segment"}
        for row in report.rows
    ]


def same(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> bool:
    """Equal row by row, nan equal to nan."""
    return str(left) == str(right)


SEGMENT = (["s1", "s1", "s2", "s2", "s1"], STR)


def test_every_internal_name_at_once_as_by_columns_gives_the_plain_segment_report(native):
    """All internal names are `by` columns of one call: each backend gives the report of the
    same segments under a plain name (before: DuckDB reported 0 everywhere for `_converted`,
    13 ordinary names crashed with raw errors)."""
    names = [name for name in INTERNAL if name not in REPORT_COLUMNS]
    expected = kpis_without_segment(compute_kpis(native(small_events({"seg": SEGMENT})), by="seg"))
    events = native(small_events(dict.fromkeys(names, SEGMENT)))
    report = compute_kpis(events, by=names)
    assert same(kpis_without_segment(report), expected)
    assert report.rows[0].segment == dict.fromkeys(names, "s1")
    engagement_names = [name for name in INTERNAL if name not in ENGAGEMENT_COLUMNS]
    engagement = engagement_kpis(
        native(small_events(dict.fromkeys(engagement_names, SEGMENT))),
        by=engagement_names,
        referral_channel=None,
    )
    plain = engagement_kpis(native(small_events({"seg": SEGMENT})), by="seg", referral_channel=None)
    assert as_table(engagement).drop(engagement_names).equals(as_table(plain).drop("seg"))


def as_table(frame: Any) -> Any:
    """Any native result as a polars DataFrame, for comparison."""
    import narwhals.stable.v2 as nw  # noqa: PLC0415
    import polars as pl  # noqa: PLC0415

    wrapped = nw.from_native(frame)
    if isinstance(wrapped, nw.LazyFrame):
        wrapped = wrapped.collect()
    result = pl.from_arrow(wrapped.to_arrow())
    assert isinstance(result, pl.DataFrame)
    return result


PLAIN: dict[str, list[dict[str, Any]]] = {}


@pytest.mark.parametrize(
    "in_process_constructor", ["pandas", "pyarrow", "polars_lazy", "duckdb"], indirect=True
)
@pytest.mark.parametrize("name", INTERNAL)
def test_each_internal_name_as_a_by_column_gives_the_plain_segment_report(
    in_process_constructor, name
):
    """One internal name at a time, on each code path of the tables: pandas and pyarrow
    (eager), polars (lazy: the eager frame takes the same path) and DuckDB (SQL). Every
    backend, PySpark and polars eager included, runs every name at once above."""
    import pandas as pd  # noqa: PLC0415

    base = pd.DataFrame({key: values for key, (values, _) in small_events({}).items()})
    if in_process_constructor.name not in PLAIN:  # the plain report, once per backend
        PLAIN[in_process_constructor.name] = kpis_without_segment(
            compute_kpis(in_process_constructor(base.assign(seg=SEGMENT[0])), by="seg")
        )
    expected = PLAIN[in_process_constructor.name]
    events = in_process_constructor(base.assign(**{name: SEGMENT[0]}))
    if name in REPORT_COLUMNS:
        with pytest.raises(InvalidInputError, match="must not name report columns"):
            compute_kpis(events, by=name)
        return
    assert same(kpis_without_segment(compute_kpis(events, by=name)), expected)
    result = funnel(events, ["visit", "purchase"], by=name)
    # s1: a and c enter, a buys a day later; s2: b enters, buys 29 days later (> 7D window).
    assert [step.entrants for step in result.rows] == [2, 1, 1, 0]
    credit = attribute(events, model="last_touch", by=name)
    assert sorted(row.segment[name] for row in credit.credits) == ["s1", "s2"]


@pytest.mark.parametrize("name", ["__rk_customer", "__rk_by_0", "__rk_period"])
def test_by_columns_with_the_private_prefix_are_refused(native, name):
    events = native(small_events({name: SEGMENT}))
    message = (
        f"The 'by' columns of events must not start with '__rk_' (reserved for the library's "
        f"own columns). Got ['{name}'] instead."
    )
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        compute_kpis(events, by=name)


# --- 4. nan customer and order ids --------------------------------------------------------------
def test_a_nan_customer_id_is_rejected_on_every_backend(native):
    """Before: rejected on pandas, counted as one customer on polars, pyarrow and DuckDB."""
    events = native(
        {
            "customer_id": ([1.0, NAN, 2.0], F64),
            "timestamp": ([day("2024-01-05")] * 3, TS),
            "event_type": (["visit", "visit", "purchase"], STR),
            "revenue": ([None, None, 5.0], F64),
        }
    )
    message = (
        "Column 'customer_id' of events is null on 1 row of customer events (event types: "
        "'visit'). Only 'spend' rows may have no customer."
    )
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        compute_kpis(events)


def test_nan_order_ids_are_missing_ids_on_every_backend(native):
    """A purchase without an id is its own order; nan is no id (before: one shared order off
    pandas). Hand count: order 1.0 twice (one order) + two purchases without id = 3 orders."""
    events = native(
        {
            "customer_id": (["a"] * 4, STR),
            "timestamp": ([day("2024-01-05")] * 4, TS),
            "event_type": (["purchase"] * 4, STR),
            "revenue": ([10.0, 20.0, 30.0, 40.0], F64),
            "order_id": ([1.0, 1.0, NAN, NAN], F64),
        }
    )
    (row,) = compute_kpis(events).rows
    assert (row.orders, row.revenue, row.aov) == (3, 100.0, 100.0 / 3)


# --- 5 and 13. attribution labels -----------------------------------------------------------
def channel_events(
    channels: list[Any], dtype: Any, *, on_purchases: bool = False
) -> dict[str, Any]:
    """Customer i visits through channels[i] on Jan 1 and buys for 10 * (i + 1) on Jan 2
    (the purchase row has no channel unless ``on_purchases``)."""
    n = len(channels)
    return {
        "customer_id": ([f"c{i}" for i in range(n) for _ in (0, 1)], STR),
        "timestamp": ([day("2024-01-01"), day("2024-01-02")] * n, TS),
        "event_type": (["visit", "purchase"] * n, STR),
        "revenue": ([v for i in range(n) for v in (None, 10.0 * (i + 1))], F64),
        "channel": (
            [v for value in channels for v in (value, value if on_purchases else None)],
            dtype,
        ),
    }


@pytest.mark.parametrize(
    ("channels", "dtype", "labels"),
    [
        ([3.0, NAN, 2.5, -0.0], F64, {"3.0": 10.0, "(none)": 20.0, "2.5": 30.0, "0.0": 40.0}),
        ([True, False, None], BOOL, {"True": 10.0, "False": 20.0, "(none)": 30.0}),
        ([3, 12], I64, {"3": 10.0, "12": 20.0}),
    ],
    ids=["float", "bool", "int"],
)
def test_attribution_labels_follow_one_rule_on_every_backend(native, channels, dtype, labels):
    """Labels are what Python's str prints; nan is no channel, so its purchase is '(none)'
    (before: '(none)', 'NaN' or 'nan' by backend, and 3.0 was '3' on pyarrow)."""
    # Integers keep their dtype only without nulls (pandas reads them as floats otherwise).
    events = channel_events(channels, dtype, on_purchases=dtype == I64)
    result = attribute(native(events), model="last_touch")
    assert {row.channel: row.revenue for row in result.credits} == labels


def test_a_real_none_channel_needs_another_no_touch_label(native):
    """Google Analytics labels direct traffic '(none)'. Before: an error naming
    `no_touch_label`, a parameter compute_kpis did not have."""
    events = native(channel_events(["(none)", None], STR))
    message = (
        "The 'no_touch_label' parameter of compute_kpis must differ from every channel of the "
        "events. Got '(none)', which is a channel, instead."
    )
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        compute_kpis(events, by="channel", attribution="last_touch")
    report = compute_kpis(
        events, by="channel", attribution="last_touch", no_touch_label="(no touch)"
    )
    # Hand count: c0's purchase (10) is credited to its '(none)' visit, c1's (20) has no
    # touch; the null-channel row (where the purchases are) is credited nothing.
    credited = {row.segment["channel"]: row.revenue for row in report.rows}
    assert credited == {"(none)": 10.0, "(no touch)": 20.0, None: 0.0}


def test_attributed_report_rows_match_float_channel_values(native):
    """compute_kpis maps the attribution labels back to the column's values on every backend
    (before: pyarrow's '3' missed the report's 3.0 row)."""
    report = compute_kpis(
        native(channel_events([3.0, 2.5], F64)), by="channel", attribution="last_touch"
    )
    # Purchases sit in the null-channel rows (no channel on purchase rows); credit goes to 3.0
    # (10) and 2.5 (20); the null row keeps its own events but gets no attributed credit.
    credited = {row.segment["channel"]: row.revenue for row in report.rows}
    assert credited == {2.5: 20.0, 3.0: 10.0, None: 0.0}


# --- 7. funnels keep sub-second order -----------------------------------------------------------
def test_funnels_order_events_within_one_second(native):
    """Before: timestamps were truncated to whole seconds, so a cart added 0.4 s *before* the
    visit counted as converted. Hand count (within 1 s): a carts before visiting in the
    same second (not converted); b visits at .3 and carts at .7 (0.4 s); c visits at
    10:00:00.9 and carts at 10:00:01.1 (0.2 s). Converted: b, c; median 0.3 s."""
    times = [
        day("2024-01-01 10:00:00.700"),
        day("2024-01-01 10:00:00.300"),
        day("2024-01-01 10:00:00.300"),
        day("2024-01-01 10:00:00.700"),
        day("2024-01-01 10:00:00.900"),
        day("2024-01-01 10:00:01.100"),
    ]
    events = native(
        {
            "customer_id": (["a", "a", "b", "b", "c", "c"], STR),
            "timestamp": (times, TS),
            "event_type": (["visit", "cart_add"] * 3, STR),
        }
    )
    steps = funnel(events, ["visit", "cart_add"], within="1s").rows
    assert [step.entrants for step in steps] == [3, 2]
    assert steps[1].median_seconds_from_previous == pytest.approx(0.3)


# --- 9. every IANA zone the backend accepts ---------------------------------------------------
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Argentina/Buenos_Aires",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Etc/GMT+5",
    "Etc/GMT-14",
]


@pytest.mark.parametrize("zone", ZONES)
def test_zoned_timestamps_keep_their_wall_clock_month_in_every_zone(native, zone):
    """23:30 on Jan 31 and 00:30 on Feb 1, local time, fall in two months in every zone
    (before: pandas rejected America/New_York etc. as 'Got dtype Unknown'). DuckDB and
    Spark read instants in their session zone (docs/backends.md), set to the zone here."""
    from zoneinfo import ZoneInfo  # noqa: PLC0415

    tz = ZoneInfo(zone)
    local = [dt.datetime(2024, 1, 31, 23, 30, tzinfo=tz), dt.datetime(2024, 2, 1, 0, 30, tzinfo=tz)]
    events = native(
        {
            "customer_id": (["a", "b"], STR),
            "timestamp": (local, pa.timestamp("us", tz=zone)),
            "event_type": (["visit", "visit"], STR),
        },
        time_zone=zone,
    )
    report = compute_kpis(events)
    assert [(str(row.period), row.visitors) for row in report.rows] == [
        ("2024-01-01", 1),
        ("2024-02-01", 1),
    ]


# --- 10. no visit or purchase rows with period=None -------------------------------------------
@pytest.mark.parametrize("kind", ["empty", "surveys-only"])
def test_no_visits_or_purchases_with_period_none(native, kind):
    """Before: pyarrow raised a bare TypeError. An empty table gives an empty report (as
    docs/errors.md says); one NPS response of 9 gives one row with nps 100."""
    rows = [] if kind == "empty" else [("a", day("2024-01-01"), "nps_response", 9.0)]
    events = native(
        {
            "customer_id": ([r[0] for r in rows], STR),
            "timestamp": ([r[1] for r in rows], TS),
            "event_type": ([r[2] for r in rows], STR),
            "score": ([r[3] for r in rows], F64),
        }
    )
    report = compute_kpis(events, period=None)
    if kind == "empty":
        assert report.rows == ()
    else:
        (row,) = report.rows
        assert (row.visitors, row.active_customers, row.nps) == (0, 0, 100.0)


# --- 14. ASCII digits only in ISO 8601 strings -------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["2024-01-1\u0665", "2024-01-15 1\u0660:00", "2\u066024-01-15", "2024-01-15 10:00:05.1\u0665"],
)
def test_non_ascii_digits_are_not_iso_8601(native, text):
    """Arabic-Indic digits matched `\\d`: pandas parsed them silently and polars failed with
    a raw engine error. Now every backend counts the row as unparseable."""
    events = native(
        {
            "customer_id": (["a", "a"], STR),
            "timestamp": ([text, "2024-01-15"], STR),
            "event_type": (["visit", "visit"], STR),
        }
    )
    message = (
        "Column 'timestamp' of events holds 1 row that cannot be parsed as ISO 8601 timestamps "
        f"(first: {text!r})."
    )
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        compute_kpis(events)
