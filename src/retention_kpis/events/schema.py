"""The event data contract: which column holds what, and which event type means what.

An event frame holds one row per event. :class:`EventSchema` says which column
holds what (so any naming can be mapped without renaming the frame) and
:class:`EventTypes` which ``event_type`` value means what.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import narwhals.stable.v2 as nw
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from retention_kpis.exceptions import InvalidInputError

__all__ = ["EventSchema", "EventTypes", "PreparedEvents", "UnknownEvents", "check_schema"]

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


def check_schema(schema: object, func: str) -> EventSchema:
    """Return the schema: ``EventSchema()`` for None, a mapping read as ``EventSchema(**mapping)``.

    A mapping may hold ``event_types`` as a mapping too, as in a spec file.

    Examples
    --------
    >>> check_schema({"customer_id": "user_id", "event_types": {"purchase": "order"}}, "f")
    ... # doctest: +ELLIPSIS
    EventSchema(customer_id='user_id', ...)
    """
    if schema is None:
        return EventSchema()
    if isinstance(schema, Mapping):
        try:
            return EventSchema.model_validate(dict(schema))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc']) or 'schema'}: {error['msg']}"
                for error in exc.errors()
            )
            msg = (
                f"The 'schema' parameter of {func} must be an EventSchema or a mapping of its "
                f"fields. Got a mapping with problems: {problems}."
            )
            raise InvalidInputError(msg) from None
    if not isinstance(schema, EventSchema):
        msg = (
            f"The 'schema' parameter of {func} must be an EventSchema or a mapping "
            f"of its fields. Got {type(schema).__name__} instead."
        )
        raise InvalidInputError(msg)
    return schema
