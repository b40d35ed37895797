"""The event data contract: column names, event type names and event validation.

An event frame holds one row per event. :class:`EventSchema` says which column
holds what (so any naming can be mapped without renaming the frame) and
:class:`EventTypes` which ``event_type`` value means what. :func:`validate_events`
checks a frame against the contract inside its own backend and returns it with
canonical column names, ready for :func:`~retention_kpis.compute_kpis`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

import narwhals.stable.v2 as nw
from narwhals.exceptions import DuplicateError
from narwhals.stable.v2.dtypes import DType
from pydantic import BaseModel, ConfigDict, model_validator

from retention_kpis._event_checks import (
    CUSTOMER,
    EVENT,
    TIMESTAMP,
    check_order_ids,
    event_totals,
    raise_on_problems,
)
from retention_kpis._event_checks import OPTIONAL as _OPTIONAL
from retention_kpis._text import count_rows
from retention_kpis._timestamps import parse_timestamps
from retention_kpis.exceptions import ColumnNotFoundError, InvalidInputError

__all__ = [
    "EventSchema",
    "EventTypes",
    "PreparedEvents",
    "UnknownEvents",
    "plain",
    "validate_events",
]

UnknownEvents: TypeAlias = Literal["raise", "ignore"]
"""What to do with ``event_type`` values the schema does not know."""


class EventTypes(BaseModel):
    """The ``event_type`` value of each kind of event.

    Every field has a default equal to its name, so ``EventTypes()`` reads the
    standard vocabulary and ``EventTypes(purchase="order")`` renames one type.
    Types listed in ``other`` (``"page_view"``, ...) are accepted as known but
    used by no KPI. New named types may be added to this model later with
    defaults, which breaks no existing schema.

    Examples
    --------
    >>> types = EventTypes(purchase="order", other=("page_view",))
    >>> types.purchase, sorted(types.known())[:3]
    ('order', ['cart_add', 'checkout', 'churn'])
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    visit: str = "visit"
    signup: str = "signup"
    purchase: str = "purchase"
    spend: str = "spend"
    nps_response: str = "nps_response"
    csat_response: str = "csat_response"
    referral: str = "referral"
    churn: str = "churn"
    cart_add: str = "cart_add"
    checkout: str = "checkout"
    email_sent: str = "email_sent"
    email_open: str = "email_open"
    email_click: str = "email_click"
    unsubscribe: str = "unsubscribe"
    other: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check_names(self) -> EventTypes:
        named = self.named()
        if any(not value for value in (*named.values(), *self.other)):
            msg = "Event type names of EventTypes must be non-empty strings."
            raise ValueError(msg)
        values = list(named.values())
        duplicated = sorted({value for value in values if values.count(value) > 1})
        if duplicated:
            msg = f"Event type names of EventTypes must be distinct. Got {duplicated} twice."
            raise ValueError(msg)
        return self

    def named(self) -> dict[str, str]:
        """Return ``{kind: event_type value}`` for every named kind."""
        return {
            field: getattr(self, field) for field in type(self).model_fields if field != "other"
        }

    def known(self) -> frozenset[str]:
        """Return every accepted ``event_type`` value (named kinds and ``other``)."""
        return frozenset(self.named().values()) | frozenset(self.other)


