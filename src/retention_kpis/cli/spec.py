"""The spec commands of ``retention-kpis``: ``validate``, ``check``, ``schema``, ``report SPEC``."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from retention_kpis.cli.check_output import check_text, github_annotations, markdown_summary
from retention_kpis.cli.database import data_source, database_events, redacted
from retention_kpis.cli.format import csv_text, drop_empty_columns, fit_table, table_width
from retention_kpis.cli.mapping import add_data_options, event_schema
from retention_kpis.cli.progress import ProgressBar
from retention_kpis.cli.read import InputError, Loaded, demo_events, read_data, text_columns

if TYPE_CHECKING:
    from pydantic import BaseModel

    from retention_kpis.spec.models import MetricSpec

__all__ = [
    "EXPECTATION_FAILED",
    "add_output_options",
    "add_spec_commands",
    "engine_errors",
    "model_json",
    "run_spec_command",
    "run_spec_report",
    "say_reader",
    "strict_json",
]

EXPECTATION_FAILED = 1
_PERCENT_UNITS = frozenset({"fraction"})
_CHECK_FORMATS = ("text", "json", "junit", "github", "markdown")


def _quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no notes on stderr"
    )


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--width`` and ``--csv-formulas`` (report outputs)."""
    parser.add_argument(
        "--width",
        type=int,
        metavar="N",
        help=(
            "fit the table in N characters, wrapping columns into blocks (default: the "
            "terminal's width when printing to one; 0: never wrap)"
        ),
    )
    parser.add_argument(
        "--csv-formulas",
        choices=("escape", "keep"),
        default="escape",
        help=(
            "escape (default): prefix text cells starting with = + - @ tab or CR with ' so a "
            "spreadsheet shows them as text (OWASP CSV injection); keep: write them as they are"
        ),
    )


def strict_json(document: object) -> str:
    """Return ``document`` as JSON that strict parsers read: no NaN or Infinity tokens.

    Examples
    --------
    >>> strict_json({"a": float("nan")})
    Traceback (most recent call last):
    ...
    ValueError: Out of range float values are not JSON compliant: nan
    """
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def model_json(model: BaseModel) -> str:
    """Return a result model as strict JSON: undefined values (nan, inf) are ``null``."""
    return strict_json(json.loads(model.model_dump_json()))


@contextlib.contextmanager
def engine_errors() -> Iterator[None]:
    """Turn an engine's error while reading (a bad CSV cell found late) into InputError."""
    try:
        yield
    except Exception as exc:
        module = type(exc).__module__.split(".")[0]
        if module in {"duckdb", "_duckdb", "polars"}:
            msg = f"{'polars' if module == 'polars' else 'DuckDB'} could not read the data: {exc}"
            raise InputError(msg) from exc
        raise


def say_reader(loaded: Loaded) -> None:
    """Write which reader ran on which files to stderr (``--verbose``)."""
    where = {
        "duckdb": "kept in DuckDB, aggregated there",
        "polars": "a polars frame, aggregated lazily",
        "pandas": "in memory",
    }[loaded.reader]
    files = ", ".join(str(file) for file in loaded.files)
    sys.stderr.write(f"reader: {loaded.reader} ({where}): {files}\n")


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
        "--data",
        type=data_source,
        required=True,
        metavar="SOURCE",
        help=(
            "events file or folder, or a database with --table: postgresql://user@host:port/db "
            "(password from PGPASSWORD or ~/.pgpass) or a .duckdb file"
        ),
    )
    check.add_argument("--table", metavar="TABLE", help="events table of the --data database")
    check.add_argument(
        "--format",
        choices=_CHECK_FORMATS,
        default="text",
        help=(
            "text for people, json for scripts, junit for CI test reports, github for "
            "GitHub Actions annotations (::error file=...,line=...::), markdown for a step "
            "summary (default: text)"
        ),
    )
    check.add_argument("--output", type=Path, metavar="FILE", help="write the result to FILE")
    check.add_argument(
        "--junit", type=Path, metavar="FILE", help="also write the JUnit XML report to FILE"
    )
    check.add_argument(
        "--summary",
        type=Path,
        metavar="FILE",
        help="also append the Markdown summary to FILE (e.g. $GITHUB_STEP_SUMMARY)",
    )
    check.add_argument(
        "--select",
        action="append",
        metavar="NAMES",
        help=(
            "check only these expectations: names, metric names or tag:NAME, comma-separated "
            "or repeated (only the metrics they need are computed)"
        ),
    )
    _quiet(check)
    add_data_options(check)
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


def _load(path: Path, args: argparse.Namespace) -> MetricSpec:
    """Load a spec and apply ``--column``/``--event`` to its event contract."""
    from retention_kpis.spec import load_spec  # noqa: PLC0415 - fast --help

    spec = load_spec(path)
    schema = event_schema(spec.events, args.column, args.event)
    return spec if schema == spec.events else spec.model_copy(update={"events": schema})


