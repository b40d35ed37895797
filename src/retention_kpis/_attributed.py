"""``compute_kpis(..., attribution=model)``: attributed orders and revenue per report key.

:func:`~retention_kpis.attribution.attributed_channel_totals` credits every
purchase to the channels of its customer's touches; its totals per
``(period, other segments, channel)`` are re-keyed to the facade's
``(period, *by)`` order here. No credit is computed in this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from retention_kpis._aggregate import Key, Period
from retention_kpis.attribution import MODELS, Model, attributed_channel_totals
from retention_kpis.attribution._options import check_model
from retention_kpis.events import EventSchema, PreparedEvents
from retention_kpis.exceptions import InvalidInputError

__all__ = ["attributed_orders", "check_attribution", "sorted_keys"]

NO_TOUCH = "(none)"
"""Channel of purchases without any touch (the attribution module's default label)."""


def check_attribution(
    attribution: object, schema: EventSchema, by: tuple[str, ...], func: str
) -> Model | None:
    """Return the attribution model, or None; the channel column must be a ``by`` column."""
    if attribution is None:
        return None
    if attribution not in MODELS:
        msg = (
            f"The 'attribution' parameter of {func} must be one of {list(MODELS)} or None. "
            f"Got {attribution!r} instead."
        )
        raise InvalidInputError(msg)
    model = check_model(attribution, func)
    if schema.channel not in by:
        msg = (
            f"The 'attribution' parameter of {func} needs the channel column "
            f"{schema.channel!r} among the 'by' columns, as attributed orders exist per "
            f"channel. Got by={list(by)!r} instead.\n"
            f"Hint: pass by={[schema.channel, *by]!r}."
        )
        raise InvalidInputError(msg)
    return model


def attributed_orders(
    prepared: PreparedEvents,
    *,
    model: Model,
    schema: EventSchema,
    period: Period | None,
    by: tuple[str, ...],
    channel_values: Iterable[Any],
) -> dict[Key, tuple[float, float]]:
    """Return ``{(period index, *by values): (orders, revenue)}`` credited by ``model``.

    Channels come back from the attribution as text; ``channel_values`` (the
    report's own channel values) map them back to the column's values, so an
    integer channel ``3`` is credited on the report's ``3`` row.
    """
    others = tuple(name for name in by if name != schema.channel)
    totals = attributed_channel_totals(
        prepared, model=model, period=period, schema=schema, by=others
    )
    as_value = {str(value): value for value in channel_values if value is not None}
    position = by.index(schema.channel)
    offset = 1 if period is not None else 0
    keyed: dict[Key, tuple[float, float]] = {}
    for key, credit in totals.items():
        *head, channel = key
        segment = list(head[offset:])
        segment.insert(position, as_value.get(channel, channel))
        keyed[tuple(head[:offset]) + tuple(segment)] = (credit.orders, credit.revenue)
    return keyed


def sorted_keys(keys: Iterable[Key]) -> list[Key]:
    """Sort report keys as the aggregation does (nulls last, values grouped by type)."""
    return sorted(set(keys), key=lambda key: tuple((v is None, str(type(v)), v) for v in key))
