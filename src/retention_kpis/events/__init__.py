"""The event data contract: column names, event type names and event validation.

An event frame holds one row per event. :class:`EventSchema` says which column
holds what (so any naming can be mapped without renaming the frame) and
:class:`EventTypes` which ``event_type`` value means what. :func:`validate_events`
checks a frame against the contract inside its own backend and returns it with
canonical column names, ready for :func:`~retention_kpis.compute_kpis`.

* :mod:`~retention_kpis.events.schema`: :class:`EventSchema`, :class:`EventTypes`;
* :mod:`~retention_kpis.events.validate`: :func:`validate_events`;
* :mod:`~retention_kpis.events.checks`: the row-level checks and their messages.
"""

from __future__ import annotations

from retention_kpis._core.frames import plain
from retention_kpis.events.schema import EventSchema, EventTypes, PreparedEvents, UnknownEvents
from retention_kpis.events.validate import validate_events

__all__ = [
    "EventSchema",
    "EventTypes",
    "PreparedEvents",
    "UnknownEvents",
    "plain",
    "validate_events",
]