def _events(spec: MetricSpec, data: Path | str | None, args: argparse.Namespace) -> object:
    """Return the events of a spec run: ``data`` read with the chosen reader, or the demo stream."""
    if data is None:
        return demo_events()
    table = database_events(data, getattr(args, "table", None))
    if table is not None:
        return table
    assert isinstance(data, Path)
    loaded = read_data(
        data,
        text=text_columns(spec.events, [*spec.segments, *_filter_columns(spec)]),
        reader=args.reader,
        timestamp=spec.events.timestamp,
    )
    if args.verbose:
        say_reader(loaded)
    return loaded.frame


def _filter_columns(spec: MetricSpec) -> list[str]:
    """Columns the spec's measures filter on (read as text from CSV, like segments)."""
    roles = spec.events.columns()
    numeric = {roles["revenue"], roles["cost"], roles["score"]}
    measures = [
        measure
        for metric in spec.metrics
        for name in ("measure", "numerator", "denominator")
        if (measure := getattr(metric, name, None)) is not None
    ]
    found = [roles.get(key, key) for measure in measures for key in measure.filter]
    return [name for name in dict.fromkeys(found) if name not in numeric]


def _positions(path: Path) -> dict[int, tuple[int, int]]:
    """Line and column of each expectation of a spec file (none if it cannot be read)."""
    from retention_kpis.spec.yaml12 import node_positions  # noqa: PLC0415 - fast --help

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    return {
        key[1]: position
        for key, position in node_positions(text).items()
        if len(key) == 2 and key[0] == "expectations" and isinstance(key[1], int)
    }


def _selection(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _run_check(args: argparse.Namespace) -> int:
    from retention_kpis.spec import check_spec, junit_xml  # noqa: PLC0415 - fast --help

    spec = _load(args.spec, args)
    bar = ProgressBar(sys.stderr, quiet=args.quiet)
    try:
        bar(0, 1, f"reading {redacted(args.data)}")
        events = _events(spec, args.data, args)
        with engine_errors():
            result = check_spec(spec, events, progress=bar, select=_selection(args.select))
    finally:
        bar.close()
    result = result.model_copy(update={"source": str(args.spec)})
    if args.format == "json":
        text = model_json(result)
    elif args.format == "junit":
        text = junit_xml(result) + "\n"
    elif args.format == "github":
        text = github_annotations(result, _positions(args.spec))
    elif args.format == "markdown":
        text = markdown_summary(result, data=redacted(args.data))
    else:
        text = check_text(result, quiet=args.quiet)
    if not args.quiet and args.format not in {"json", "markdown"}:
        for note in result.notes:
            sys.stderr.write(f"note: {note}\n")
    _write(text, args.output)
    if args.junit is not None:
        _write(junit_xml(result) + "\n", args.junit)
    if args.summary is not None:
        try:
            with args.summary.open("a", encoding="utf-8") as handle:
                handle.write(markdown_summary(result, data=redacted(args.data)))
        except OSError as exc:
            msg = f"cannot write {str(args.summary)!r}: {exc}"
            raise InputError(msg) from exc
    return 0 if result.passed else EXPECTATION_FAILED


def run_spec_command(args: argparse.Namespace) -> int:
    """Run ``validate``, ``check`` or ``schema``; return the exit status."""
    if args.command == "schema":
        from retention_kpis.spec.schema import (  # noqa: PLC0415 - fast --help
            report_json_schema,
            spec_json_schema,
        )

        schema = report_json_schema() if args.report else spec_json_schema()
        sys.stdout.write(strict_json(schema))
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


def run_spec_report(spec_path: Path, data: Path | str | None, args: argparse.Namespace) -> str:
    """Compute the report of a spec's metrics on ``data`` (the demo if None) in ``args.format``."""
    from retention_kpis.spec import compute_spec  # noqa: PLC0415 - fast --help

    spec = _load(spec_path, args)
    bar = ProgressBar(sys.stderr, quiet=args.quiet)
    try:
        bar(0, 1, f"reading {redacted(data) if data is not None else 'the demo events'}")
        events = _events(spec, data, args)
        with engine_errors():
            report = compute_spec(spec, events, progress=bar)
    finally:
        bar.close()
    if args.format == "json":
        return model_json(report)
    data_ = report.to_dict()
    if report.period is None:
        data_["period"] = ["all"] * len(data_["period"])
    columns = list(data_)
    if args.format == "csv":
        if not args.quiet:
            for note in report.notes:
                sys.stderr.write(f"note: {note}\n")
        return csv_text(columns, data_, escape_formulas=args.csv_formulas == "escape")
    keys = ["period", *report.segments]
    shown, dropped = drop_empty_columns(columns, data_, keep=keys)
    text = fit_table(
        shown,
        data_,
        key_columns=keys,
        text_columns=set(keys),
        percent_columns={m.name for m in report.metrics if m.unit in _PERCENT_UNITS},
        width=table_width(args),
    ).rstrip("\n")
    lines = [text]
    if dropped:
        lines.append(f"(null on every row, not shown: {', '.join(dropped)})")
    if report.notes and not args.quiet:
        lines += ["", "Notes:", *(f"- {note}" for note in report.notes)]
    return "\n".join(lines) + "\n"
