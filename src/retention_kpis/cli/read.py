"""Reading event files for the console script: CSV or Parquet, one file or a folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CSV_SUFFIXES", "PARQUET_SUFFIXES", "InputError", "read_data", "read_events"]

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".csv.zst")


class InputError(Exception):
    """A problem with the user's input outside the library (file missing, unreadable)."""


def read_events(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file of events with pandas."""
    import pandas as pd  # noqa: PLC0415 - keep --help and --version fast

    name = path.name.lower()
    if not path.is_file():
        msg = f"cannot read {str(path)!r}: no such file"
        raise InputError(msg)
    is_parquet = name.endswith(PARQUET_SUFFIXES)
    if is_parquet and importlib.util.find_spec("pyarrow") is None:
        msg = "reading Parquet files needs pyarrow: pip install 'retention-kpis[parquet]'"
        raise InputError(msg)
    if not (is_parquet or name.endswith(CSV_SUFFIXES)):
        msg = f"cannot read {str(path)!r}: expected a .csv or .parquet file"
        raise InputError(msg)
    try:
        frame = pd.read_parquet(path) if is_parquet else pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        msg = f"cannot read {str(path)!r}: {exc}"
        raise InputError(msg) from exc
    return frame


def read_data(path: Path) -> pd.DataFrame:
    """Read one events file, or every CSV/Parquet file of a folder (sorted by name, stacked)."""
    import pandas as pd  # noqa: PLC0415 - keep --help and --version fast

    if not path.is_dir():
        return read_events(path)
    files = sorted(
        child
        for child in path.iterdir()
        if child.is_file() and child.name.lower().endswith((*CSV_SUFFIXES, *PARQUET_SUFFIXES))
    )
    if not files:
        msg = f"cannot read {str(path)!r}: the folder holds no .csv or .parquet file"
        raise InputError(msg)
    frames = [read_events(child) for child in files]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
