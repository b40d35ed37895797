"""Referral, email and revenue-concentration KPIs per period, from a frame of events.

:func:`engagement_kpis` counts referrals, referred customers, email engagement
and email-attributed repeat purchases inside the events' own backend (any frame
narwhals reads), collects one small table per period and segment (plus each
purchaser's revenue, for the Pareto share) and turns each row into KPIs with the
pure functions of :mod:`retention_kpis.metrics`, so every formula lives in one
place. :func:`referred_vs_organic` runs :func:`~retention_kpis.compute_kpis` on
referred and on other customers, to compare their retention and CLV. See
``docs/engagement.md`` for the definitions and a worked example.

Definitions (all per period and ``by`` segment):

* A **customer** is a distinct purchaser (the facade's ``active_customers``).
* A customer is **referred** when the ``channel`` of their first event (their
  acquisition channel) is ``referral_channel``; with ties at the first
  timestamp, when any of those events carries it. A ``referral`` event belongs
  to the referrer (its ``customer_id``) and counts one referral made.
* An **email** is one ``email_sent`` row (customer and second; no bounce events
  exist, so every email sent counts as delivered). Every ``email_open``,
  ``email_click`` and ``unsubscribe`` is linked to the same customer's latest
  email at or before it (in the same ``by`` segment) and counted in that
  email's period: ``email_opens`` are emails opened or clicked at least once (a
  click implies an open), ``email_clicks`` emails clicked at least once,
  ``email_unsubscribes`` emails followed by an unsubscribe. So
  ``clicks <= opens <= delivered`` always. Engagement rows with no earlier
  email of the customer (sent before the data starts) link to none and are not
  counted.
* An **email-attributed repeat purchase** is a purchase, after the customer's
  first purchase in the frame, at most ``click_window`` after the customer's
  latest ``email_click`` at or before it (any segment); counted in the
  purchase's period and segment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import narwhals.stable.v2 as nw

from retention_kpis._core.backends import from_columns, native_kind
from retention_kpis._core.calendar import Period, period_start
from retention_kpis._core.checks import check_confidence, check_top_fraction
from retention_kpis._core.columns import CUSTOMER, segment_names
from retention_kpis._core.durations import parse_duration
from retention_kpis._core.frames import collect, key_order, private_segments
from retention_kpis._core.kinds import dtype_of
from retention_kpis.events import EventSchema, UnknownEvents, validate_events
from retention_kpis.events.schema import check_schema
from retention_kpis.report.columns import (
    ENGAGEMENT_DEFINITIONS,
    ENGAGEMENT_INTERVAL_METHODS,
    ENGAGEMENT_TABLE_COUNTS,
    REFERRED,
)
from retention_kpis.report.compute import ChurnFrom, compute_kpis
from retention_kpis.report.engagement_rows import engagement_row
from retention_kpis.report.engagement_tables import engagement_tables, first_touch, with_channel
from retention_kpis.report.interval_rows import engagement_interval_values
from retention_kpis.report.options import (
    check_by,
    check_referral_channel,
    checked_period,
    require_channel,
)

__all__ = ["ENGAGEMENT_DEFINITIONS", "engagement_kpis", "referred_vs_organic"]


def _prepared_frame(
    events: object,
    schema: EventSchema,
    by: tuple[str, ...],
    referral_channel: str | None,
    unknown_events: UnknownEvents,
) -> tuple[nw.LazyFrame[Any], frozenset[str]]:
    keep = by
    if referral_channel is not None:
        require_channel(events, schema, referral_channel)
        keep = (*by, schema.channel)
    prepared = validate_events(events, schema=schema, by=keep, unknown_events=unknown_events)
    lf = prepared.frame
    if referral_channel is not None:
        lf = with_channel(lf, schema.channel)
    # The `by` columns go on as __rk_by_<i>: no helper column of the tables can collide.
    lf, _ = private_segments(lf, by)
    return lf, prepared.columns


def engagement_kpis(
    events: object,
    *,
    schema: EventSchema | None = None,
    period: Period | None = "M",
    by: str | Sequence[str] | None = None,
    click_window: str | Any = "7D",  # noqa: ANN401 - a str or a datetime.timedelta
    top_fraction: float = 0.2,
    referral_channel: str | None = "referral",
    unknown_events: UnknownEvents = "raise",
    confidence: float | None = None,
) -> Any:  # noqa: ANN401 - a native frame of the input's kind
    """Referral, email and Pareto-share KPIs per period (and segment) from events.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event in any frame narwhals accepts (pandas, polars eager or
        lazy, pyarrow, DuckDB, PySpark); aggregated in its engine, not modified.
        Uses the ``purchase``, ``referral``, ``email_sent``, ``email_open``,
        ``email_click`` and ``unsubscribe`` rows (names from ``schema``).
    schema : EventSchema, optional
        Column and event type names; ``EventSchema()`` by default.
    period : {"D", "W", "M", "Q", "Y"} or None, default="M"
        Calendar period of each row (weeks start on Monday); None makes the
        whole frame one period.
    by : str or list of str, optional
        Segment columns (e.g. ``"campaign"``).
    click_window : str or datetime.timedelta, default="7D"
        How long after an email click a repeat purchase is attributed to email
        (``"<n><unit>"`` with unit s, min, h, D or W; inclusive).
    top_fraction : float, default=0.2
        Share of customers in the top group of ``pareto_share``, in (0, 1].
    referral_channel : str or None, default="referral"
        ``channel`` value marking customers acquired by referral (first event's
        channel). Needs the ``channel`` column; None skips referred customers
        (the ``referred_customers`` and ``referred_customer_share`` columns are
        left out).
    unknown_events : {"raise", "ignore"}, default="raise"
        What to do with event types the schema does not know.
    confidence : float or None, default=None
        Add ``<kpi>_low`` and ``<kpi>_high`` columns at this level (in (0, 1)) after
        each share: ``referred_customer_share``, ``email_open_rate``, ``email_ctr``,
        ``email_cto_rate`` and ``email_unsubscribe_rate`` (Wilson score intervals of the
        counts beside them; null where the share is). None adds nothing. Methods:
        ``docs/metrics/intervals.md``.

    Returns
    -------
    DataFrame or LazyFrame
        Of the input's kind, one row per (period, segment) holding an event,
        sorted: ``period`` (first day, a date; null with ``period=None``), the
        ``by`` columns, then the columns of :data:`ENGAGEMENT_DEFINITIONS`
        (counts Int64; rates Float64, null where the denominator is 0), each share
        followed by its bounds with ``confidence``.

    Raises
    ------
    ColumnNotFoundError
        If a needed column is missing (``channel`` with a ``referral_channel``).
    InvalidInputError
        If an option is invalid or the events break the contract (see
        :func:`~retention_kpis.validate_events`).

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2],
    ...     "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04",
    ...                   "2024-01-01", "2024-01-02"],
    ...     "event_type": ["purchase", "email_sent", "email_click", "purchase",
    ...                    "purchase", "email_sent"],
    ...     "revenue": [10.0, None, None, 30.0, 20.0, None],
    ...     "channel": ["referral", "email", "email", "email", "organic", "email"],
    ... })
    >>> row = engagement_kpis(events).iloc[0]
    >>> int(row["customers"]), int(row["referred_customers"]), float(row["email_ctr"])
    (2, 1, 0.5)
    >>> int(row["email_attributed_repeat_purchases"]), float(row["pareto_share"])
    (1, 0.6666666666666666)
    >>> row = engagement_kpis(events, confidence=0.95).iloc[0]
    >>> round(float(row["email_ctr_low"]), 4), round(float(row["email_ctr_high"]), 4)
    (0.0945, 0.9055)
    """
    func = "engagement_kpis"
    schema_ = check_schema(schema, func)
    period_ = checked_period(period, func)
    by_ = check_by(by, func, ENGAGEMENT_DEFINITIONS, "result columns")
    window = int(parse_duration(click_window, "click_window", func, whole_seconds=True))
    fraction = check_top_fraction(top_fraction, func)
    channel = check_referral_channel(referral_channel, func, optional=True)
    level = None if confidence is None else check_confidence(confidence, func)
    lf, columns = _prepared_frame(events, schema_, by_, channel, unknown_events)
    tables = engagement_tables(
        lf,
        types=schema_.event_types,
        period=period_,
        by=segment_names(list(by_)),
        referral_channel=channel,
        click_window=window,
        has_revenue="revenue" in columns,
        top_fraction=fraction,
        intervals=level is not None,
    )
    keys = sorted(tables.tables["main"], key=key_order)
    kpis = []
    for name in ENGAGEMENT_DEFINITIONS:
        if channel is None and name in REFERRED:
            continue
        kpis.append(name)
        if level is not None and name in ENGAGEMENT_INTERVAL_METHODS:
            kpis += [f"{name}_low", f"{name}_high"]
    data: dict[str, list[Any]] = {name: [] for name in ("period", *by_, *kpis)}
    for key in keys:
        data["period"].append(period_start(period_, key[0] if period_ is not None else None))
        for name, value in zip(by_, key[1:] if period_ is not None else key, strict=True):
            data[name].append(value)
        row = engagement_row(tables, key)
        if level is not None:
            row.update(
                engagement_interval_values(
                    row,
                    level,
                    referred=channel is not None,
                    sums=tables.tables["main"].get(key),
                )
            )
        for name in kpis:
            value = row[name]
            data[name].append(None if isinstance(value, float) and math.isnan(value) else value)
    kind = native_kind(events)
    schema_out: dict[str, Any] = {"period": nw.Object() if kind.backend == "pandas" else nw.Date()}
    schema_out.update({name: dtype_of(data[name]) for name in by_})
    schema_out.update(
        {name: nw.Int64() if name in ENGAGEMENT_TABLE_COUNTS else nw.Float64() for name in kpis}
    )
    return from_columns(
        data, schema_out, backend=kind.backend, lazy=kind.lazy, session=kind.session
    )


def referred_vs_organic(
    events: object,
    *,
    schema: EventSchema | None = None,
    period: Period | None = "M",
    by: str | Sequence[str] | None = None,
    referral_channel: str = "referral",
    churn_from: ChurnFrom = "activity",
    unknown_events: UnknownEvents = "raise",
) -> Any:  # noqa: ANN401 - a native frame of the input's kind
    """Every facade KPI, retention and CLV included, for referred and for other customers.

    Customers are split by their acquisition channel (the ``channel`` of their
    first event; referred when it is ``referral_channel``), the events of each
    group are kept (so ``referral`` events count with their referrer's group)
    and :func:`~retention_kpis.compute_kpis` runs on each: retention is the
    share of the group's previous-period purchasers active again, and ``clv`` the
    historical ``aov * purchase_frequency / churn_rate``. Rows without a
    customer (``spend``) belong to neither group, so spend-based KPIs are null.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event, any frame narwhals accepts; must hold ``channel``.
    schema : EventSchema, optional
        Column and event type names; ``EventSchema()`` by default.
    period : {"D", "W", "M", "Q", "Y"} or None, default="M"
        Calendar period, as in :func:`~retention_kpis.compute_kpis`.
    by : str or list of str, optional
        Segment columns, as in :func:`~retention_kpis.compute_kpis`.
    referral_channel : str, default="referral"
        ``channel`` value of customers acquired by referral.
    churn_from : {"activity", "events"}, default="activity"
        As in :func:`~retention_kpis.compute_kpis`.
    unknown_events : {"raise", "ignore"}, default="raise"
        What to do with event types the schema does not know.

    Returns
    -------
    DataFrame or LazyFrame
        Of the input's kind: a boolean ``referred`` column, then the columns of
        :attr:`KPIReport.columns <retention_kpis.KPIReport.columns>`; the
        referred customers' rows first.

    Raises
    ------
    ColumnNotFoundError
        If the ``channel`` column (or another needed column) is missing.
    InvalidInputError
        If an option is invalid or the events break the contract.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 2],
    ...     "timestamp": ["2024-01-05", "2024-02-05", "2024-01-06", "2024-03-01"],
    ...     "event_type": ["purchase", "purchase", "purchase", "purchase"],
    ...     "revenue": [10.0, 10.0, 20.0, 20.0],
    ...     "channel": ["referral", "referral", "social", "social"],
    ... })
    >>> table = referred_vs_organic(events)
    >>> print(table[["referred", "period", "retention_rate"]].to_string(index=False))
     referred     period  retention_rate
         True 2024-01-01             NaN
         True 2024-02-01             1.0
        False 2024-01-01             NaN
        False 2024-03-01             NaN
    """
    func = "referred_vs_organic"
    schema_ = check_schema(schema, func)
    channel = check_referral_channel(referral_channel, func, optional=False)
    assert channel is not None  # narrowed for mypy: optional=False never returns None
    checked_period(period, func)
    lf, _ = _prepared_frame(events, schema_, (), channel, unknown_events)
    flags = first_touch(lf, channel)
    frame = nw.from_native(events)  # type: ignore[call-overload]  # any native frame
    parts = []
    for referred in (True, False):
        ids: Any = flags.filter(nw.col("referred") == int(referred)).select(
            nw.col(CUSTOMER).alias(schema_.customer_id)
        )
        if isinstance(frame, nw.DataFrame):
            ids = collect(ids)
        subset = frame.join(ids, on=schema_.customer_id, how="semi").to_native()
        report = compute_kpis(
            subset,
            schema=schema_,
            period=period,
            by=by,
            churn_from=churn_from,
            unknown_events=unknown_events,
        )
        table = nw.from_native(report.to_frame())
        parts.append(
            table.with_columns(nw.lit(referred).alias("referred")).select(
                "referred", *report.columns
            )
        )
    return nw.concat(parts).to_native()
