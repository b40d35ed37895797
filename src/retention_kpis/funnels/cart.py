"""Cart abandonment and checkout conversion from cart, checkout and purchase events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from retention_kpis._core.checks import (
    ZeroDivision,
    check_confidence,
    check_name,
    check_zero_division,
)
from retention_kpis._core.durations import parse_duration
from retention_kpis._core.kinds import remember_kind
from retention_kpis.events import EventSchema
from retention_kpis.events.schema import check_schema
from retention_kpis.exceptions import InvalidInputError
from retention_kpis.funnels._query import SegmentValue
from retention_kpis.funnels._result import CartKPIRow, CartKPIs, Unit, sort_key
from retention_kpis.funnels.funnel import prepare_units
from retention_kpis.metrics.cart import cart_abandonment_rate, checkout_conversion_rate
from retention_kpis.stats import proportion_interval

__all__ = ["cart_kpis"]

_FUNC = "cart_kpis"


def cart_kpis(
    events: object,
    *,
    cart_event: str | None = None,
    checkout_event: str | None = None,
    purchase_event: str | None = None,
    within: str | dt.timedelta = "7D",
    unit: Unit = "user",
    by: Sequence[str] | str | None = None,
    schema: EventSchema | None = None,
    session_column: str | None = None,
    session_gap: str | dt.timedelta = "30min",
    zero_division: ZeroDivision = "warn",
    confidence: float | None = None,
) -> CartKPIs:
    """Cart abandonment rate and checkout conversion rate per segment.

    Definitions, with units (users or sessions) as in
    :func:`~retention_kpis.funnels.funnel`:

    * ``carts_created``: units with a ``cart_event``;
    * ``carts_converted``: of those, units with a ``purchase_event`` at or after
      their first ``cart_event`` and within ``within`` of it (the ordered funnel
      ``[cart_event, purchase_event]``);
    * ``checkouts_started`` / ``checkouts_completed``: the same for the funnel
      ``[checkout_event, purchase_event]``;
    * ``cart_abandonment_rate = 1 - carts_converted / carts_created`` and
      ``checkout_conversion_rate = checkouts_completed / checkouts_started``, by
      :func:`~retention_kpis.cart_abandonment_rate` and
      :func:`~retention_kpis.checkout_conversion_rate`.

    Each count is segmented on its own entry event (first cart, first checkout).

    Parameters
    ----------
    events : DataFrame or LazyFrame
        One row per event, checked with :func:`~retention_kpis.validate_events`.
    cart_event, checkout_event : str, optional
        Event types of adding to cart and starting a checkout; by default the
        schema's ``event_types.cart_add`` and ``event_types.checkout`` (``"cart_add"``
        and ``"checkout"`` unless renamed).
    purchase_event : str, optional
        Event type of a completed order; ``schema.event_types.purchase`` by default.
    within : str or timedelta, default="7D"
        Time allowed from the first cart (checkout) to the purchase.
    unit : {"user", "session"}, default="user"
        Count customers or sessions.
    by : str or sequence of str, optional
        Segment columns.
    schema : EventSchema, optional
        Column names; ``EventSchema()`` by default.
    session_column : str, optional
        Session ids, with ``unit="session"``.
    session_gap : str or timedelta, default="30min"
        Inactivity ending a built session when there is no ``session_column``.
    zero_division : {"warn"} or float, default="warn"
        Rate of a segment with no carts (or no checkouts).
    confidence : float or None, default=None
        Add ``cart_abandonment_rate_low`` / ``_high`` and
        ``checkout_conversion_rate_low`` / ``_high`` at this level (in (0, 1)): Wilson
        score intervals of abandoned / created carts and completed / started checkouts
        (null where the rate's denominator is 0). None adds nothing.

    Returns
    -------
    CartKPIs
        One row per segment, sorted.
        :meth:`~CartKPIs.to_frame` returns the events' kind of frame.

    Raises
    ------
    InvalidInputError
        If event names coincide, ``within`` is not positive, an option is unknown
        or the events break the data contract.
    ColumnNotFoundError
        If a required, ``by`` or session column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> events = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b", "b", "c"],
    ...     "timestamp": ["2024-01-01 10:00", "2024-01-01 10:05", "2024-01-01 10:09",
    ...                   "2024-01-02 10:00", "2024-01-02 10:01", "2024-01-03 08:00"],
    ...     "event_type": ["cart_add", "checkout", "purchase", "cart_add", "checkout", "cart_add"],
    ...     "revenue": [None, None, 30.0, None, None, None],
    ... })
    >>> row = cart_kpis(events).rows[0]
    >>> row.carts_created, row.carts_converted, round(row.cart_abandonment_rate, 4)
    (3, 1, 0.6667)
    >>> row.checkouts_started, row.checkout_conversion_rate
    (2, 0.5)
    >>> row = cart_kpis(events, confidence=0.95).rows[0]
    >>> round(row.checkout_conversion_rate_low, 4), round(row.checkout_conversion_rate_high, 4)
    (0.0945, 0.9055)
    """
    schema_ = check_schema(schema, _FUNC)
    types = schema_.event_types
    cart = check_name(
        getattr(types, "cart_add", "cart_add") if cart_event is None else cart_event,
        "cart_event",
        _FUNC,
    )
    checkout = check_name(
        getattr(types, "checkout", "checkout") if checkout_event is None else checkout_event,
        "checkout_event",
        _FUNC,
    )
    window = int(parse_duration(within, "within", _FUNC, whole_seconds=True))
    policy = check_zero_division(zero_division, _FUNC)
    level = None if confidence is None else check_confidence(confidence, _FUNC)
    purchase = check_name(
        types.purchase if purchase_event is None else purchase_event,
        "purchase_event",
        _FUNC,
    )
    names = (cart, checkout, purchase)
    if len(set(names)) != len(names):
        msg = (
            f"The 'cart_event', 'checkout_event' and 'purchase_event' parameters of {_FUNC} must "
            f"be distinct event types. Got {list(names)} instead."
        )
        raise InvalidInputError(msg)
    prepared = prepare_units(
        events,
        names=names,
        unit=unit,
        by=by,
        schema=schema,
        session_column=session_column,
        session_gap=session_gap,
        func=_FUNC,
    )
    # Without segments there is always one row, even when nobody added to a cart.
    counts: dict[tuple[SegmentValue, ...], dict[str, int]] = {} if prepared.by else {(): {}}
    for label, steps in (("cart", (cart, purchase)), ("checkout", (checkout, purchase))):
        for segment, totals in prepared.totals(steps, within=window, ordered=True).items():
            row = counts.setdefault(segment, {})
            row[f"{label}_entered"], row[f"{label}_done"] = totals.entrants
    rows = []
    for segment in sorted(counts, key=sort_key):
        row = counts[segment]
        carts, converted = row.get("cart_entered", 0), row.get("cart_done", 0)
        started, completed = row.get("checkout_entered", 0), row.get("checkout_done", 0)
        bounds = {}
        if level is not None:
            for name, part, whole in (
                ("cart_abandonment_rate", carts - converted, carts),
                ("checkout_conversion_rate", completed, started),
            ):
                low, high = proportion_interval(part, whole, confidence=level)
                bounds[f"{name}_low"], bounds[f"{name}_high"] = low, high
        rows.append(
            CartKPIRow(
                segment=segment,
                carts_created=carts,
                carts_converted=converted,
                cart_abandonment_rate=cart_abandonment_rate(carts, converted, zero_division=policy),
                checkouts_started=started,
                checkouts_completed=completed,
                checkout_conversion_rate=checkout_conversion_rate(
                    completed, started, zero_division=policy
                ),
                **bounds,
            )
        )
    result = CartKPIs(
        unit=prepared.unit,
        within_seconds=window,
        by=prepared.by,
        rows=tuple(rows),
        notes=prepared.prepared.notes,
        confidence=level,
    )
    return remember_kind(result, events)
