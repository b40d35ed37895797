"""Backend-side counts behind :func:`~retention_kpis.engagement_kpis`.

Everything here runs as narwhals expressions inside the events' own backend;
only per-(period, segment) counts and per-(period, segment, customer) revenue
are collected. No KPI formula lives here.

Linking an engagement event to an earlier event of the same customer (an open
to its email, a purchase to the last click) uses a running maximum over the
customer's events in time order: ``cum_max`` of the earlier event's time (a
sentinel elsewhere), ordered by time and then by a tie-break flag that puts the
earlier kind first within a second. The time and flag columns are materialised
before the window expression runs (pandas evaluates a ``when/then`` inside
``over(order_by=...)`` in the wrong order).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._aggregate import PERIOD, Key, Period, _collect, _grouped, period_index
from retention_kpis._event_checks import CUSTOMER, EVENT, REVENUE, TIMESTAMP
from retention_kpis.cohorts._events import seconds_expr
from retention_kpis.events import EventTypes

__all__ = ["CHANNEL", "EngagementTables", "engagement_tables", "first_touch"]

CHANNEL = "__rk_channel"
_SECONDS = "__rk_seconds"
_NEVER = -(2**62)
"""Running-maximum sentinel: before any event (seconds since 1970 of year 1 are > -2**62)."""


@dataclasses.dataclass(frozen=True)
class EngagementTables:
    """Collected counts keyed by ``(period index, *segment values)``.

    ``tables[name][key]`` holds the columns of one table; ``revenues[key]`` the
    revenue of each purchaser of the key (in no particular order).
    """

    tables: dict[str, dict[Key, dict[str, Any]]]
    revenues: dict[Key, list[float]]


def first_touch(lf: nw.LazyFrame[Any], referral_channel: str) -> nw.LazyFrame[Any]:
    """Return one row per customer with ``referred`` (1/0): the first event's channel is referral.

    The first event is the customer's earliest; when several share that
    timestamp, the customer is referred if any of them carries the channel.
    """
    customers = lf.filter(~nw.col(CUSTOMER).is_null())
    first = customers.group_by(CUSTOMER).agg(nw.col(TIMESTAMP).min().alias("_first"))
    return (
        customers.join(first, on=CUSTOMER)
        .filter(nw.col(TIMESTAMP) == nw.col("_first"))
        .with_columns(
            (nw.col(CHANNEL) == referral_channel)
            .fill_null(value=False)
            .cast(nw.Int64)
            .alias("_ref")
        )
        .group_by(CUSTOMER)
        .agg(nw.col("_ref").max().alias("referred"))
    )


def _latest_before(
    lf: nw.LazyFrame[Any],
    is_earlier: nw.Expr,
    value: nw.Expr,
    partition: Sequence[str],
    alias: str,
) -> nw.LazyFrame[Any]:
    """Add ``alias``: running max of ``value`` on ``is_earlier`` rows (sentinel before any)."""
    return (
        lf.with_columns(
            nw.when(is_earlier).then(value).otherwise(nw.lit(_NEVER)).alias("_value"),
            (~is_earlier).cast(nw.Int64).alias("_later"),
        )
        .with_columns(
            nw.col("_value").cum_max().over(*partition, order_by=[_SECONDS, "_later"]).alias(alias)
        )
        .drop("_value", "_later")
    )


def _email_table(
    lf: nw.LazyFrame[Any], types: EventTypes, keys: Sequence[str], by: Sequence[str]
) -> nw.LazyFrame[Any]:
    """Delivered emails and how many were opened, clicked and followed by an unsubscribe."""
    kinds = [types.email_sent, types.email_open, types.email_click, types.unsubscribe]
    email = lf.filter(nw.col(EVENT).is_in(kinds))
    is_sent = nw.col(EVENT) == types.email_sent
    period_value = nw.col(PERIOD) if PERIOD in keys else nw.lit(0)
    linked = _latest_before(email, is_sent, nw.col(_SECONDS), [CUSTOMER, *by], "_send")
    linked = _latest_before(linked, is_sent, period_value, [CUSTOMER, *by], "_send_period")
    flags = {
        "_opened": nw.col(EVENT).is_in([types.email_open, types.email_click]),
        "_clicked": nw.col(EVENT) == types.email_click,
        "_quit": nw.col(EVENT) == types.unsubscribe,
    }
    per_email = (
        linked.filter(nw.col("_send") != _NEVER)
        .with_columns(**{name: flag.cast(nw.Int64) for name, flag in flags.items()})
        .group_by(CUSTOMER, *by, "_send")
        .agg(
            nw.col("_send_period").max().alias(PERIOD),
            *[nw.col(name).max() for name in flags],
        )
    )
    return _grouped(
        per_email,
        keys,
        nw.len().alias("delivered"),
        nw.col("_opened").sum().alias("opens"),
        nw.col("_clicked").sum().alias("clicks"),
        nw.col("_quit").sum().alias("unsubscribes"),
    )


def _email_purchases(
    lf: nw.LazyFrame[Any], types: EventTypes, keys: Sequence[str], window: int
) -> nw.LazyFrame[Any]:
    """Repeat purchases at most ``window`` seconds after the customer's latest email click."""
    is_purchase = nw.col(EVENT) == types.purchase
    rows = lf.filter(nw.col(EVENT).is_in([types.purchase, types.email_click]))
    rows = _latest_before(
        rows, nw.col(EVENT) == types.email_click, nw.col(_SECONDS), [CUSTOMER], "_click"
    )
    rows = rows.with_columns(
        nw.when(is_purchase).then(nw.col(_SECONDS)).otherwise(nw.lit(None)).alias("_bought")
    ).with_columns(nw.col("_bought").min().over(CUSTOMER).alias("_first"))
    # Purchase rows first: elsewhere "_first" may be null (nan on pandas, which warns).
    attributed = rows.filter(is_purchase).filter(
        (nw.col(_SECONDS) > nw.col("_first"))
        & (nw.col("_click") != _NEVER)
        & (nw.col(_SECONDS) - nw.col("_click") <= window)
    )
    return _grouped(attributed, keys, nw.len().alias("attributed"))


