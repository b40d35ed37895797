"""``compute_kpis(..., attribution=model)``: attributed orders, revenue and new customers.

:func:`~retention_kpis.attribution.attributed_channel_totals` credits every
purchase to the channels of its customer's touches; its totals per
``(period, other segments, channel)`` are re-keyed to the facade's
``(period, *by)`` order here. No credit is computed in this module.

Attributed new customers are the same models' credit of a first-purchase
indicator carried beside the revenue (one path table, built once): ``1 / k`` on each
of the ``k`` purchase rows at the customer's earliest purchase instant, 0 on
every later purchase. Each customer then carries exactly 1 in total, so per
period the attributed new customers over all channels sum to the customers
whose first purchase falls in that period.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from retention_kpis._core.calendar import Period
from retention_kpis._core.frames import Key
from retention_kpis.attribution import MODELS, Model, attributed_channel_totals
from retention_kpis.events import EventSchema, PreparedEvents
from retention_kpis.exceptions import InvalidInputError

__all__ = [
    "attributed_orders",
    "check_attribution",
    "report_attribution",
]

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
    model = next(name for name in MODELS if name == attribution)
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
    no_touch_label: str = NO_TOUCH,
    func: str = "compute_kpis",
) -> dict[Key, tuple[float, float, float]]:
    """Return ``{(period index, *by values): (orders, revenue, new customers)}`` by ``model``.

    Channels come back from the attribution as text; ``channel_values`` (the
    report's own channel values) map them back to the column's values, so an
    integer channel ``3`` is credited on the report's ``3`` row. New customers
    are credited from the same paths, built once (see the module docstring). Purchases without
    a touch are credited to ``no_touch_label``, which must differ from every
    channel of the events (as text).
    """
    as_value = {str(value): value for value in channel_values if value is not None}
    if not isinstance(no_touch_label, str) or not no_touch_label:
        msg = (
            f"The 'no_touch_label' parameter of {func} must be a non-empty string. "
            f"Got {no_touch_label!r} instead."
        )
        raise InvalidInputError(msg)
    if no_touch_label in as_value:
        msg = (
            f"The 'no_touch_label' parameter of {func} must differ from every channel of the "
            f"events. Got {no_touch_label!r}, which is a channel, instead.\n"
            "Hint: pass another label, e.g. no_touch_label='(no touch)'."
        )
        raise InvalidInputError(msg)
    others = tuple(name for name in by if name != schema.channel)
    totals = attributed_channel_totals(
        prepared,
        model=model,
        period=period,
        schema=schema,
        by=others,
        no_touch_label=no_touch_label,
        new_customers=True,
    )
    position = by.index(schema.channel)
    offset = 1 if period is not None else 0
    keyed: dict[Key, tuple[float, float, float]] = {}
    for key, credit in totals.items():
        *head, channel = key
        segment = list(head[offset:])
        segment.insert(position, as_value.get(channel, channel))
        keyed[tuple(head[:offset]) + tuple(segment)] = tuple(credit)  # type: ignore[assignment]
    return keyed


def report_attribution(
    prepared: PreparedEvents,
    *,
    model: Model | None,
    schema: EventSchema,
    period: Period | None,
    by: tuple[str, ...],
    keys: Iterable[Key],
    no_touch_label: str = NO_TOUCH,
    func: str = "compute_kpis",
) -> tuple[dict[Key, tuple[float, float, float]] | None, tuple[str, ...]]:
    """Return the attributed totals of the report's keys and the note saying so.

    Without a model: ``(None, ())``. Purchases without a touch are credited to
    ``no_touch_label`` (see :func:`attributed_orders`).
    """
    if model is None:
        return None, ()
    position = by.index(schema.channel) + (1 if period is not None else 0)
    attributed = attributed_orders(
        prepared,
        model=model,
        schema=schema,
        period=period,
        by=by,
        channel_values=[key[position] for key in keys],
        no_touch_label=no_touch_label,
        func=func,
    )
    note = (
        "orders, revenue, new_customers, aov, cpa, cac and roas are attributed to "
        f"channels with the {model!r} model (visits within 30 days before each purchase "
        f"are its touches; purchases without one are the channel {no_touch_label!r}; "
        "new_customers credits each customer's first purchase); the other columns count "
        "each event in its own channel."
    )
    return attributed, (note,)
