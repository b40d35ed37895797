"""Public entry points: :func:`attribute` and the facade hook :func:`attributed_channel_totals`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import narwhals.stable.v2 as nw

from retention_kpis._core.backends import native_kind
from retention_kpis._core.calendar import Period, period_start
from retention_kpis._core.durations import Duration, parse_duration
from retention_kpis._core.frames import as_lazy
from retention_kpis.attribution._credit import credit
from retention_kpis.attribution._options import (
    Model,
    check_model,
    check_position_weights,
)
from retention_kpis.attribution._paths import JOURNEY, path_table
from retention_kpis.attribution._result import (
    AttributionParameters,
    AttributionResult,
    ChannelCredit,
)
from retention_kpis.events import EventSchema, PreparedEvents, UnknownEvents, validate_events
from retention_kpis.events.validate import require_columns
from retention_kpis.exceptions import InvalidInputError

__all__ = ["AttributedTotals", "ChannelTotals", "attribute", "attributed_channel_totals"]

_PERIODS = ("D", "W", "M", "Q", "Y")
_RESERVED = frozenset({"period", "channel", "conversions", "revenue"})


class ChannelTotals(NamedTuple):
    """Attributed orders (conversions) and revenue of one (period, segment, channel)."""

    orders: float
    revenue: float


class AttributedTotals(NamedTuple):
    """Attributed orders, revenue and new customers of one (period, segment, channel)."""

    orders: float
    revenue: float
    new_customers: float


def _names(value: object, name: str, func: str) -> tuple[str, ...]:
    names = (value,) if isinstance(value, str) else value
    if (
        not isinstance(names, Sequence)
        or not all(isinstance(n, str) and n for n in names)
        or len(set(names)) != len(names)
    ):
        msg = (
            f"The {name!r} parameter of {func} must be a name or a list of distinct names. "
            f"Got {value!r} instead."
        )
        raise InvalidInputError(msg)
    return tuple(names)


def _parameters(
    schema: EventSchema,
    func: str,
    *,
    lookback: Duration | None,
    touch_events: str | Sequence[str] | None,
    conversion_event: str | None,
    direct_channel: str,
    half_life: Duration,
    position_weights: tuple[float, float, float],
    by: str | Sequence[str] | None,
    period: Period | None,
    no_touch_label: str,
) -> AttributionParameters:
    """Check every option up front and return them as :class:`AttributionParameters`."""
    types = schema.event_types
    known = sorted(types.known())
    touches = _names(types.visit if touch_events is None else touch_events, "touch_events", func)
    conversion = types.purchase if conversion_event is None else conversion_event
    if not touches or any(name not in known for name in touches):
        msg = (
            f"The 'touch_events' parameter of {func} must name event types of the schema "
            f"({known}). Got {touch_events!r} instead."
        )
        raise InvalidInputError(msg)
    if conversion not in known or conversion in touches:
        msg = (
            f"The 'conversion_event' parameter of {func} must name an event type of the schema "
            f"({known}) that is not a touch event. Got {conversion!r} instead."
        )
        raise InvalidInputError(msg)
    by_ = () if by is None else _names(by, "by", func)
    clash = sorted({schema.channel, *_RESERVED} & set(by_))
    if clash:
        msg = (
            f"The 'by' parameter of {func} must not name the channel column or output "
            f"columns. Got {clash} instead."
        )
        raise InvalidInputError(msg)
    if period is not None and period not in _PERIODS:
        msg = (
            f"The 'period' parameter of {func} must be one of {list(_PERIODS)} or None. "
            f"Got {period!r} instead."
        )
        raise InvalidInputError(msg)
    for name, value in (("direct_channel", direct_channel), ("no_touch_label", no_touch_label)):
        if not isinstance(value, str) or not value:
            msg = (
                f"The {name!r} parameter of {func} must be a non-empty string. "
                f"Got {value!r} instead."
            )
            raise InvalidInputError(msg)
    return AttributionParameters(
        lookback_seconds=None if lookback is None else parse_duration(lookback, "lookback", func),
        half_life_seconds=parse_duration(half_life, "half_life", func),
        position_weights=check_position_weights(position_weights, func),
        direct_channel=direct_channel,
        no_touch_label=no_touch_label,
        touch_events=touches,
        conversion_event=conversion,
        channel_column=schema.channel,
        by=by_,
        period=period,
    )


def _prepared(
    events: object,
    schema: EventSchema,
    params: AttributionParameters,
    unknown: UnknownEvents,
    func: str,
) -> tuple[nw.LazyFrame[Any], bool]:
    """Return the validated lazy frame (channel and ``by`` columns kept) and if it has revenue."""
    needed = [params.channel_column, *params.by]
    if isinstance(events, PreparedEvents):
        names = events.frame.collect_schema().names()
        why = (
            f"the channel and 'by' columns of {func}; "
            f"validate with by=[{params.channel_column!r}, ...]"
        )
        require_columns(needed, names, why)
        return events.frame, "revenue" in events.columns
    names = as_lazy(events).collect_schema().names()
    require_columns([params.channel_column], names, f"the touchpoint channel of {func}")
    prepared = validate_events(events, schema=schema, by=needed, unknown_events=unknown)
    return prepared.frame, "revenue" in prepared.columns


def _run(
    events: object,
    *,
    model: Model,
    schema: EventSchema,
    params: AttributionParameters,
    unknown: UnknownEvents,
    func: str,
    new_customers: bool = False,
) -> tuple[AttributionResult, list[tuple[tuple[Any, ...], ChannelCredit, float]]]:
    """Attribute; each keyed credit also carries its first-purchase share when asked."""
    lf, has_revenue = _prepared(events, schema, params, unknown, func)
    lookback_us = (
        None if params.lookback_seconds is None else math.ceil(params.lookback_seconds * 1e6)
    )
    options = {
        "direct_channel": params.direct_channel,
        "half_life_us": params.half_life_seconds * 1e6,
        "position_weights": params.position_weights,
    }
    table = path_table(
        lf,
        touch_events=params.touch_events,
        conversion_event=params.conversion_event,
        channel=params.channel_column,
        by=params.by,
        period=params.period,
        lookback_us=lookback_us,
        has_revenue=has_revenue,
        model=model,
        options=options,
        new_customers=new_customers,
    )
    if params.no_touch_label in table.channels:
        msg = (
            f"The 'no_touch_label' parameter of {func} must differ from every channel. "
            f"Got {params.no_touch_label!r}, which is a channel of the touches, instead."
        )
        raise InvalidInputError(msg)
    channels = table.channels
    result = credit(table, model, options)
    keyed: list[tuple[tuple[Any, ...], ChannelCredit, float]] = []
    last = result.values.shape[0] - 1  # the first-purchase shares, when asked
    for g, key in enumerate(table.groups):
        index = key[0] if params.period is not None else None
        values = key[1:] if params.period is not None else key
        common = {
            "period": period_start(params.period, index),
            "segment": dict(zip(params.by, values, strict=True)),
        }
        for c, channel in enumerate(channels):
            if result.present[g, c]:
                item = ChannelCredit(
                    channel=channel,
                    conversions=max(0.0, float(result.conversions[g, c])),
                    revenue=max(0.0, float(result.values[0, g, c])),
                    removal_effect=float(result.removal_effect[g, c]),
                    **common,
                )
                keyed.append(((*key, channel), item, max(0.0, float(result.values[last, g, c]))))
        if result.no_touch_conversions[g]:
            item = ChannelCredit(
                channel=params.no_touch_label,
                conversions=float(result.no_touch_conversions[g]),
                revenue=float(result.no_touch_values[0, g]),
                **common,
            )
            keyed.append(
                ((*key, params.no_touch_label), item, float(result.no_touch_values[last, g]))
            )
    without = round(float(result.no_touch_conversions.sum()))
    n_conversions = without + round(float(result.touched_conversions.sum()))
    kind = native_kind(events.frame if isinstance(events, PreparedEvents) else events)
    journeys = (table.part == JOURNEY) & (table.a == 1)
    summary = AttributionResult(
        model=model,
        parameters=params,
        conversions=n_conversions,
        revenue=math.fsum(
            [*result.no_touch_values[0].tolist(), *result.touched_values[0].tolist()]
        ),
        converting_paths=n_conversions - without,
        conversions_without_touch=without,
        non_converting_journeys=round(float(table.n[journeys].sum())),
        credits=tuple(item for _, item, _ in keyed),
        backend=kind.backend,
        lazy=kind.lazy,
    )
    summary._session = kind.session  # noqa: SLF001 - the private attribute of this very model
    return summary, keyed


def attribute(
    events: object,
    *,
    model: Model = "linear",
    lookback: Duration | None = "30D",
    schema: EventSchema | None = None,
    touch_events: str | Sequence[str] | None = None,
    conversion_event: str | None = None,
    direct_channel: str = "direct",
    half_life: Duration = "7D",
    position_weights: tuple[float, float, float] = (0.4, 0.2, 0.4),
    by: str | Sequence[str] | None = None,
    period: Period | None = None,
    no_touch_label: str = "(none)",
    unknown_events: UnknownEvents = "raise",
) -> AttributionResult:
    """Credit conversions and revenue to marketing channels with a multi-touch model.

    Touchpoints are ``touch_events`` rows with a non-null channel; each
    conversion (a ``conversion_event`` row, with its revenue) gets the path of
    its customer's touches with ``T - lookback <= t <= T`` that come after the
    customer's previous conversion (paths reset after each conversion). The
    model splits each conversion, or all conversions at once for ``"markov"``
    and ``"shapley"``, over the channels; conversions without any touch go to
    ``no_touch_label``, so the credit always sums to the conversions and the
    revenue. Definitions and worked examples: ``docs/attribution.md``.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event, any frame narwhals accepts; validated with
        :func:`~retention_kpis.validate_events`. Not modified. The paths are
        cut with window functions in the events' own engine and reduced there
        to one small table per call (see ``docs/attribution.md``); on lazy
        backends (polars LazyFrame, DuckDB, PySpark) no touch row is collected.
    model : {"first_touch", "last_touch", "last_non_direct", "linear", \
"time_decay", "position_based", "markov", "shapley"}, default="linear"
        The attribution model.
    lookback : str or datetime.timedelta or None, default="30D"
        Window before a conversion in which touches count (inclusive at both
        ends); None for no limit. Also bounds non-converting journeys.
    schema : EventSchema, optional
        Column and event type names; ``EventSchema()`` by default. The channel
        is read from ``schema.channel``.
    touch_events : str or list of str, optional
        Event types that are touchpoints; ``(schema.event_types.visit,)`` by default.
    conversion_event : str, optional
        Event type of conversions; ``schema.event_types.purchase`` by default.
        Null revenue on conversions counts as 0.
    direct_channel : str, default="direct"
        Channel skipped by ``"last_non_direct"`` unless every touch is direct.
    half_life : str or datetime.timedelta, default="7D"
        Half-life of ``"time_decay"`` weights.
    position_weights : (float, float, float), default=(0.4, 0.2, 0.4)
        First, middle and last shares of ``"position_based"`` (>= 0, sum 1).
    by : str or list of str, optional
        Segment columns; rows are split by their own values and every segment
        is attributed on its own.
    period : {"D", "W", "M", "Q", "Y"} or None, default=None
        Report credit per calendar period of the conversion. ``"markov"`` and
        ``"shapley"`` are then fit per period (a non-converting journey belongs
        to the period of its last touch).
    no_touch_label : str, default="(none)"
        Channel name of the bucket of conversions without touches.
    unknown_events : {"raise", "ignore"}, default="raise"
        What to do with event types the schema does not know.

    Returns
    -------
    AttributionResult
        Totals and per-channel credit; :meth:`~AttributionResult.to_frame`
        gives it as a frame of the input's kind.

    Raises
    ------
    ColumnNotFoundError
        If the channel column, a ``by`` column or a required column is missing.
    InvalidInputError
        If an option is invalid, the events break the contract, or
        ``"shapley"`` meets more than 20 channels in one segment and period.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2, 2],
    ...     "timestamp": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04",
    ...                   "2024-01-01", "2024-01-02"],
    ...     "event_type": ["visit", "visit", "visit", "purchase", "visit", "purchase"],
    ...     "channel": ["A", "B", "C", None, "A", None],
    ...     "revenue": [None, None, None, 100.0, None, 50.0],
    ... })
    >>> result = attribute(events, model="linear")
    >>> result.to_dict()
    {'channel': ['A', 'B', 'C'],
     'conversions': [1.333, 0.333, 0.333],
     'revenue': [83.333, 33.333, 33.333]}
    """
    func = "attribute"
    model_ = check_model(model, func)
    schema = EventSchema() if schema is None else schema
    params = _parameters(
        schema,
        func,
        lookback=lookback,
        touch_events=touch_events,
        conversion_event=conversion_event,
        direct_channel=direct_channel,
        half_life=half_life,
        position_weights=position_weights,
        by=by,
        period=period,
        no_touch_label=no_touch_label,
    )
    return _run(
        events, model=model_, schema=schema, params=params, unknown=unknown_events, func=func
    )[0]


def attributed_channel_totals(
    events: object,
    *,
    model: Model = "markov",
    period: Period | None = "M",
    schema: EventSchema | None = None,
    by: str | Sequence[str] | None = None,
    lookback: Duration | None = "30D",
    touch_events: str | Sequence[str] | None = None,
    conversion_event: str | None = None,
    direct_channel: str = "direct",
    half_life: Duration = "7D",
    position_weights: tuple[float, float, float] = (0.4, 0.2, 0.4),
    unknown_events: UnknownEvents = "raise",
    no_touch_label: str = "(none)",
    new_customers: bool = False,
) -> dict[tuple[Any, ...], ChannelTotals] | dict[tuple[Any, ...], AttributedTotals]:
    """Attributed orders and revenue per (period, segment, channel), for ``compute_kpis``.

    The hook for ``compute_kpis(..., attribution=model)``: ROAS, CPA and CAC per
    channel divide spend by these attributed numbers. Same options as
    :func:`attribute`.

    Parameters
    ----------
    events : DataFrame, LazyFrame or PreparedEvents
        Raw events, or the output of :func:`~retention_kpis.validate_events`
        called with the channel column among its ``by`` columns.
    model : str, default="markov"
        See :func:`attribute`.
    period : {"D", "W", "M", "Q", "Y"} or None, default="M"
        Period of the conversion; keys start with the integer period index of
        ``retention_kpis._core.calendar.period_index`` (None: no period in the key).
    schema, by, lookback, touch_events, conversion_event, direct_channel, \