def engagement_tables(
    lf: nw.LazyFrame[Any],
    *,
    types: EventTypes,
    period: Period | None,
    by: Sequence[str],
    referral_channel: str | None,
    click_window: int,
    has_revenue: bool,
) -> EngagementTables:
    """Collect the tables behind :func:`~retention_kpis.engagement_kpis`, keyed by period."""
    keys = [PERIOD, *by] if period is not None else list(by)
    if period is not None:
        lf = lf.with_columns(period_index(period).alias(PERIOD))
    lf = lf.with_columns(seconds_expr().alias(_SECONDS))
    purchases = lf.filter(nw.col(EVENT) == types.purchase)
    purchasers = purchases.select(*keys, CUSTOMER).unique()
    if referral_channel is not None:
        purchasers = purchasers.join(first_touch(lf, referral_channel), on=CUSTOMER)
    else:
        purchasers = purchasers.with_columns(nw.lit(0, dtype=nw.Int64()).alias("referred"))
    plans: dict[str, nw.LazyFrame[Any]] = {
        "events": _grouped(lf, keys, nw.len().alias("events")),
        "customers": _grouped(
            purchasers,
            keys,
            nw.len().alias("customers"),
            nw.col("referred").sum().alias("referred"),
        ),
        "referrals": _grouped(
            lf.filter(nw.col(EVENT) == types.referral), keys, nw.len().alias("referrals")
        ),
        "email": _email_table(lf, types, keys, by),
        "email_purchases": _email_purchases(lf, types, keys, click_window),
    }
    tables = {name: _collect(plan, keys) for name, plan in plans.items()}
    revenues: dict[Key, list[float]] = {}
    if has_revenue:
        spent = purchases.group_by(*keys, CUSTOMER).agg(nw.col(REVENUE).sum().alias("revenue"))
        for key, row in _collect(spent, [*keys, CUSTOMER]).items():
            revenues.setdefault(key[:-1], []).append(float(row["revenue"]))
    return EngagementTables(tables=tables, revenues=revenues)
