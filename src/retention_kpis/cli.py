"""The ``retention-kpis`` console script (also ``python -m retention_kpis``).

``retention-kpis report --demo`` prints the KPI report of a synthetic demo
stream; ``retention-kpis report events.csv`` (or ``.parquet``) that of a file.
Exit status: 0 on success, 2 on invalid input or usage (printed as
``error: <message>`` on stderr, without a traceback), 1 on an unexpected error.

Notes of the report (why a KPI is null, what validation dropped) follow the
table after a ``Notes:`` line with ``--format table``; with ``--format csv``
they go to stderr as ``note: <text>`` lines, so the CSV stays clean; with
``--format json`` they are the document's ``notes`` field.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import io
import math
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retention_kpis._version import __version__
from retention_kpis.exceptions import RetentionKPIsError

if TYPE_CHECKING:
    import pandas as pd

    from retention_kpis.report import KPIReport

__all__ = ["DEMO_CUSTOMERS", "DEMO_SEED", "build_parser", "main"]

DEMO_CUSTOMERS = 3_000
"""Visitors in the ``--demo`` stream (about 280,000 events over 2024-2025)."""
DEMO_SEED = 2024
"""Seed of the ``--demo`` stream, so the demo report never changes."""

_PERIODS = ("D", "W", "M", "Q", "Y", "none")
_PERCENT_COLUMNS = frozenset({"conversion_rate", "csat", "retention_rate", "churn_rate"})
_PARQUET_SUFFIXES = (".parquet", ".pq")
_CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".csv.zst")
_USAGE_ERROR = 2
_UNEXPECTED_ERROR = 1


class _InputError(Exception):
    """A problem with the user's input outside the library (file missing, unreadable)."""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``retention-kpis``.

    Returns
    -------
    argparse.ArgumentParser
        With the ``report`` subcommand.

    Examples
    --------
    >>> args = build_parser().parse_args(["report", "--demo", "--by", "channel,campaign"])
    >>> args.demo, args.period, args.by
    (True, 'M', ['channel,campaign'])
    """
    parser = argparse.ArgumentParser(
        prog="retention-kpis",
        description="Customer-retention and performance-marketing KPIs from a file of events.",
        epilog="Exit status: 0 ok, 2 invalid input or usage, 1 unexpected error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    report = commands.add_parser(
        "report",
        help="print the KPI report of an events file (or of the demo data)",
        description=(
            "Compute every KPI per period (and segment) with retention_kpis.compute_kpis. "
            "The file holds one row per event with the default EventSchema columns "
            "(customer_id, timestamp, event_type, and revenue, cost, score, order_id, "
            "channel, campaign as available)."
        ),
        epilog=(
            "Examples: retention-kpis report --demo --by channel;  "
            "retention-kpis report events.csv --period Q --format csv --output kpis.csv"
        ),
    )
    source = report.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "events", nargs="?", type=Path, help="events file: .csv (optionally compressed) or .parquet"
    )
    source.add_argument(
        "--demo",
        action="store_true",
        help=f"use the synthetic demo stream: make_events({DEMO_CUSTOMERS}, seed={DEMO_SEED})",
    )
    report.add_argument(
        "--period",
        choices=_PERIODS,
        default="M",
        help="calendar period of each row (default: M); none = the whole file as one period",
    )
    report.add_argument(
        "--by",
        action="append",
        metavar="COL",
        help="segment column; repeat the option or separate names with commas",
    )
    report.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format (default: table)",
    )
    report.add_argument(
        "--output", type=Path, metavar="FILE", help="write the report to FILE instead of stdout"
    )
    return parser


def _segments(values: Sequence[str] | None) -> list[str] | None:
    """Split repeated and comma-separated ``--by`` values into column names."""
    if not values:
        return None
    names = [name.strip() for value in values for name in value.split(",")]
    return [name for name in names if name] or None


def _read_events(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file of events with pandas."""
    import pandas as pd  # noqa: PLC0415 - keep --help and --version fast

    name = path.name.lower()
    if not path.is_file():
        msg = f"cannot read {str(path)!r}: no such file"
        raise _InputError(msg)
    is_parquet = name.endswith(_PARQUET_SUFFIXES)
    if is_parquet and importlib.util.find_spec("pyarrow") is None:
        msg = "reading Parquet files needs pyarrow: pip install 'retention-kpis[parquet]'"
        raise _InputError(msg)
    if not (is_parquet or name.endswith(_CSV_SUFFIXES)):
        msg = f"cannot read {str(path)!r}: expected a .csv or .parquet file"
        raise _InputError(msg)
    try:
        frame = pd.read_parquet(path) if is_parquet else pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        msg = f"cannot read {str(path)!r}: {exc}"
        raise _InputError(msg) from exc
    return frame


