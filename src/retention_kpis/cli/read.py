"""Reading event files for the console script: CSV or Parquet, one file or a folder.

Three readers:

* ``duckdb`` (when DuckDB is installed, the default): the file is read once into
  a table of DuckDB's in-memory database and stays there, so
  :func:`~retention_kpis.compute_kpis` aggregates it in the engine and only
  per-period tables reach Python;
* ``polars`` (the default when polars is installed and DuckDB is not): the file
  is read into a polars DataFrame and the report is computed on it lazily;
* ``pandas`` (the fallback, and for ``.csv.bz2``/``.xz``/``.zip`` files or a
  folder mixing CSV and Parquet): the file is read into a pandas DataFrame.

CSV cells are read the same way by every reader. The *text columns* (the
identifier, event type, timestamp and segment columns: see :func:`text_columns`)
are read as text as written, so ``007``, ``7`` and ``0007`` are three
customers, and a value such as ``NA`` or ``null`` is that text: only an empty
cell is missing. In the other (numeric) columns an empty cell and pandas' usual
tokens (``NA``, ``N/A``, ``null``, ``NULL``, ``NaN``, ``nan``, ``None``, ...)
are missing values. Parquet files carry their own types and are read as they are.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "CSV_SUFFIXES",
    "DEMO_CUSTOMERS",
    "DEMO_SEED",
    "MISSING_TOKENS",
    "PARQUET_SUFFIXES",
    "READERS",
    "InputError",
    "Loaded",
    "demo_events",
    "read_data",
    "read_events",
    "text_columns",
]

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".csv.zst")
_DUCKDB_CSV = (".csv", ".csv.gz", ".csv.zst")
READERS = ("auto", "duckdb", "polars", "pandas")
"""Values of ``--reader``: ``auto`` is DuckDB when installed, else polars, else pandas."""
MISSING_TOKENS = (
    "",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "None",
    "n/a",
    "nan",
    "null",
)
"""Cells read as missing in the numeric columns of a CSV file (pandas' default list)."""

Reader = Literal["duckdb", "polars", "pandas"]
DEMO_CUSTOMERS = 3_000
"""Visitors in the ``--demo`` stream (about 280,000 events over 2024-2025)."""
DEMO_SEED = 2024
"""Seed of the ``--demo`` stream, so the demo report never changes."""


def demo_events() -> Any:  # noqa: ANN401 - a pandas frame
    """Return the ``--demo`` stream: ``make_events(DEMO_CUSTOMERS, seed=DEMO_SEED)``."""
    from retention_kpis.datasets import make_events  # noqa: PLC0415 - only for --demo

    return make_events(DEMO_CUSTOMERS, seed=DEMO_SEED)


class InputError(Exception):
    """A problem with the user's input outside the library (file missing, unreadable)."""


@dataclasses.dataclass(frozen=True)
class Loaded:
    """Events read from files: the native frame, the reader that ran, and the files."""

    frame: Any
    reader: Reader
    files: tuple[Path, ...]


def text_columns(schema: object, extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Return the columns a CSV file's reader keeps as text: ids, event type, time, segments.

    Parameters
    ----------
    schema : EventSchema
        The column names in use.
    extra : iterable of str
        Segment columns (``--by``, a spec's ``segments``).

    Examples
    --------
    >>> from retention_kpis import EventSchema
    >>> text_columns(EventSchema(customer_id="user_id"), ["country"])
    ('user_id', 'timestamp', 'event_type', 'order_id', 'channel', 'campaign', 'country')
    """
    roles = ("customer_id", "timestamp", "event_type", "order_id", "channel", "campaign")
    return tuple(dict.fromkeys([*(str(getattr(schema, role)) for role in roles), *extra]))


def _check_file(path: Path) -> bool:
    """Return whether ``path`` is Parquet (else CSV), or raise InputError."""
    name = path.name.lower()
    if not path.is_file():
        msg = f"cannot read {str(path)!r}: no such file"
        raise InputError(msg)
    is_parquet = name.endswith(PARQUET_SUFFIXES)
    if not (is_parquet or name.endswith(CSV_SUFFIXES)):
        msg = f"cannot read {str(path)!r}: expected a .csv or .parquet file"
        raise InputError(msg)
    return is_parquet


def read_events(path: Path, *, text: Collection[str] = ()) -> Any:  # noqa: ANN401 - a pandas frame
    """Read a CSV or Parquet file of events with pandas (``text`` columns as text)."""
    import pandas as pd  # noqa: PLC0415 - keep --help and --version fast

    is_parquet = _check_file(path)
    if is_parquet and importlib.util.find_spec("pyarrow") is None:
        msg = "reading Parquet files needs pyarrow: pip install 'retention-kpis[parquet]'"
        raise InputError(msg)
    try:
        if is_parquet:
            return pd.read_parquet(path)
        header = list(pd.read_csv(path, nrows=0).columns)
        wanted = [name for name in header if name in text]
        return pd.read_csv(
            path,
            dtype=dict.fromkeys(wanted, str),
            keep_default_na=False,
            na_values={name: [""] if name in text else list(MISSING_TOKENS) for name in header},
        )
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        msg = f"cannot read {str(path)!r}: {exc}"
        raise InputError(msg) from exc


def _files(path: Path) -> list[Path]:
    if not path.is_dir():
        _check_file(path)
        return [path]
    files = sorted(
        child
        for child in path.iterdir()
        if child.is_file() and child.name.lower().endswith((*CSV_SUFFIXES, *PARQUET_SUFFIXES))
    )
    if not files:
        msg = f"cannot read {str(path)!r}: the folder holds no .csv or .parquet file"
        raise InputError(msg)
    return files


def _engine_fits(files: list[Path]) -> bool:
    names = [file.name.lower() for file in files]
    return all(name.endswith(PARQUET_SUFFIXES) for name in names) or all(
        name.endswith(_DUCKDB_CSV) for name in names
    )


def _read_duckdb(files: list[Path], text: Collection[str], timestamp: str | None) -> Any:  # noqa: ANN401 - a DuckDB relation
    import duckdb  # noqa: PLC0415 - optional

    connection = duckdb.connect()
    paths = [str(file) for file in files]
    source = paths[0] if len(paths) == 1 else paths
    try:
        if files[0].name.lower().endswith(PARQUET_SUFFIXES):
            parquet = connection.read_parquet(source, union_by_name=len(paths) > 1)
            return _materialised(connection, parquet, timestamp)
        # DuckDB has one list of null strings for every column: sniff the types with
        # MISSING_TOKENS, then read everything as text (only an empty cell is null)
        # and cast the other columns back with the tokens as missing.
        sniffed = connection.read_csv(paths[0], na_values=list(MISSING_TOKENS))
        types = dict(zip(sniffed.columns, (str(kind) for kind in sniffed.types), strict=True))
        relation = connection.read_csv(source, all_varchar=True, union_by_name=len(paths) > 1)
        tokens = ", ".join(f"'{token}'" for token in MISSING_TOKENS if token)
        columns = ", ".join(
            _quote(name)
            if name in text or types.get(name, "VARCHAR") == "VARCHAR"
            else (
                f"CAST(CASE WHEN {_quote(name)} IN ({tokens}) THEN NULL ELSE {_quote(name)} END"
                f" AS {types[name]}) AS {_quote(name)}"
            )
            for name in relation.columns
        )
        return _materialised(connection, relation.project(columns), timestamp)
    except duckdb.Error as exc:
        msg = f"cannot read {', '.join(paths)!r}: {exc}"
        raise InputError(msg) from exc


_CAST = '"__rk_cast_timestamp"'


def _iso_text(relation: Any, timestamp: str | None) -> bool:  # noqa: ANN401 - a relation
    """Whether the timestamp column is text whose first 1,000 values are naive ISO 8601."""
    if timestamp is None or timestamp not in relation.columns:
        return False
    if str(relation.types[relation.columns.index(timestamp)]) != "VARCHAR":
        return False
    pattern = r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
    column = _quote(timestamp)
    counts = (
        relation.filter(f"{column} IS NOT NULL")
        .limit(1000)
        .aggregate(
            f"count(*), count(*) FILTER (WHERE NOT regexp_full_match({column}, '{pattern}'))"
        )
        .fetchall()
    )
    return bool(counts and counts[0][0] and not counts[0][1])


def _materialised(connection: Any, relation: Any, timestamp: str | None) -> Any:  # noqa: ANN401
    """Read the file once into a table of the in-memory database; return that table.

    compute_kpis runs several queries: on the file's relation each would read and
    parse the file again (on 2M events the DuckDB reader was then only 1.3x faster
    than pandas). A timestamp column of naive ISO 8601 text (:func:`_iso_text`) is
    cast by DuckDB when every value casts: the library's own text parser (which also
    handles offsets) took 6.3 s of 15.8 s on 2M events on DuckDB. When a value does
    not cast (``2024-02-30``), the text stays and the library reports it as with pandas.
    """
    cast = _iso_text(relation, timestamp)
    if cast:
        relation = relation.project(
            f"*, TRY_CAST({_quote(str(timestamp))} AS TIMESTAMP) AS {_CAST}"
        )
    relation.to_table("events")
    if cast:
        column = _quote(str(timestamp))
        bad = connection.sql(
            f"SELECT count(*) FROM events WHERE {column} IS NOT NULL AND {_CAST} IS NULL"  # noqa: S608 - a quoted column name, no value
        ).fetchall()[0][0]
        if bad:
            connection.execute(f"ALTER TABLE events DROP COLUMN {_CAST}")
        else:
            connection.execute(f"ALTER TABLE events DROP COLUMN {column}")
            connection.execute(f"ALTER TABLE events RENAME COLUMN {_CAST} TO {column}")
    return connection.table("events")


def _read_polars(files: list[Path], text: Collection[str]) -> Any:  # noqa: ANN401 - LazyFrame
    """Read the files with polars (text columns as written); return a LazyFrame over them."""
    import polars as pl  # noqa: PLC0415 - optional

    frames = []
    try:
        for file in files:
            if file.name.lower().endswith(PARQUET_SUFFIXES):
                frames.append(pl.read_parquet(file))
                continue
            # Like DuckDB: sniff the types with MISSING_TOKENS as nulls, read every cell as
            # text (only an empty cell is null), cast the other columns with the tokens missing.
            sniffed = pl.read_csv(file, null_values=list(MISSING_TOKENS), n_rows=20_000).schema
            raw = pl.read_csv(file, infer_schema=False)
            tokens = [token for token in MISSING_TOKENS if token]
            frames.append(
                raw.with_columns(
                    pl.when(pl.col(name).is_in(tokens))
                    .then(None)
                    .otherwise(pl.col(name))
                    .cast(sniffed[name])
                    .alias(name)
                    for name in raw.columns
                    if name not in text and sniffed.get(name, pl.String) != pl.String
                )
            )
        frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    except (OSError, pl.exceptions.PolarsError) as exc:
        msg = f"cannot read {', '.join(str(file) for file in files)!r}: {exc}"
        raise InputError(msg) from exc
    return frame.lazy()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_data(
    path: Path, *, text: Collection[str] = (), reader: str = "auto", timestamp: str | None = None
) -> Loaded:
    """Read one events file, or every CSV/Parquet file of a folder (sorted by name, stacked).

    Parameters
    ----------
    path : Path
        A ``.csv`` (optionally compressed) or ``.parquet`` file, or a folder of them.
    text : collection of str
        Columns read as text from CSV (see the module docstring).
    reader : {"auto", "duckdb", "polars", "pandas"}, default="auto"
        ``auto`` reads with DuckDB when it is installed and can read the files,
        else with polars when it is installed, else with pandas.
    timestamp : str, optional
        The timestamp column: DuckDB casts it when it is naive ISO 8601 text.

    Returns
    -------
    Loaded
        The events (a DuckDB relation, a polars LazyFrame or a pandas DataFrame) and
        the reader that ran.
    """
    files = _files(path)
    installed = {name: importlib.util.find_spec(name) is not None for name in ("duckdb", "polars")}
    if reader in installed and not installed[reader]:
        msg = f"--reader {reader} needs {reader}: pip install 'retention-kpis[{reader}]'"
        raise InputError(msg)
    if reader in installed and not _engine_fits(files):
        msg = (
            f"--reader {reader} reads .csv, .csv.gz, .csv.zst or .parquet files (not both "
            "kinds in one folder); use --reader pandas"
        )
        raise InputError(msg)
    if reader == "auto" and _engine_fits(files):
        reader = next((name for name, found in installed.items() if found), "pandas")
    if reader == "duckdb":
        return Loaded(_read_duckdb(files, text, timestamp), "duckdb", tuple(files))
    if reader == "polars":
        return Loaded(_read_polars(files, text), "polars", tuple(files))
    import pandas as pd  # noqa: PLC0415 - keep --help and --version fast

    frames = [read_events(file, text=text) for file in files]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return Loaded(frame, "pandas", tuple(files))
