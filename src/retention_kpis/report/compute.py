"""The events facade: :func:`compute_kpis` and its result, :class:`KPIReport`.

Events are validated and aggregated inside their own backend (lazy frames stay
lazy); one small table of counts and sums per period and segment is collected,
and the pure metric functions of :mod:`retention_kpis.metrics` turn each row
into KPIs, so every formula lives in exactly one place. See ``docs/metrics.md``
for the definitions and a worked example.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeAlias

from retention_kpis._core.backends import native_kind
from retention_kpis._core.calendar import Period, period_start
from retention_kpis._core.checks import check_confidence
from retention_kpis._core.columns import CHANNEL
from retention_kpis._core.frames import Key, as_lazy, private_segments, sorted_keys
from retention_kpis._core.text import count_rows
from retention_kpis.attribution import Model
from retention_kpis.events import EventSchema, PreparedEvents, UnknownEvents, validate_events
from retention_kpis.events.schema import check_schema
from retention_kpis.report.attributed import check_attribution, report_attribution
from retention_kpis.report.columns import DEFINITIONS, KPI_COLUMNS, interval_definitions
from retention_kpis.report.engagement_tables import (
    EngagementTables,
    engagement_tables,
    with_channel,
)
from retention_kpis.report.model import KPIReport, KPIRow
from retention_kpis.report.options import (
    check_by,
    check_churn_from,
    check_csat,
    check_engagement,
    checked_period,
)
from retention_kpis.report.plan import Aggregates
from retention_kpis.report.rows import RowInputs, engagement_values, kpi_values
from retention_kpis.report.tables import aggregate

__all__ = ["KPIReport", "KPIRow", "compute_kpis"]

ChurnFrom: TypeAlias = Literal["activity", "events"]
"""Where :func:`compute_kpis` counts churned customers from (its ``churn_from`` option)."""
_FUNC = "compute_kpis"


def _no_progress(done: int, total: int, label: str) -> None:
    """Report no progress (``progress=None``)."""


@dataclasses.dataclass(frozen=True)
class _Extras:
    """The engagement tables and attributed totals of a report, with their options."""

    engagement: EngagementTables | None
    no_referred: str | None
    attributed: dict[Key, tuple[float, float, float]] | None


def _rows(
    aggregates: Aggregates,
    inputs: RowInputs,
    extras: _Extras,
    by: tuple[str, ...],
    period: Period | None,
) -> tuple[list[KPIRow], list[str]]:
    causes: dict[str, int] = {}
    rows = []
    keys: Sequence[Key] = aggregates.keys
    if extras.attributed is not None:
        keys = sorted_keys([*keys, *extras.attributed])
    for key in keys:
        index = key[0] if period is not None else None
        segment = dict(zip(by, key[1:] if period is not None else key, strict=True))
        attributed = None
        if extras.attributed is not None:
            attributed = extras.attributed.get(key, (0.0, 0.0, 0.0))
        values = kpi_values(aggregates, key, inputs, causes, attributed)
        engagement = engagement_values(
            extras.engagement,
            key,
            no_referred=extras.no_referred,
            causes=causes,
            confidence=inputs.confidence,
        )
        more = engagement.pop("interval_inputs", None)
        values.update(engagement)
        if more is not None:  # the engagement KPIs' counts beside the core KPIs'
            values["interval_inputs"] = {**(values.get("interval_inputs") or {}), **more}
        rows.append(KPIRow(period=period_start(period, index), segment=segment, **values))
    notes = [f"{cause} ({count_rows(count)})." for cause, count in sorted(causes.items())]
    return rows, notes


def _engagement_extras(
    prepared: PreparedEvents,
    schema: EventSchema,
    options: dict[str, Any],
) -> tuple[EngagementTables | None, str | None]:
    """Collect the engagement tables (None with engagement=False) and why referred is null."""
    if not options["engagement"]:
        return None, None
    channel = options["referral_channel"]
    lf = prepared.frame
    no_referred = None
    if channel is None:
        no_referred = (
            "referred_customers and referred_customer_share are null: referral_channel=None"
        )
    elif CHANNEL not in lf.columns:
        no_referred = (
            "referred_customers and referred_customer_share are null: the events have no "
            f"{schema.channel!r} column (the first event's channel tells referred customers)"
        )
        channel = None
    tables = engagement_tables(
        lf,
        types=schema.event_types,
        period=options["period"],
        by=options["by"],
        referral_channel=channel,
        click_window=options["click_window"],
        has_revenue="revenue" in prepared.columns,
        top_fraction=options["top_fraction"],
        intervals=options["intervals"],
    )
    return tables, no_referred


def compute_kpis(
    events: object,
    *,
    schema: EventSchema | None = None,
    period: Period | None = "M",
    by: str | Sequence[str] | None = None,
    unknown_events: UnknownEvents = "raise",
    csat_scale: tuple[int, int] = (1, 5),
    csat_threshold: int = 4,
    churn_from: ChurnFrom = "activity",
    engagement: bool = False,
    click_window: str | dt.timedelta = "7D",
    top_fraction: float = 0.2,
    referral_channel: str | None = "referral",
    attribution: Model | None = None,
    confidence: float | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    no_touch_label: str = "(none)",
) -> KPIReport:
    """Compute every KPI per period (and segment) from a frame of events.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event in any frame narwhals accepts: pandas, polars (eager
        or lazy), pyarrow, a DuckDB relation, a PySpark DataFrame, ... Lazy
        frames are aggregated in their engine; only per-period tables are
        collected. Not modified. See ``docs/backends.md``.
    schema : EventSchema, optional
        Column and event type names; ``EventSchema()`` by default.
    period : {"D", "W", "M", "Q", "Y"} or None, default="M"
        Calendar period of each row (weeks start on Monday); None makes the
        whole frame one period (then retention, churn and CLV are null).
    by : str or list of str, optional
        Segment columns (e.g. ``"channel"``); KPIs are computed per segment.
    unknown_events : {"raise", "ignore"}, default="raise"
        What to do with event types the schema does not know.
    csat_scale : (int, int), default=(1, 5)
        Scale of CSAT answers.
    csat_threshold : int, default=4
        Lowest CSAT answer counted as satisfied.
    churn_from : {"activity", "events"}, default="activity"
        ``"activity"``: churned = previous period's active customers not active
        again; ``"events"``: churned = those of them with a ``churn`` event in the
        period (contractual churn), and ``retention_rate = 1 - churn_rate``.
    engagement : bool, default=False
        Compute the referral, email and Pareto columns (definitions in
        ``docs/engagement.md``); False leaves them null and skips their cost
        (they take about two thirds of the time, see ``docs/metrics.md``).
    click_window : str or datetime.timedelta, default="7D"
        How long after an email click a repeat purchase counts in
        ``email_attributed_repeat_purchases`` (``"<n><unit>"``, unit s, min, h,
        D or W; inclusive).
    top_fraction : float, default=0.2
        Share of purchasers in the top group of ``pareto_share``, in (0, 1].
    referral_channel : str or None, default="referral"
        ``channel`` value marking customers acquired by referral (their first
        event's channel). Without a channel column, or with None,
        ``referred_customers`` and ``referred_customer_share`` are null (a note
        says why).
    attribution : str or None, default=None
        An attribution model of :func:`~retention_kpis.attribution.attribute`
        (``"markov"``, ``"linear"``, ``"last_touch"``, ...). ``by`` must then
        hold the channel column: ``orders`` and ``revenue`` per (period,
        channel) become the purchases credited to the channel by the model
        (fractional; visits within 30 days before each purchase are the
        touches, purchases without one form the channel ``no_touch_label``), and
        ``aov``, ``cpa`` and ``roas`` use them. ``new_customers`` becomes
        each customer's first purchase credited the same way (fractional,
        summing to the period's new customers over all channels) and ``cac``
        uses it. Other columns still count each event in its own channel.
    confidence : float or None, default=None
        Add ``<kpi>_low`` and ``<kpi>_high`` columns at this level (in (0, 1)) after
        ``conversion_rate``, ``aov``, ``purchase_frequency``, ``csat``, ``nps``,
        ``retention_rate`` and ``churn_rate``: Wilson score intervals for the shares,
        the adjusted-Wald interval for NPS, and delta-method intervals with customers as
        clusters for ``aov`` and ``purchase_frequency`` (from per-customer sums and
        squares computed in the engine; ``aov``'s is null with ``attribution``). Null
        where undefined (fewer than two purchasers for the ratios). None adds nothing.
        Methods and references: ``docs/metrics/intervals.md``.
    progress : callable, optional
        Called as ``progress(done, total, label)`` before each long step
        (validating, aggregating, building the rows) and once at the end; the
        console script draws its progress bar with it.
    no_touch_label : str, default="(none)"
        With ``attribution``: the channel value of purchases without a touch.
        It must differ from every channel of the events (Google Analytics
        writes ``"(none)"`` for direct traffic: then pass another label).

    Returns
    -------
    KPIReport
        One row per (period, segment) with at least one event (with
        ``attribution``, also per channel credited in a period).

    Raises
    ------
    ColumnNotFoundError
        If a needed column is missing.
    InvalidInputError
        If an option is invalid or the events break the contract (see
        :func:`~retention_kpis.validate_events`).

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06", "2024-01-07", "2024-02-02"],
    ...     "event_type": ["visit", "purchase", "visit", "purchase"],
    ...     "revenue": [None, 20.0, None, 30.0],
    ... })
    >>> report = compute_kpis(events, period="M")
    >>> [(str(r.period), r.visitors, r.conversion_rate, r.retention_rate) for r in report.rows]
    [('2024-01-01', 2, 0.5, nan), ('2024-02-01', 0, nan, 1.0)]
    """
    schema = check_schema(schema, _FUNC)
    period = checked_period(period, _FUNC)
    by_ = check_by(by, _FUNC, KPI_COLUMNS, "report columns")
    churn_from = check_churn_from(churn_from, _FUNC)  # type: ignore[assignment]  # checked
    scale = check_csat(csat_scale, csat_threshold, _FUNC)
    options = check_engagement(engagement, click_window, top_fraction, referral_channel, _FUNC)
    model = check_attribution(attribution, schema, by_, _FUNC)
    level = None if confidence is None else check_confidence(confidence, _FUNC)
    step = progress or _no_progress
    step(0, 3, "validating events")
    lf = as_lazy(events)
    keep = by_
    wants_channel = options["engagement"] and options["referral_channel"] is not None
    referred = wants_channel and schema.channel in lf.columns
    if referred:
        keep = tuple(dict.fromkeys((*by_, schema.channel)))
    prepared = validate_events(
        lf, schema=schema, by=keep, unknown_events=unknown_events, csat_scale=scale
    )
    frame = prepared.frame
    if referred:  # the channel column under its private name, for referred customers
        frame = with_channel(frame, schema.channel)
    # The `by` columns go on as __rk_by_<i>: no helper column of the tables can collide.
    frame, private = private_segments(frame, by_)
    prepared = dataclasses.replace(prepared, frame=frame)
    step(1, 3, "aggregating")
    aggregates = aggregate(
        prepared.frame,
        types=schema.event_types,
        period=period,
        by=private,
        columns=prepared.columns,
        churned=churn_from == "events",
        moments=level is not None,
    )
    inputs = RowInputs(
        types=schema.event_types,
        period=period,
        has_orders="order_id" in prepared.columns,
        has_spend=schema.event_types.spend in prepared.type_counts,
        churn_from=churn_from,
        csat_scale=scale,
        csat_threshold=int(csat_threshold),
        confidence=level,
        revenue_column=schema.revenue,
        cost_column=schema.cost,
    )
    tables, no_referred = _engagement_extras(
        prepared,
        schema,
        {**options, "period": period, "by": private, "intervals": level is not None},
    )
    # The attribution reads the channel under its private name, like every `by` column.
    channel_schema = schema
    if schema.channel in by_:
        channel_schema = schema.model_copy(update={"channel": private[by_.index(schema.channel)]})
    attributed, attribution_notes = report_attribution(
        prepared,
        model=model,
        schema=channel_schema,
        period=period,
        by=private,
        keys=aggregates.keys,
        no_touch_label=no_touch_label,
        func=_FUNC,
    )
    notes = [*prepared.notes, *attribution_notes]
    extras = _Extras(tables, no_referred, attributed)
    step(2, 3, "computing KPIs")
    rows, row_notes = _rows(aggregates, inputs, extras, by_, period)
    kind = native_kind(events)
    report = KPIReport(
        rows=tuple(rows),
        period=period,
        by=by_,
        event_schema=schema,
        definitions={**DEFINITIONS, **({} if level is None else interval_definitions(level))},
        notes=(*notes, *row_notes),
        backend=kind.backend,
        lazy=kind.lazy,
        attribution=model,
        confidence=level,
    )
    report._session = kind.session  # noqa: SLF001 - the private attribute of this very model
    step(3, 3, "done")
    return report
