"""The private canonical column names every validated event frame carries.

:func:`~retention_kpis.events.validate_events` renames the user's columns to
these names, so the code below it never depends on the user's naming. They all
start with ``__rk_`` (:data:`PREFIX`).
"""

from __future__ import annotations

__all__ = [
    "CHANNEL",
    "COST",
    "CUSTOMER",
    "EVENT",
    "FRACTION",
    "OPTIONAL",
    "ORDER",
    "PERIOD",
    "PREFIX",
    "REVENUE",
    "SCORE",
    "SECONDS",
    "SEGMENT",
    "TIMESTAMP",
    "segment_names",
]

PREFIX = "__rk_"
"""The prefix of every private column name."""

CUSTOMER = "__rk_customer"
TIMESTAMP = "__rk_timestamp"
EVENT = "__rk_event"
REVENUE = "__rk_revenue"
COST = "__rk_cost"
SCORE = "__rk_score"
ORDER = "__rk_order"
FRACTION = "__rk_fraction"
PERIOD = "__rk_period"
"""The integer period index (see :mod:`retention_kpis._core.calendar`)."""
CHANNEL = "__rk_channel"
SECONDS = "__rk_seconds"
"""Whole seconds since 1970-01-01 of the canonical timestamp."""
OPTIONAL = {"revenue": REVENUE, "cost": COST, "score": SCORE, "order_id": ORDER}
"""The canonical name of each optional column role."""
SEGMENT = "__rk_by_"
"""The prefix of the private names of ``by`` columns: ``__rk_by_0``, ``__rk_by_1``, ..."""


def segment_names(by: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Return the private name of each ``by`` column, in order.

    Examples
    --------
    >>> segment_names(["channel", "country"])
    ('__rk_by_0', '__rk_by_1')
    """
    return tuple(f"{SEGMENT}{index}" for index in range(len(by)))