half_life, position_weights, unknown_events, no_touch_label
        See :func:`attribute`.
    new_customers : bool, default=False
        Also credit new customers: the same model's credit of each customer's first
        conversion instant (``1 / k`` on each of its ``k`` conversion rows, 0 on
        later ones), from the same paths (built once).

    Returns
    -------
    dict of tuple to ChannelTotals
        Keys ``(period index, *segment values, channel)`` (the period index only
        when ``period`` is given), values ``ChannelTotals(orders, revenue)``, or
        ``AttributedTotals(orders, revenue, new_customers)`` with
        ``new_customers=True``. Conversions without touches appear under the
        channel ``no_touch_label``.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": [1, 1],
    ...     "timestamp": ["2024-01-01", "2024-01-04"],
    ...     "event_type": ["visit", "purchase"],
    ...     "channel": ["email", None],
    ...     "revenue": [None, 80.0],
    ... })
    >>> attributed_channel_totals(events, model="last_touch", period="M")
    {(24288, 'email'): ChannelTotals(orders=1.0, revenue=80.0)}
    >>> attributed_channel_totals(events, model="last_touch", period=None, new_customers=True)
    {('email',): AttributedTotals(orders=1.0, revenue=80.0, new_customers=1.0)}
    """
    func = "attributed_channel_totals"
    model_ = check_model(model, func)
    schema = EventSchema() if schema is None else schema
    params = _parameters(
        schema,
        func,
        lookback=lookback,
        touch_events=touch_events,
        conversion_event=conversion_event,
        direct_channel=direct_channel,
        half_life=half_life,
        position_weights=position_weights,
        by=by,
        period=period,
        no_touch_label=no_touch_label,
    )
    _, keyed = _run(
        events,
        model=model_,
        schema=schema,
        params=params,
        unknown=unknown_events,
        func=func,
        new_customers=new_customers,
    )
    if new_customers:
        return {
            key: AttributedTotals(item.conversions, item.revenue, new) for key, item, new in keyed
        }
    return {key: ChannelTotals(item.conversions, item.revenue) for key, item, _ in keyed}
