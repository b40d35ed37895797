"""Backend agreement on hostile values built natively (issue #16).

Each case is a frame of hostile values (a real nan beside null, -0.0, integers beyond
2**53, every internal column name as a user column, ...) built with each backend's own
constructor. ``compute_kpis`` (and ``engagement_kpis``) must give every backend the
answer pandas gives, or the same error, and a few hand counts pin what that answer is.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from retention_kpis import RetentionKPIsError, compute_kpis, engagement_kpis

NAN = math.nan
STR, F64, I64, TS = pa.string(), pa.float64(), pa.int64(), pa.timestamp("us")
_SPEC = importlib.util.spec_from_file_location(
    "hostile_values", Path(__file__).with_name("test_hostile_values.py")
)
assert _SPEC is not None
assert _SPEC.loader is not None
_HOSTILE = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_HOSTILE)
INTERNAL: list[str] = _HOSTILE.INTERNAL  # every helper column name, read from the source


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def base(n: int) -> dict[str, Any]:
    """n events alternating visit/purchase over January and February 2024."""
    return {
        "timestamp": ([day("2024-01-10") if i % 3 else day("2024-02-10") for i in range(n)], TS),
        "event_type": (["visit" if i % 2 else "purchase" for i in range(n)], STR),
        "revenue": ([None if i % 2 else 10.0 * (i + 1) for i in range(n)], F64),
    }


BIG = [2**53, 2**53 + 1, 2**63 - 1, -(2**63), 2**53, 2**53 + 1]
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "nan-null-signed-zero-segments": (
        {
            "customer_id": (["a", "b", "c", "d", "e", "f"], STR),
            "seg": ([NAN, None, 0.0, -0.0, math.inf, NAN], F64),
            **base(6),
        },
        {"by": "seg"},
    ),
    "integer-ids-beyond-2-to-the-53": (
        {"customer_id": (BIG, I64), **base(6)},
        {},
    ),
    "huge-integer-revenue": (
        {
            "customer_id": (["a", "b", "a", "b"], STR),
            "timestamp": ([day("2024-01-10")] * 4, TS),
            "event_type": (["purchase"] * 4, STR),
            "revenue": ([2**62, 2**62, 10**15, 10**15 + 1], I64),
        },
        {},
    ),
    "nan-and-null-revenue-on-visits": (
        {
            "customer_id": (["a", "a", "b", "b"], STR),
            "timestamp": ([day("2024-01-10")] * 4, TS),
            "event_type": (["visit", "visit", "visit", "purchase"], STR),
            "revenue": ([NAN, None, NAN, 5.0], F64),
        },
        {},
    ),
    "nan-revenue-on-a-purchase": (
        {
            "customer_id": (["a", "b"], STR),
            "timestamp": ([day("2024-01-10")] * 2, TS),
            "event_type": (["purchase", "purchase"], STR),
            "revenue": ([NAN, 5.0], F64),
        },
        {},
    ),
    "nan-customer-id": (
        {"customer_id": ([1.0, NAN, 2.0, NAN, 1.0, 2.0], F64), **base(6)},
        {},
    ),
    "nan-and-null-order-ids": (
        {
            "customer_id": (["a"] * 6, STR),
            "order_id": ([1.0, 1.0, NAN, None, -0.0, 0.0], F64),
            **base(6),
        },
        {},
    ),
    "every-internal-name-as-a-user-column": (
        {
            "customer_id": (["a", "b", "c", "a", "b", "c"], STR),
            **{name: (["x", "y", "x", "y", "x", "y"], STR) for name in INTERNAL},
            **base(6),
        },
        {"by": "channel", "engagement": True},
    ),
}
CASES["every-internal-name-as-a-user-column"][0]["channel"] = (
    ["web", "email", "web", None, "web", "email"],
    STR,
)


def outcome(make: Any, case: str) -> Any:
    """The report as text (nan and None spelled alike), or the error class and message."""
    columns, options = CASES[case]
    try:
        report = compute_kpis(make(columns), **options)
    except RetentionKPIsError as error:
        return type(error).__name__, str(error)
    return [repr(row.model_dump()).replace("nan", "None") for row in report.rows]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_backend_gives_the_pandas_answer_on_hostile_values(native, request, case):
    expected = outcome(type(native)("pandas", request), case)
    assert outcome(native, case) == expected


def test_hostile_values_give_the_hand_counted_answers(native):
    """What the agreed answers are, counted by hand from CASES."""
    report = compute_kpis(native(CASES["integer-ids-beyond-2-to-the-53"][0]))
    # Purchases at even i, visits at odd i; January holds i = 1, 2, 4, 5. Visitors: i=1 and
    # 5, both 2**53+1 (1 distinct); purchasers i=2 (2**63-1) and 4 (2**53): 2. As floats
    # 2**53+1 would be 2**53 and convert; kept exact, nobody converts.
    jan = report.rows[0]
    assert (jan.visitors, jan.active_customers, jan.conversion_rate) == (1, 2, 0.0)
    row = compute_kpis(native(CASES["nan-and-null-order-ids"][0])).rows[0]
    # January (i = 1, 2, 4, 5): purchases i=2 (order nan: its own order) and i=4 (order -0.0,
    # the same as 0.0): 2 orders of 30 + 50.
    assert (row.orders, row.revenue) == (2, 80.0)
    segments = compute_kpis(native(CASES["nan-null-signed-zero-segments"][0]), by="seg")
    # nan and null are one segment, 0.0 and -0.0 one, inf one: (Feb, Jan) x 3 segments.
    assert sorted({str(row.segment["seg"]) for row in segments.rows}) == ["0.0", "None", "inf"]


def test_engagement_kpis_agree_on_internal_names_as_user_columns(native, request):
    """engagement_kpis reads the channel column beside every internal name."""
    columns, _ = CASES["every-internal-name-as-a-user-column"]
    schema = {"customer_id", "timestamp", "event_type", "revenue", "channel"}
    plain = {key: value for key, value in columns.items() if key not in INTERNAL or key in schema}
    got = engagement_kpis(native(columns), by="channel")
    want = engagement_kpis(type(native)("pandas", request)(plain), by="channel")
    assert _HOSTILE.as_table(got).equals(_HOSTILE.as_table(want))
