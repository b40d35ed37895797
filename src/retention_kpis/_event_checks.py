"""Row-level checks of event frames: indicator columns summed per event type, then messages.

The indicators are computed inside the backend and summed per ``event_type``
in the one validation aggregation of :func:`~retention_kpis.validate_events`;
:func:`raise_on_problems` turns the sums into the first error found, naming the
column, the problem, the number of rows and the event types involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from retention_kpis.exceptions import InvalidInputError

if TYPE_CHECKING:
    from retention_kpis.events import EventSchema, EventTypes

__all__ = ["raise_on_problems", "row_flags"]

CUSTOMER = "__rk_customer"
TIMESTAMP = "__rk_timestamp"
EVENT = "__rk_event"
REVENUE = "__rk_revenue"
COST = "__rk_cost"
SCORE = "__rk_score"
ORDER = "__rk_order"
OPTIONAL = {"revenue": REVENUE, "cost": COST, "score": SCORE, "order_id": ORDER}


def _rows(count: int) -> str:
    return f"{count} row{'s' if count != 1 else ''}"


def row_flags(
    present: frozenset[str], types: EventTypes, csat_scale: tuple[int, int]
) -> dict[str, Any]:
    """Return 0/1 indicator columns of every row-level problem, to sum per event type."""

    def flag(condition: nw.Expr) -> nw.Expr:
        return condition.fill_null(value=False).cast(nw.Int64)

    flags: dict[str, Any] = {
        "null_customer": nw.col(CUSTOMER).is_null().cast(nw.Int64),
        "null_timestamp": nw.col(TIMESTAMP).is_null().cast(nw.Int64),
    }
    for role in ("revenue", "cost"):
        if role in present:
            flags[f"negative_{role}"] = flag(nw.col(OPTIONAL[role]) < 0)
            flags[f"null_{role}"] = nw.col(OPTIONAL[role]).is_null().cast(nw.Int64)
    if "score" in present:
        score = nw.col(SCORE)
        fractional = score.round(0) != score
        low, high = csat_scale
        flags["null_score"] = score.is_null().cast(nw.Int64)
        flags["bad_nps"] = flag(
            (nw.col(EVENT) == types.nps_response) & ((score < 0) | (score > 10) | fractional)
        )
        flags["bad_csat"] = flag(
            (nw.col(EVENT) == types.csat_response) & ((score < low) | (score > high) | fractional)
        )
    return flags


def raise_on_problems(
    totals: dict[str, dict[str, int]],
    schema: EventSchema,
    csat_scale: tuple[int, int],
) -> None:
    """Raise the first problem found, naming the column, the problem and the row count."""
    types = schema.event_types

    def count(flag: str, kinds: Sequence[str] | None = None) -> tuple[int, str]:
        per_type = {
            name: row.get(flag, 0) for name, row in totals.items() if kinds is None or name in kinds
        }
        hit = sorted(name for name, n in per_type.items() if n)
        return sum(per_type.values()), ", ".join(repr(name) for name in hit)

    n, where = count("null_timestamp")
    if n:
        msg = f"Column {schema.timestamp!r} of events is null on {_rows(n)} (event types: {where})."
        raise InvalidInputError(msg)
    customer_kinds = [name for name in types.known() if name != types.spend]
    n, where = count("null_customer", customer_kinds)
    if n:
        msg = (
            f"Column {schema.customer_id!r} of events is null on {_rows(n)} of customer events "
            f"(event types: {where}). Only {types.spend!r} rows may have no customer."
        )
        raise InvalidInputError(msg)
    checks = [
        ("negative_revenue", None, schema.revenue, "must be >= 0 (refunds are not supported)"),
        ("null_revenue", [types.purchase], schema.revenue, "must not be null on purchases"),
        ("negative_cost", None, schema.cost, "must be >= 0"),
        ("null_cost", [types.spend], schema.cost, "must not be null on spend rows"),
        (
            "null_score",
            [types.nps_response, types.csat_response],
            schema.score,
            "must not be null on survey responses",
        ),
        ("bad_nps", None, schema.score, "must hold whole NPS scores in [0, 10] on NPS responses"),
        (
            "bad_csat",
            None,
            schema.score,
            (
                f"must hold whole CSAT scores in [{csat_scale[0]}, {csat_scale[1]}] "
                "(csat_scale) on CSAT responses"
            ),
        ),
    ]
    for flag, kinds, column, requirement in checks:
        n, where = count(flag, kinds)
        if n:
            msg = (
                f"Column {column!r} of events {requirement}. "
                f"Got {_rows(n)} that do not (event types: {where})."
            )
            raise InvalidInputError(msg)
