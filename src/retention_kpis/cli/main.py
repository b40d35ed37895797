"""The ``retention-kpis`` console script (also ``python -m retention_kpis``).

``retention-kpis report --demo`` prints the KPI report of a synthetic demo
stream; ``retention-kpis report events.csv`` (or ``.parquet``) that of a file;
``retention-kpis report kpis.yaml --data events.csv`` the metrics of a spec
(a ``.yaml``/``.yml``/``.json`` first argument, or ``--spec``, is a spec).
``validate``, ``check`` and ``schema`` work with metric specs (see
:mod:`retention_kpis.spec` and ``docs/ci.md``).

Exit status: 0 on success; 1 when ``check`` finds a failed expectation; 2 on
an invalid spec, invalid input or usage (printed as ``error: <message>`` on
stderr, without a traceback); 3 on an unexpected error (a bug).

Notes of the report (why a KPI is null, what validation dropped) follow the
table after a ``Notes:`` line with ``--format table``; with ``--format csv``
they go to stderr as ``note: <text>`` lines, so the CSV stays clean; with
``--format json`` they are the document's ``notes`` field.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from retention_kpis._version import __version__
from retention_kpis.attribution import MODELS
from retention_kpis.cli.database import data_source, database_events, is_database, redacted
from retention_kpis.cli.format import csv_text, drop_empty_columns, fit_table, table_width
from retention_kpis.cli.mapping import add_data_options, event_schema
from retention_kpis.cli.progress import ProgressBar
from retention_kpis.cli.read import (
    DEMO_CUSTOMERS,
    DEMO_SEED,
    InputError,
    Loaded,
    demo_events,
    read_data,
    text_columns,
)
from retention_kpis.cli.spec import (
    add_output_options,
    add_spec_commands,
    engine_errors,
    model_json,
    run_spec_command,
    run_spec_report,
    say_reader,
)
from retention_kpis.exceptions import RetentionKPIsError

if TYPE_CHECKING:
    from retention_kpis._core.calendar import Period
    from retention_kpis.events import EventSchema
    from retention_kpis.report import KPIReport

__all__ = ["DEMO_CUSTOMERS", "DEMO_SEED", "build_parser", "main"]


_PERIODS = ("D", "W", "M", "Q", "Y", "none")
_PERCENT_COLUMNS = frozenset({"conversion_rate", "csat", "retention_rate", "churn_rate"})
_SPEC_SUFFIXES = (".yaml", ".yml", ".json")
_USAGE_ERROR = 2
_UNEXPECTED_ERROR = 3


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``retention-kpis``.

    Returns
    -------
    argparse.ArgumentParser
        With the ``report``, ``validate``, ``check`` and ``schema`` subcommands
        (``--period`` is None unless given: ``M`` for an events file, the
        spec's period for a spec).

    Examples
    --------
    >>> args = build_parser().parse_args(["report", "--demo", "--by", "channel,campaign"])
    >>> args.demo, args.period, args.by
    (True, None, ['channel,campaign'])
    """
    parser = argparse.ArgumentParser(
        prog="retention-kpis",
        description="Customer-retention and performance-marketing KPIs from a file of events.",
        epilog=(
            "Exit status: 0 ok, 1 a `check` expectation failed, 2 invalid spec, input or usage, "
            "3 unexpected error. `retention-kpis COMMAND --help` describes each command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    report = commands.add_parser(
        "report",
        help="print the KPI report of an events file, the demo data, or a spec's metrics",
        description=(
            "Compute every KPI per period (and segment) with retention_kpis.compute_kpis. "
            "The file holds one row per event with the default EventSchema columns "
            "(customer_id, timestamp, event_type, and revenue, cost, score, order_id, "
            "channel, campaign as available). With a spec (a .yaml/.yml/.json first "
            "argument, or --spec) the report holds the spec's metrics, with its period, "
            "segments and event contract, computed on --data (or --demo)."
        ),
        epilog=(
            "Examples: retention-kpis report --demo --by channel;  "
            "retention-kpis report events.csv --period Q --format csv --output kpis.csv;  "
            "retention-kpis report kpis.yaml --data events/"
        ),
    )
    source = report.add_mutually_exclusive_group()
    source.add_argument(
        "events",
        nargs="?",
        type=Path,
        help="events file: .csv (optionally compressed) or .parquet; or a spec file",
    )
    source.add_argument(
        "--demo",
        action="store_true",
        help=f"use the synthetic demo stream: make_events({DEMO_CUSTOMERS}, seed={DEMO_SEED})",
    )
    report.add_argument(
        "--spec", type=Path, metavar="SPEC", help="metric spec (.yaml, .yml or .json) to report"
    )
    report.add_argument(
        "--data",
        type=data_source,
        metavar="SOURCE",
        help=(
            "events file or folder for a spec, or a database with --table: "
            "postgresql://user@host:port/db (password from PGPASSWORD or ~/.pgpass) "
            "or a .duckdb file"
        ),
    )
    report.add_argument(
        "--table", metavar="TABLE", help="events table of the --data database (read in place)"
    )
    report.add_argument(
        "--period",
        choices=_PERIODS,
        help="calendar period of each row (default: M); none = the whole file as one period",
    )
    report.add_argument(
        "--by",
        action="append",
        metavar="COL",
        help="segment column; repeat the option or separate names with commas",
    )
    report.add_argument(
        "--attribution",
        choices=MODELS,
        metavar="MODEL",
        help=(
            "credit orders and revenue (so aov, cpa, roas) to channels with an attribution "
            f"model, one of: {', '.join(MODELS)}; needs --by channel"
        ),
    )
    report.add_argument(
        "--engagement",
        action="store_true",
        help="also compute the referral, email and Pareto-share columns (slower)",
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
    report.add_argument(
        "--kpis",
        metavar="NAMES",
        help="only these KPI columns (comma-separated), after period and the segments",
    )
    report.add_argument(
        "--columns",
        metavar="NAMES",
        help="only these columns (comma-separated, any of period, the segments and the KPIs)",
    )
    add_output_options(report)
    report.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no notes on stderr"
    )
    add_data_options(report)
    add_spec_commands(commands)
    return parser


def _segments(values: Sequence[str] | None) -> list[str] | None:
    """Split repeated and comma-separated ``--by`` values into column names."""
    if not values:
        return None
    names = [name.strip() for value in values for name in value.split(",")]
    return [name for name in names if name] or None


def _names(value: str | None) -> list[str] | None:
    """Split a comma-separated ``--kpis``/``--columns`` value."""
    if value is None:
        return None
    return [name.strip() for name in value.split(",") if name.strip()]


def _selected(report: KPIReport, args: argparse.Namespace) -> list[str]:
    """Return the report columns ``--kpis`` / ``--columns`` select (all by default)."""
    columns = report.columns
    kpis, chosen = _names(args.kpis), _names(args.columns)
    if kpis is not None and chosen is not None:
        msg = "give --kpis or --columns, not both"
        raise InputError(msg)
    keys = ["period", *report.by]
    wanted = chosen if chosen is not None else (None if kpis is None else [*keys, *kpis])
    if wanted is None:
        return columns
    allowed = columns if chosen is not None else columns[len(keys) :]
    unknown = [name for name in (chosen or kpis or []) if name not in allowed]
    if unknown or not wanted:
        flag = "--columns" if chosen is not None else "--kpis"
        msg = f"{flag}: unknown column(s) {unknown}; choose from {', '.join(allowed)}"
        raise InputError(msg)
    return list(dict.fromkeys(wanted))


def _table(report: KPIReport, columns: list[str], args: argparse.Namespace) -> str:
    """Render the report as an aligned text table: numbers right, text left.

    Columns null on every row are left out (a line under the table names them);
    the table is wrapped into blocks of columns to fit :func:`table_width`.
    """
    from retention_kpis._core.text import notes_about  # noqa: PLC0415 - fast --help
    from retention_kpis.report.columns import KPI_COLUMNS  # noqa: PLC0415 - fast --help

    data = report.to_dict()
    if report.period is None:
        data["period"] = ["all"] * len(data["period"])
    keys = ["period", *report.by]
    shown, dropped = drop_empty_columns(columns, data, keep=keys)
    text = fit_table(
        shown,
        data,
        key_columns=keys,
        text_columns=set(keys),
        percent_columns=_PERCENT_COLUMNS,
        width=table_width(args),
    )
    lines = [text.rstrip("\n")]
    if dropped:
        lines.append(f"(null on every row, not shown: {', '.join(dropped)})")
    notes = () if args.quiet else notes_about(report.notes, columns, KPI_COLUMNS)
    if notes:
        lines += ["", "Notes:", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def _spec_source(args: argparse.Namespace) -> tuple[Path | None, Path | str | None]:
    """Return ``(spec, data)`` of a report on a spec, or ``(None, None)`` for a plain report."""
    events: Path | None = args.events
    spec: Path | None = args.spec
    if spec is None and events is not None and events.suffix.lower() in _SPEC_SUFFIXES:
        spec, events = events, None
    if spec is None:
        if args.data is not None and (args.table is not None or is_database(args.data)):
            return None, args.data  # a plain report of a database table
        if args.data is not None:
            msg = "--data goes with a spec: retention-kpis report SPEC --data FILE_OR_DIR"
            raise InputError(msg)
        return None, None
    if args.attribution is not None:
        msg = "--attribution goes with a plain report (events and --by channel), not a spec"
        raise InputError(msg)
    if args.period is not None or args.by:
        msg = "--period and --by are set in the spec (period, segments), not with a spec"
        raise InputError(msg)
    if events is not None and args.data is not None:
        msg = "give the events once: either as the argument or with --data"
        raise InputError(msg)
    return spec, events or args.data


def _read(
    source: Path, args: argparse.Namespace, segments: list[str], schema: EventSchema
) -> Loaded:
    """Read the events with the chosen reader; say which with ``--verbose``."""
    loaded = read_data(
        source,
        text=text_columns(schema, segments),
        reader=args.reader,
        timestamp=str(schema.timestamp),
    )
    if args.verbose:
        say_reader(loaded)
    return loaded


def _run_report(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from retention_kpis._core.text import notes_about  # noqa: PLC0415 - keep --help fast
    from retention_kpis.report import compute_kpis  # noqa: PLC0415 - keep --help fast
    from retention_kpis.report.columns import KPI_COLUMNS  # noqa: PLC0415 - keep --help fast

    spec, data = _spec_source(args)
    if not args.demo and (data if spec is not None or data is not None else args.events) is None:
        parser.error(
            "one of the arguments events --demo is required (with a spec: --data FILE_OR_DIR)"
        )
    if spec is not None:
        text = run_spec_report(spec, data, args)
        _write_output(text, args.output)
        return
    schema = event_schema(None, args.column, args.event)
    by = _segments(args.by)
    bar = ProgressBar(sys.stderr, quiet=args.quiet)
    try:
        if data is not None:
            bar(0, 4, f"reading {redacted(data)}")
            events: object = database_events(data, args.table)
        elif args.demo or args.events is None:
            bar(0, 4, "making the demo events")
            events = demo_events()
        else:
            bar(0, 4, f"reading {args.events}")
            events = _read(args.events, args, by or [], schema).frame
        period: Period | None = None if args.period == "none" else (args.period or "M")
        with engine_errors():
            report = compute_kpis(
                events,
                schema=schema,
                period=period,
                by=by,
                attribution=args.attribution,
                engagement=args.engagement,
                progress=lambda done, total, label: bar(done + 1, total + 1, label),
            )
    finally:
        bar.close()
    columns = _selected(report, args)
    if args.format == "json":
        text = model_json(report)
    elif args.format == "csv":
        text = csv_text(columns, report.to_dict(), escape_formulas=args.csv_formulas == "escape")
        if not args.quiet:
            for note in notes_about(report.notes, columns, KPI_COLUMNS):
                sys.stderr.write(f"note: {note}\n")
    else:
        text = _table(report, columns, args)
    _write_output(text, args.output)


def _write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        msg = f"cannot write {str(output)!r}: {exc}"
        raise InputError(msg) from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``retention-kpis`` command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        0 on success, 1 when ``check`` finds a failed expectation, 2 on an
        invalid spec, input or usage, 3 on an unexpected error.

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
        if args.command == "report":
            _run_report(args, parser)
        else:
            return run_spec_command(args)
    except SystemExit as exc:  # parser.error() on a usage error found after parsing
        return exc.code if isinstance(exc.code, int) else _USAGE_ERROR
    except (RetentionKPIsError, InputError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return _USAGE_ERROR
    except Exception:  # noqa: BLE001 - the console script's last resort: report the bug
        traceback.print_exc()
        sys.stderr.write("error: unexpected failure (a bug in retention_kpis? please report it)\n")
        return _UNEXPECTED_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