def _cell(name: str, value: object) -> str:
    """Format one report value for the table; undefined values print as ``-``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.1%}" if name in _PERCENT_COLUMNS else f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _table(report: KPIReport) -> str:
    """Render the report as an aligned text table: numbers right, text left."""
    data = report.to_dict()
    if report.period is None:
        data["period"] = ["all"] * len(data["period"])
    columns = report.columns
    cells = {name: [_cell(name, value) for value in data[name]] for name in columns}
    numeric = {
        name: all(isinstance(v, (int, float)) or v is None for v in data[name])
        and name not in report.by
        for name in columns
    }
    widths = {name: max([len(name), *(len(cell) for cell in cells[name])]) for name in columns}

    def line(values: dict[str, str]) -> str:
        parts = [
            values[name].rjust(widths[name]) if numeric[name] else values[name].ljust(widths[name])
            for name in columns
        ]
        return "  ".join(parts).rstrip()

    rows = [line({name: name for name in columns})]
    rows.append("  ".join("-" * widths[name] for name in columns))
    rows.extend(line({name: cells[name][i] for name in columns}) for i in range(len(report.rows)))
    if not report.rows:
        rows.append("(no rows)")
    if report.notes:
        rows.extend(["", "Notes:", *(f"- {note}" for note in report.notes)])
    return "\n".join(rows) + "\n"


def _csv(report: KPIReport) -> str:
    """Render the report as CSV; undefined values are empty fields."""
    data = report.to_dict()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(report.columns)
    for i in range(len(report.rows)):
        row: list[Any] = []
        for name in report.columns:
            value = data[name][i]
            row.append("" if value is None else value)
        writer.writerow(row)
    return buffer.getvalue()


def _run_report(args: argparse.Namespace) -> None:
    from retention_kpis.report import compute_kpis  # noqa: PLC0415 - keep --help fast

    if args.demo:
        from retention_kpis.datasets import make_events  # noqa: PLC0415 - only for --demo

        events = make_events(DEMO_CUSTOMERS, seed=DEMO_SEED)
    else:
        events = _read_events(args.events)
    period = None if args.period == "none" else args.period
    report = compute_kpis(events, period=period, by=_segments(args.by))
    if args.format == "json":
        text = report.model_dump_json(indent=2) + "\n"
    elif args.format == "csv":
        text = _csv(report)
        for note in report.notes:
            sys.stderr.write(f"note: {note}\n")
    else:
        text = _table(report)
    if args.output is None:
        sys.stdout.write(text)
        return
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        msg = f"cannot write {str(args.output)!r}: {exc}"
        raise _InputError(msg) from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``retention-kpis`` command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 2 on invalid input or usage, 1 on an unexpected error.

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    retention-kpis ...
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else _USAGE_ERROR
    try:
        _run_report(args)
    except (RetentionKPIsError, _InputError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return _USAGE_ERROR
    except Exception:  # noqa: BLE001 - the console script's last resort: report the bug
        traceback.print_exc()
        sys.stderr.write("error: unexpected failure (a bug in retention_kpis? please report it)\n")
        return _UNEXPECTED_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
