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
from retention_kpis.cli.format import csv_text, text_table
from retention_kpis.cli.read import InputError, read_data
from retention_kpis.cli.spec import add_spec_commands, run_spec_command, run_spec_report
from retention_kpis.exceptions import RetentionKPIsError

if TYPE_CHECKING:
    from retention_kpis._core.calendar import Period
    from retention_kpis.report import KPIReport

__all__ = ["DEMO_CUSTOMERS", "DEMO_SEED", "build_parser", "main"]

DEMO_CUSTOMERS = 3_000
"""Visitors in the ``--demo`` stream (about 280,000 events over 2024-2025)."""
DEMO_SEED = 2024
"""Seed of the ``--demo`` stream, so the demo report never changes."""

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
        "--data", type=Path, metavar="FILE_OR_DIR", help="events file or folder for a spec"
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
        "-q", "--quiet", action="store_true", help="no progress bar and no notes on stderr"
    )
    add_spec_commands(commands)
    return parser


def _segments(values: Sequence[str] | None) -> list[str] | None:
    """Split repeated and comma-separated ``--by`` values into column names."""
    if not values:
        return None
    names = [name.strip() for value in values for name in value.split(",")]
    return [name for name in names if name] or None


def _table(report: KPIReport, *, quiet: bool = False) -> str:
    """Render the report as an aligned text table: numbers right, text left."""
    data = report.to_dict()
    if report.period is None:
        data["period"] = ["all"] * len(data["period"])
    return text_table(
        report.columns,
        data,
        text_columns={"period", *report.by},
        percent_columns=_PERCENT_COLUMNS,
        notes=() if quiet else report.notes,
    )


def _spec_source(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """Return ``(spec, data)`` of a report on a spec, or ``(None, None)`` for a plain report."""
    events: Path | None = args.events
    spec: Path | None = args.spec
    if spec is None and events is not None and events.suffix.lower() in _SPEC_SUFFIXES:
        spec, events = events, None
    if spec is None:
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


def _run_report(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    from retention_kpis.report import compute_kpis  # noqa: PLC0415 - keep --help fast

    spec, data = _spec_source(args)
    if not args.demo and (data if spec is not None else args.events) is None:
        parser.error(
            "one of the arguments events --demo is required (with a spec: --data FILE_OR_DIR)"
        )
    source: Path | None = data if spec is not None else args.events
    if args.demo or source is None:
        from retention_kpis.datasets import make_events  # noqa: PLC0415 - only for --demo

        events = make_events(DEMO_CUSTOMERS, seed=DEMO_SEED)
    else:
        events = read_data(source)
    if spec is not None:
        text = run_spec_report(spec, events, args)
    else:
        period: Period | None = None if args.period == "none" else (args.period or "M")
        report = compute_kpis(
            events,
            period=period,
            by=_segments(args.by),
            attribution=args.attribution,
            engagement=args.engagement,
        )
        if args.format == "json":
            text = report.model_dump_json(indent=2) + "\n"
        elif args.format == "csv":
            text = csv_text(report.columns, report.to_dict())
            if not args.quiet:
                for note in report.notes:
                    sys.stderr.write(f"note: {note}\n")
        else:
            text = _table(report, quiet=args.quiet)
    if args.output is None:
        sys.stdout.write(text)
        return
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        msg = f"cannot write {str(args.output)!r}: {exc}"
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