class EventSchema(BaseModel):
    """Which column of an event frame holds what.

    ``customer_id``, ``timestamp`` and ``event_type`` are always required.
    ``revenue`` is required when the frame holds purchases, ``cost`` when it
    holds spend rows, ``score`` when it holds survey responses; ``order_id``,
    ``channel`` and ``campaign`` are optional (``order_id`` makes orders
    distinct order ids; ``channel``/``campaign`` are typical ``by`` segments).

    Examples
    --------
    >>> schema = EventSchema(customer_id="user", revenue="amount")
    >>> schema.customer_id, schema.event_types.purchase
    ('user', 'purchase')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: str = "customer_id"
    timestamp: str = "timestamp"
    event_type: str = "event_type"
    revenue: str = "revenue"
    cost: str = "cost"
    channel: str = "channel"
    campaign: str = "campaign"
    score: str = "score"
    order_id: str = "order_id"
    event_types: EventTypes = EventTypes()

    @model_validator(mode="after")
    def _check_columns(self) -> EventSchema:
        values = list(self.columns().values())
        duplicated = sorted({value for value in values if values.count(value) > 1})
        if duplicated or not all(values):
            msg = f"Column names of EventSchema must be distinct, non-empty strings. Got {values}."
            raise ValueError(msg)
        return self

    def columns(self) -> dict[str, str]:
        """Return ``{role: column name}`` for every column role."""
        return {
            field: getattr(self, field)
            for field in type(self).model_fields
            if field != "event_types"
        }


@dataclasses.dataclass(frozen=True)
class PreparedEvents:
    """A validated event frame with canonical columns, and what was found in it.

    Attributes
    ----------
    frame : narwhals.LazyFrame
        The events as a lazy frame of the input's backend, with private canonical
        column names and a naive datetime timestamp, plus the ``by`` columns.
    type_counts : dict of str to int
        Rows per ``event_type`` value kept (after ``unknown_events="ignore"``).
    columns : frozenset of str
        Optional roles present (``"revenue"``, ``"cost"``, ``"score"``, ``"order_id"``).
    notes : tuple of str
        What validation did that the caller should know (ignored rows).
    """

    frame: nw.LazyFrame[Any]
    type_counts: dict[str, int]
    columns: frozenset[str]
    notes: tuple[str, ...]


def plain(value: object) -> object:
    """Turn a backend scalar into plain Python; float nan (pandas' null) into None.

    Examples
    --------
    >>> import numpy as np
    >>> plain(np.int64(3)), plain(float("nan"))
    (3, None)
    """
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        value = item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _lazy(events: object) -> nw.LazyFrame[Any]:
    try:
        frame = nw.from_native(events)  # type: ignore[call-overload]  # any native frame
    except TypeError as exc:
        msg = (
            "The 'events' parameter must be a dataframe narwhals supports (pandas, polars, "
            f"pyarrow, DuckDB, ...). Got {type(events).__name__} instead."
        )
        raise InvalidInputError(msg) from exc
    except DuplicateError as exc:  # pandas allows repeated column names
        names = [str(name) for name in getattr(events, "columns", ())]
        repeated = sorted({name for name in names if names.count(name) > 1})
        msg = (
            f"The 'events' parameter must have distinct column names. Got {repeated} more "
            "than once.\nHint: drop or rename the repeated columns first."
        )
        raise InvalidInputError(msg) from exc
    if isinstance(frame, nw.DataFrame):
        return frame.lazy()
    if isinstance(frame, nw.LazyFrame):
        return frame
    msg = f"The 'events' parameter must be a dataframe, not a series. Got {type(events).__name__}."
    raise InvalidInputError(msg)


def _check_present(wanted: Sequence[str], available: Sequence[str], why: str) -> None:
    missing = [name for name in wanted if name not in available]
    if missing:
        msg = (
            f"Missing column(s) {missing} in events ({why}). "
            f"Available columns: {list(available)}.\n"
            "Hint: map your column names with EventSchema(customer_id='user_id', ...), "
            "or pass `by` columns that exist."
        )
        raise ColumnNotFoundError(msg)


def _numeric(lf: nw.LazyFrame[Any], column: str, dtype: DType) -> nw.Expr:
    """Return a numeric column as Float64; an all-null column of another dtype reads as nulls.

    Casting up front keeps sums exact and alike on every backend: polars sums an
    Int32 column in Int32 (wrapping past 2**31), DuckDB sums decimals as Decimal.
    A float nan becomes null, as pandas reads it, so every backend counts it as
    a missing value (polars, pyarrow and DuckDB keep nan apart from null).
    """
    if dtype.is_float():
        values = nw.col(column) if dtype == nw.Float64 else nw.col(column).cast(nw.Float64())
        return values if _nan_is_null(lf, column) else values.fill_nan(None)
    if dtype.is_numeric():  # integers and decimals hold no nan
        return nw.col(column).cast(nw.Float64())
    filled = lf.select((~nw.col(column).is_null()).cast(nw.Int64).sum()).collect().item()
    if filled:
        msg = f"Column {column!r} of events must be numeric. Got dtype {dtype} instead."
        raise InvalidInputError(msg)
    return nw.lit(None, dtype=nw.Float64())


def _nan_is_null(lf: nw.LazyFrame[Any], column: str) -> bool:
    """Whether nan already reads as null: pandas' numpy float columns (nan is their missing value).

    Skipping ``fill_nan`` there saves a copy of the column; pandas' nullable and pyarrow
    float dtypes, like polars, pyarrow and DuckDB, keep nan apart from null.
    """
    if not lf.implementation.is_pandas():
        return False
    return str(lf.to_native()[column].dtype) in {"float64", "float32", "float16"}


def _coded(strings: nw.Expr, lf: nw.LazyFrame[Any]) -> nw.Expr:
    """Dictionary-encode a string column on pandas; other backends get it unchanged.

    pandas copies and hashes strings again in every filter and group-by (engines such as
    polars, DuckDB and Spark need no help); categories make those integer operations.
    """
    if lf.implementation.is_pandas_like():
        return strings.cast(nw.Categorical())
    return strings


def validate_events(
    events: object,
    *,
    schema: EventSchema | None = None,
    by: Sequence[str] = (),
    unknown_events: UnknownEvents = "raise",
    csat_scale: tuple[int, int] = (1, 5),
) -> PreparedEvents:
    """Check an event frame against the contract and return it with canonical columns.

    All checks run as one aggregation inside the frame's backend (lazy frames
    stay lazy); only per-event-type counts are collected. The input is never
    modified.

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event, any frame narwhals accepts (pandas, polars eager or
        lazy, pyarrow, DuckDB, ...).
    schema : EventSchema, optional
        Column and event type names; ``EventSchema()`` by default.
    by : sequence of str, default=()
        Segment columns that must exist and are kept as they are.
    unknown_events : {"raise", "ignore"}, default="raise"
        ``"raise"`` rejects ``event_type`` values the schema does not know;
        ``"ignore"`` drops those rows and says so in ``notes``.
    csat_scale : (int, int), default=(1, 5)
        Range CSAT scores must fall in.

    Returns
    -------
    PreparedEvents
        The canonical lazy frame, rows per event type, optional columns present
        and notes.

    Raises
    ------
    ColumnNotFoundError
        If a required column is missing (``customer_id``, ``timestamp``,
        ``event_type`` and ``by`` always; ``revenue``/``cost``/``score`` when
        purchases/spend rows/survey responses are present).
    InvalidInputError
        If timestamps are null, unparseable or mix time zones; if a customer
        event has no customer; if revenue or cost is negative (or null where
        needed); if scores are out of range; if event types are null or unknown
        (with ``unknown_events="raise"``).

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a"],
    ...     "timestamp": ["2024-01-05", "2024-01-06 10:00"],
    ...     "event_type": ["visit", "purchase"],
    ...     "revenue": [None, 20.0],
    ... })
    >>> validate_events(events).type_counts
    {'purchase': 1, 'visit': 1}
    """
    schema = EventSchema() if schema is None else schema
    types = schema.event_types
    if unknown_events not in {"raise", "ignore"}:
        msg = (
            "The 'unknown_events' parameter of validate_events must be 'raise' or 'ignore'. "
            f"Got {unknown_events!r} instead."
        )
        raise InvalidInputError(msg)
    lf = _lazy(events)
    native_schema = lf.collect_schema()
    available = native_schema.names()
    _check_present([schema.customer_id, schema.timestamp, schema.event_type], available, "required")
    _check_present(list(by), available, "'by' segments")
    present = frozenset(role for role in _OPTIONAL if getattr(schema, role) in available)
    optional = {
        role: nw.col(getattr(schema, role))
        if role == "order_id"
        else _numeric(lf, getattr(schema, role), native_schema[getattr(schema, role)])
        for role in sorted(present)
    }
    timestamps = parse_timestamps(lf, schema.timestamp, native_schema[schema.timestamp])
    canonical = lf.select(
        nw.col(schema.customer_id).alias(CUSTOMER),
        timestamps.alias(TIMESTAMP),
        _coded(nw.col(schema.event_type).cast(nw.String), lf).alias(EVENT),
        *[expr.alias(_OPTIONAL[role]) for role, expr in optional.items()],
        *[
            _coded(nw.col(name), lf) if native_schema[name] == nw.String else nw.col(name)
            for name in dict.fromkeys(by)
        ],
    )
    totals: dict[str, dict[str, int]] = {}
    for name, counts in event_totals(canonical, present, types, csat_scale):
        if name is None:
            msg = f"Column {schema.event_type!r} of events is null on {count_rows(counts['rows'])}."
            raise InvalidInputError(msg)
        totals[str(name)] = counts
    notes: list[str] = []
    known = types.known()
    unknown = {name: row["rows"] for name, row in totals.items() if name not in known}
    if unknown:
        listed = ", ".join(f"{name!r} ({count_rows(n)})" for name, n in sorted(unknown.items()))
        if unknown_events == "raise":
            msg = (
                f"Column {schema.event_type!r} of events holds unknown event types: {listed}. "
                f"Known: {sorted(known)}.\nHint: name them in EventSchema(event_types=EventTypes("
                "other=(...))) or pass unknown_events='ignore'."
            )
            raise InvalidInputError(msg)
        ignored = count_rows(sum(unknown.values()))
        notes.append(f"Ignored {ignored} with unknown event types: {listed}.")
        canonical = canonical.filter(nw.col(EVENT).is_in(sorted(known)))
        totals = {name: row for name, row in totals.items() if name in known}
    needs = {
        "revenue": [types.purchase],
        "cost": [types.spend],
        "score": [types.nps_response, types.csat_response],
    }
    for role, kinds in needs.items():
        found = [kind for kind in kinds if kind in totals]
        if found and role not in present:
            _check_present([getattr(schema, role)], available, f"needed by {found[0]!r} events")
    raise_on_problems(totals, schema, csat_scale)
    if "order_id" in present and types.purchase in totals:
        check_order_ids(canonical, schema)
    return PreparedEvents(
        frame=canonical,
        type_counts={name: row["rows"] for name, row in sorted(totals.items())},
        columns=present,
        notes=tuple(notes),
    )
