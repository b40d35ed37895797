"""``--column role=name`` and ``--event kind=value``: the event contract on the command line.

The flags build the :class:`~retention_kpis.EventSchema` that a Python user
writes as ``EventSchema(customer_id="user_id", event_types=EventTypes(
purchase="order_completed"))``; with a spec they override its ``events:``.
Options shared by ``report`` and ``check`` (the reader, ``--verbose``) are
added here too.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from retention_kpis.cli.read import READERS, InputError

if TYPE_CHECKING:
    from retention_kpis.events import EventSchema

__all__ = ["add_data_options", "event_schema", "parse_pairs"]


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--column``, ``--event``, ``--reader`` and ``--verbose`` to a subcommand."""
    parser.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="ROLE=NAME",
        help=(
            "the column holding ROLE (customer_id, timestamp, event_type, revenue, cost, "
            "channel, campaign, score, order_id), e.g. --column customer_id=user_id; repeat"
        ),
    )
    parser.add_argument(
        "--event",
        action="append",
        default=[],
        metavar="KIND=VALUE",
        help=(
            "the event_type value of KIND (visit, purchase, signup, spend, ...), "
            "e.g. --event purchase=order_completed; repeat"
        ),
    )
    parser.add_argument(
        "--reader",
        choices=READERS,
        default="auto",
        help=(
            "how files are read: duckdb keeps the data in DuckDB (the default when "
            "installed), polars in a polars frame (the default without DuckDB), pandas in a "
            "pandas frame"
        ),
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="say which reader ran and what it read"
    )


def parse_pairs(values: Sequence[str], flag: str, allowed: Sequence[str]) -> dict[str, str]:
    """Parse ``KEY=VALUE`` flags, checking each key against ``allowed``.

    Examples
    --------
    >>> parse_pairs(["customer_id=user_id"], "--column", ["customer_id", "timestamp"])
    {'customer_id': 'user_id'}
    >>> parse_pairs(["custmer_id=user_id"], "--column", ["customer_id", "timestamp"])
    Traceback (most recent call last):
    ...
    retention_kpis.cli.read.InputError: --column custmer_id=user_id: unknown role 'custmer_id'; did you mean 'customer_id'? Known: customer_id, timestamp
    """  # noqa: E501 - the doctest output is one line
    pairs: dict[str, str] = {}
    for value in values:
        key, sep, name = value.partition("=")
        key, name = key.strip(), name.strip()
        if not sep or not key or not name:
            msg = f"{flag} takes KEY=VALUE (e.g. {flag} {allowed[0]}=...), got {value!r}"
            raise InputError(msg)
        if key not in allowed:
            kind = "role" if flag == "--column" else "event kind"
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"{flag} {value}: unknown {kind} {key!r}{hint} Known: {', '.join(allowed)}"
            raise InputError(msg)
        if key in pairs and pairs[key] != name:
            msg = f"{flag} {key} is given twice ({pairs[key]!r} and {name!r})"
            raise InputError(msg)
        pairs[key] = name
    return pairs


def event_schema(
    base: EventSchema | None, columns: Sequence[str], events: Sequence[str]
) -> EventSchema:
    """Return ``base`` (the default contract if None) with the flags' columns and events.

    Examples
    --------
    >>> schema = event_schema(None, ["customer_id=user_id"], ["purchase=order_completed"])
    >>> schema.customer_id, schema.event_types.purchase, schema.event_types.visit
    ('user_id', 'order_completed', 'visit')
    """
    from retention_kpis.events import EventSchema, EventTypes  # noqa: PLC0415 - fast --help

    schema = base or EventSchema()
    roles = [name for name in EventSchema.model_fields if name != "event_types"]
    kinds = list(EventTypes.model_fields)
    mapped = parse_pairs(columns, "--column", roles)
    renamed = parse_pairs(events, "--event", [kind for kind in kinds if kind != "other"])
    if not mapped and not renamed:
        return schema
    document = schema.model_dump()
    document.update(mapped)
    document["event_types"] = {**document["event_types"], **renamed}
    try:
        return EventSchema.model_validate(document)
    except ValueError as exc:
        msg = f"--column/--event give an invalid event contract: {exc}"
        raise InputError(msg) from exc
