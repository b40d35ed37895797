"""A throwaway PostgreSQL server for the SQL-warehouse tests, and SQLFrame sessions on it.

The server is started from Debian's ``postgresql`` binaries (``/usr/lib/postgresql/<ver>/bin``,
or ``RETENTION_KPIS_PG_BIN``): ``initdb`` into a temporary folder, ``pg_ctl start`` on a free
port of 127.0.0.1 with its unix socket in that folder, stopped at the end of the session.
PostgreSQL refuses to run as root, so as root both run as the ``postgres`` user. Without the
binaries the tests skip with a reason saying how to enable them, unless
``RETENTION_KPIS_REQUIRE_POSTGRES=1`` (set by .ci/run), which makes that a failure.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

REQUIRE = os.environ.get("RETENTION_KPIS_REQUIRE_POSTGRES") == "1"
HOW = (
    "PostgreSQL server binaries not found: apt-get install postgresql (or set "
    "RETENTION_KPIS_PG_BIN to the folder of initdb and pg_ctl), and pip install -e '.[sql]'"
)


def _pg_bin() -> Path | None:
    given = os.environ.get("RETENTION_KPIS_PG_BIN")
    if given:
        return Path(given)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"{reason} (RETENTION_KPIS_REQUIRE_POSTGRES=1 makes this a failure)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass(frozen=True)
class Server:
    """A running PostgreSQL server: where to connect, and its statement log."""

    host: str
    port: int
    user: str
    dbname: str
    log: Path

    def connect(self, **options: Any) -> Any:
        import psycopg2  # noqa: PLC0415 - the 'sql' extra

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, dbname=self.dbname, **options
        )

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """One PostgreSQL server for the test run (trust auth on 127.0.0.1, statements logged)."""
    if not REQUIRE:
        pytest.importorskip("sqlframe", reason="pip install -e '.[sql]'")
    bin_dir = _pg_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        _unavailable(HOW)
    assert bin_dir is not None
    as_root = os.geteuid() == 0
    if as_root:
        import pwd  # noqa: PLC0415 - POSIX only

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root needs the 'postgres' user: " + HOW)
    folder = Path(tempfile.mkdtemp(prefix="rk-pg-"))
    if as_root:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    data, log, port = folder / "data", folder / "server.log", _free_port()

    def run(*args: str) -> None:
        command = [str(bin_dir / args[0]), *args[1:]]
        if as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=folder)  # noqa: S603

    run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c log_statement=all -c shared_preload_libraries=pg_stat_statements "
        "-c timezone=UTC"
    )
    run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-o", options, "start")
    try:
        server = Server("127.0.0.1", port, "postgres", "postgres", log)
        with server.connect() as conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        yield server
    finally:
        run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


# Warehouse types: ids bigint, time timestamptz, money numeric, scores double precision.
PG_TYPES = {
    "customer_id": "bigint",
    "timestamp": "timestamptz",
    "event_type": "text",
    "revenue": "numeric(18, 2)",
    "cost": "numeric(18, 2)",
    "channel": "text",
    "campaign": "text",
    "score": "double precision",
    "order_id": "bigint",
}


def load_events(conn: Any, table: str, events: pd.DataFrame, types: dict[str, str]) -> None:
    """Create ``table`` with ``types`` and COPY ``events`` into it (UTC timestamps, nulls)."""
    frame = events.copy()
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            frame[name] = frame[name].dt.strftime("%Y-%m-%d %H:%M:%S+00")
    columns = ", ".join(f'"{name}" {types[name]}' for name in frame.columns)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    buffer.seek(0)
    with conn.cursor() as cur:
        cur.execute(f'DROP TABLE IF EXISTS "{table}"')
        cur.execute(f'CREATE TABLE "{table}" ({columns})')
        quoted = ", ".join(f'"{name}"' for name in frame.columns)
        cur.copy_expert(
            f"COPY \"{table}\" ({quoted}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
        )
    conn.commit()
