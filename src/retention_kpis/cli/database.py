"""Events in a database for the console script: a PostgreSQL URL or a DuckDB database file.

``--data postgresql://user@host:port/db --table events`` (or ``--data shop.duckdb``) opens
the table as a SQLFrame DataFrame: the events stay in the database and only aggregates
come back (docs/warehouses.md). A password comes from the environment (``PGPASSWORD``, a
``.pgpass`` file) or the URL, and is never printed: :func:`redacted` is what messages show.
"""

from __future__ import annotations

import importlib.util
import urllib.parse
from pathlib import Path
from typing import Any

from retention_kpis.cli.read import InputError

__all__ = [
    "DUCKDB_SUFFIXES",
    "data_source",
    "database_events",
    "is_database",
    "read_database",
    "redacted",
]

DUCKDB_SUFFIXES = (".duckdb", ".db", ".ddb")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


def data_source(text: str) -> Path | str:
    """Return a PostgreSQL URL as it is, any other ``--data`` value as a path.

    Examples
    --------
    >>> data_source("postgresql://ana@db:5432/shop"), data_source("events.csv")
    ('postgresql://ana@db:5432/shop', PosixPath('events.csv'))
    """
    scheme = urllib.parse.urlsplit(text).scheme.lower()
    return text if scheme in _POSTGRES_SCHEMES else Path(text)


def redacted(source: Path | str) -> str:
    """Return ``source`` for messages: a URL's password replaced by ``***``.

    Examples
    --------
    >>> redacted("postgresql://ana:s3cret@db:5432/shop")
    'postgresql://ana:***@db:5432/shop'
    """
    if isinstance(source, Path):
        return str(source)
    parts = urllib.parse.urlsplit(source)
    if parts.password is None:
        return source
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def _scrubbed(message: str, source: Path | str) -> str:
    """Remove a URL's password (raw and percent-decoded) from a driver's message."""
    if isinstance(source, str):
        password = urllib.parse.urlsplit(source).password
        for secret in {password, urllib.parse.unquote(password or "")} - {None, ""}:
            message = message.replace(str(secret), "***")
    return message


def is_database(source: Path | str) -> bool:
    """Whether ``source`` is a PostgreSQL URL or a DuckDB database file."""
    return isinstance(source, str) or source.name.lower().endswith(DUCKDB_SUFFIXES)


def read_database(source: Path | str, table: str) -> Any:  # noqa: ANN401 - a SQLFrame DataFrame
    """Open ``table`` of a PostgreSQL URL or DuckDB file as a SQLFrame DataFrame.

    The PostgreSQL session runs in UTC (``options='-c timezone=UTC'``), as the
    library requires; libpq reads ``PGPASSWORD`` and ``~/.pgpass`` itself.
    """
    if importlib.util.find_spec("sqlframe") is None:
        msg = "reading a database needs SQLFrame: pip install 'retention-kpis[sql]'"
        raise InputError(msg)
    where = redacted(source)
    if isinstance(source, Path) and not source.is_file():
        msg = f"cannot read {where!r}: no such file"
        raise InputError(msg)
    try:
        if isinstance(source, str):
            import psycopg2  # noqa: PLC0415 - the 'sql' extra
            from sqlframe.postgres import PostgresSession  # noqa: PLC0415

            connection = psycopg2.connect(source, options="-c timezone=UTC")
            session: Any = PostgresSession(conn=connection)
        else:
            import duckdb  # noqa: PLC0415 - the 'sql' extra
            from sqlframe.duckdb import DuckDBSession  # noqa: PLC0415

            session = DuckDBSession(conn=duckdb.connect(str(source), read_only=True))
        found = session.catalog.tableExists(table)
        frame = session.table(table) if found else None
    except Exception as exc:  # noqa: BLE001 - any driver error, reported without secrets
        detail = _scrubbed(str(exc).strip(), source)
        msg = f"cannot read table {table!r} of {where!r}: {detail}"
        raise InputError(msg) from None
    if frame is None:
        msg = f"cannot read table {table!r} of {where!r}: no such table"
        raise InputError(msg)
    return frame


def database_events(source: Path | str | None, table: str | None) -> Any:  # noqa: ANN401 - a SQLFrame DataFrame
    """Return ``table`` of a database ``source``; None when ``source`` is a file or folder."""
    if source is None or (table is None and not is_database(source)):
        if table is not None:
            msg = "--table goes with a database: --data postgresql://... or a .duckdb file"
            raise InputError(msg)
        return None
    if table is None:
        msg = f"{redacted(source)!r} is a database: name the events table with --table"
        raise InputError(msg)
    if not is_database(source):
        msg = "--table goes with a database: --data postgresql://... or a .duckdb file"
        raise InputError(msg)
    return read_database(source, table)
