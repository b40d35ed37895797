"""The spec commands of ``retention-kpis``: ``validate``, ``check``, ``schema``, ``report SPEC``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from retention_kpis.cli.format import csv_text, text_table
from retention_kpis.cli.progress import ProgressBar
from retention_kpis.cli.read import InputError, read_data

if TYPE_CHECKING:
    from retention_kpis.spec.results import CheckResult

__all__ = ["EXPECTATION_FAILED", "add_spec_commands", "run_spec_command", "run_spec_report"]

EXPECTATION_FAILED = 1
_PERCENT_UNITS = frozenset({"fraction"})


def _quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no notes on stderr"
    )


def add_spec_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``validate``, ``check`` and ``schema`` to the subcommands."""
    validate = commands.add_parser(
        "validate",
        help="check a metric spec without data (schema, references, units)",
        description=(
            "Validate a metric spec (YAML or JSON): keys and types, references between "
            "metrics, cycles, units and expectations. No data is read."
        ),
        epilog="Exit status: 0 valid, 2 invalid (each problem as file: path: message).",
    )
    validate.add_argument("spec", type=Path, help="spec file: .yaml, .yml or .json")
    _quiet(validate)
    check = commands.add_parser(
        "check",
        help="compute a spec's metrics on data and check its expectations",
        description=(
            "Compute the spec's metrics on CSV or Parquet events (a file, or a folder whose "
            ".csv/.parquet files are stacked) and check every expectation."
        ),
        epilog=(
            "Exit status: 0 all expectations hold, 1 some failed, 2 invalid spec or data. "
            "Example: retention-kpis check kpis.yaml --data events.csv --format junit "
            "--output kpis-junit.xml"
        ),
    )
    check.add_argument("spec", type=Path, help="spec file: .yaml, .yml or .json")
    check.add_argument(
        "--data", type=Path, required=True, metavar="FILE_OR_DIR", help="events file or folder"
    )
    check.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="text for people, json for scripts, junit for CI test reports (default: text)",
    )
    check.add_argument("--output", type=Path, metavar="FILE", help="write the result to FILE")
    _quiet(check)
    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of a spec (or of the report)",
        description="Print the JSON Schema (draft 2020-12) of a metric spec file.",
        epilog="Example: retention-kpis schema > retention-kpis-spec.schema.json",
    )
    schema.add_argument(
        "--report",
        action="store_true",
        help="print the schema of `report --format json` output instead",
    )


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        msg = f"cannot write {str(output)!r}: {exc}"
        raise InputError(msg) from exc


def _check_text(result: CheckResult, *, quiet: bool) -> str:
    lines = []
    for outcome in result.results:
        if outcome.passed and quiet:
            continue
        label = {"pass": "PASS", "skipped": "SKIP"}.get(outcome.outcome, "FAIL")
        lines.append(f"{label} {outcome.message}")
    counts = dict.fromkeys(("pass", "fail", "undefined", "missing", "skipped"), 0)
    for outcome in result.results:
        counts[outcome.outcome] += 1
    failed = result.failures
    summary = (
        f"{len(result.results)} checks: {counts['pass']} passed, {failed} failed"
        f" ({counts['undefined']} undefined, {counts['missing']} missing), "
        f"{counts['skipped']} skipped"
    )
    lines.append(f"{'FAILED' if failed else 'OK'}: {summary}")
    return "\n".join(lines) + "\n"


def _run_check(args: argparse.Namespace) -> int:
    from retention_kpis.spec import check_spec, junit_xml, load_spec  # noqa: PLC0415 - fast --help

    spec = load_spec(args.spec)
    bar = ProgressBar(sys.stderr, quiet=args.quiet)
    try:
        bar(0, 1, f"reading {args.data}")
        events = read_data(args.data)
        result = check_spec(spec, events, progress=bar)
    finally:
        bar.close()
    result = result.model_copy(update={"source": str(args.spec)})
    if args.format == "json":
        text = result.model_dump_json(indent=2) + "\n"
    elif args.format == "junit":
        text = junit_xml(result) + "\n"
    else:
        text = _check_text(result, quiet=args.quiet)
    if not args.quiet and args.format != "json":
        for note in result.notes:
            sys.stderr.write(f"note: {note}\n")
    _write(text, args.output)
    return 0 if result.passed else EXPECTATION_FAILED


def run_spec_command(args: argparse.Namespace) -> int:
    """Run ``validate``, ``check`` or ``schema``; return the exit status."""
    if args.command == "schema":
        from retention_kpis.spec.schema import (  # noqa: PLC0415 - fast --help
            report_json_schema,
            spec_json_schema,
        )

        schema = report_json_schema() if args.report else spec_json_schema()
        sys.stdout.write(json.dumps(schema, indent=2) + "\n")
        return 0
    if args.command == "validate":
        from retention_kpis.spec import load_spec  # noqa: PLC0415 - fast --help

        spec = load_spec(args.spec)
        if not args.quiet:
            sys.stdout.write(
                f"{args.spec}: valid ({len(spec.metrics)} metrics, "
                f"{len(spec.expectations)} expectations)\n"
            )
        return 0
    return _run_check(args)


def run_spec_report(spec_path: Path, events: object, args: argparse.Namespace) -> str:
    """Compute the report of a spec's metrics; return it in ``args.format``."""
    from retention_kpis.spec import compute_spec, load_spec  # noqa: PLC0415 - fast --help

    spec = load_spec(spec_path)
    bar = ProgressBar(sys.stderr, quiet=args.quiet)
    try:
        report = compute_spec(spec, events, progress=bar)
    finally:
        bar.close()
    if args.format == "json":
        return report.model_dump_json(indent=2) + "\n"
    data = report.to_dict()
    if report.period is None:
        data["period"] = ["all"] * len(data["period"])
    columns = list(data)
    if args.format == "csv":
        if not args.quiet:
            for note in report.notes:
                sys.stderr.write(f"note: {note}\n")
        return csv_text(columns, data)
    percent = {m.name for m in report.metrics if m.unit in _PERCENT_UNITS}
    notes = () if args.quiet else report.notes
    return text_table(
        columns,
        data,
        text_columns={"period", *report.segments},
        percent_columns=percent,
        notes=notes,
    )
