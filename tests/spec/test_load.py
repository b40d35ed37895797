"""Tests of retention_kpis.spec.load: reading YAML/JSON safely and reporting every problem."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from retention_kpis.exceptions import RetentionKPIsError
from retention_kpis.spec import MetricSpec, SpecError, load_spec


def write_yaml(tmp_path, document, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def problems_of(path, *, lines=False):
    """The problems as printed; without ``lines``, the ``:line:column`` after the file is cut."""
    with pytest.raises(SpecError) as info:
        load_spec(path)
    printed = [str(problem) for problem in info.value.problems]
    if lines:
        return printed
    return [re.sub(r"^(" + re.escape(str(path)) + r"):\d+:\d+: ", r"\1: ", p) for p in printed]


def test_valid_base_spec_loads_with_its_definitions(tmp_path, base_spec):
    spec = load_spec(write_yaml(tmp_path, base_spec))
    assert isinstance(spec, MetricSpec)
    assert [m.name for m in spec.metrics] == [
        "conversion",
        "revenue",
        "visitors",
        "retention",
        "rpv",
        "email_share",
    ]
    assert spec.segments == ("channel",)
    assert spec.expectations[1].period.isoformat() == "2024-01-01"


def test_spec_error_is_a_library_error_and_a_value_error():
    assert issubclass(SpecError, RetentionKPIsError)
    assert issubclass(SpecError, ValueError)


def _set(path, value):
    """Return a mutation that sets document[path...] = value."""

    def mutate(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(path):
    def mutate(doc):
        node = doc
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


def _append_metric(metric):
    return lambda doc: doc["metrics"].append(metric)


def _append_expectation(expectation):
    return lambda doc: doc["expectations"].append(expectation)


# (id, mutation, path in the file, what the message says). At least 20 distinct breakages.
BROKEN = [
    ("unknown top-level key", _set(("periods",), "M"), "periods", "unknown key"),
    ("missing version", _delete(("version",)), "version", "required key is missing"),
    ("wrong version", _set(("version",), 2), "version", "Input should be 1 (got 2)"),
    ("bad period", _set(("period",), "fortnight"), "period", "'D', 'W', 'M', 'Q', 'Y' or 'none'"),
    ("no metrics", _set(("metrics",), []), "metrics", "define at least one metric"),
    ("metrics not a list", _set(("metrics",), "nps"), "metrics", "valid tuple"),
    (
        "unknown metric type",
        _set(("metrics", 0, "type"), "magic"),
        "metrics[0].type",
        "unknown type 'magic'",
    ),
    (
        "missing metric type",
        _delete(("metrics", 0, "type")),
        "metrics[0].type",
        "required key is missing",
    ),
    (
        "unknown kpi",
        _set(("metrics", 1, "kpi"), "profit"),
        "metrics[1].kpi",
        "unknown kpi 'profit'",
    ),
    (
        "bad retention window",
        _set(("metrics", 3, "window"), "fortnight"),
        "metrics[3].window",
        "Input should be 'D', 'W', 'M', 'Q' or 'Y' (got 'fortnight')",
    ),
    (
        "unknown key in a metric",
        _set(("metrics", 3, "windw"), "M"),
        "metrics[3].windw",
        "unknown key",
    ),
    (
        "bad metric name",
        _set(("metrics", 2, "name"), "2 visitors"),
        "metrics[2].name",
        "should match pattern",
    ),
    (
        "duplicate metric name",
        _set(("metrics", 2, "name"), "revenue"),
        "metrics[2].name",
        "duplicate metric name 'revenue' (first defined at metrics[1])",
    ),
    (
        "nps on another scale",
        _append_metric({"name": "n", "type": "builtin", "kpi": "nps", "scale": [0, 5]}),
        "metrics[6].scale[1]",
        "Input should be 10 (got 5)",
    ),
    (
        "csat threshold outside scale",
        _append_metric({"name": "c", "type": "builtin", "kpi": "csat", "threshold": 6}),
        "metrics[6]",
        "threshold must lie within scale [1, 5], got 6",
    ),
    (
        "csat mean with threshold",
        _append_metric(
            {"name": "c", "type": "builtin", "kpi": "csat", "method": "mean", "threshold": 4}
        ),
        "metrics[6]",
        "threshold applies to method 'top2box' only",
    ),
    (
        "csat scale reversed",
        _append_metric({"name": "c", "type": "builtin", "kpi": "csat", "scale": [5, 1]}),
        "metrics[6]",
        "scale must be [low, high] with low < high",
    ),
    (
        "session conversion without column",
        _append_metric(
            {"name": "s", "type": "builtin", "kpi": "conversion_rate", "unit": "session"}
        ),
        "metrics[6]",
        "unit 'session' needs session_column",
    ),
    (
        "bad conversion unit",
        _append_metric(
            {"name": "s", "type": "builtin", "kpi": "conversion_rate", "unit": "household"}
        ),
        "metrics[6].unit",
        "'user' or 'session'",
    ),
    (
        "unknown activity event",
        _append_metric(
            {"name": "r", "type": "builtin", "kpi": "churn_rate", "activity_event": "visit"}
        ),
        "metrics[6].activity_event",
        "Input should be 'purchase'",
    ),
    (
        "measure with two aggregations",
        _set(("metrics", 5, "numerator"), {"count": "visit", "sum": "revenue"}),
        "metrics[5].numerator",
        "give exactly one of count, count_distinct, sum",
    ),
    (
        "measure count with event",
        _set(("metrics", 5, "denominator"), {"count": "visit", "event": "visit"}),
        "metrics[5].denominator",
        "event applies to count_distinct and sum",
    ),
    (
        "unknown event kind",
        _set(("metrics", 5, "numerator", "count"), "vist"),
        "metrics[5].numerator.count",
        "unknown event kind 'vist'",
    ),
    (
        "sum of a text column",
        _append_metric({"name": "s", "type": "simple", "measure": {"sum": "customer_id"}}),
        "metrics[6].measure.sum",
        "cannot sum 'customer_id'",
    ),
    (
        "filter on the event type",
        _set(("metrics", 5, "numerator", "filter"), {"event_type": "visit"}),
        "metrics[5].numerator.filter.event_type",
        "choose the event kind with count or event",
    ),
    (
        "derived unknown metric",
        _set(("metrics", 4, "expr"), "revnue / visitors"),
        "metrics[4].expr",
        "unknown metric(s) ['revnue']",
    ),
    (
        "derived syntax error",
        _set(("metrics", 4, "expr"), "revenue / / visitors"),
        "metrics[4].expr",
        "unexpected '/' at position 11",
    ),
    (
        "derived function call",
        _set(("metrics", 4, "expr"), "abs(revenue)"),
        "metrics[4].expr",
        "function calls are not allowed",
    ),
    (
        "derived unbalanced parenthesis",
        _set(("metrics", 4, "expr"), "(revenue / visitors"),
        "metrics[4].expr",
        "the parenthesis opened at position 1 is never closed",
    ),
    (
        "derived cycle",
        lambda doc: doc["metrics"].extend(
            [
                {"name": "x", "type": "derived", "expr": "rpv + y"},
                {"name": "y", "type": "derived", "expr": "x * 2"},
            ]
        ),
        "metrics[6].expr",
        "cycle: x -> y -> x",
    ),
    (
        "derived adds currency and count",
        _set(("metrics", 4, "expr"), "revenue + visitors"),
        "metrics[4].expr",
        "cannot add count and currency (units must match)",
    ),
    (
        "derived mixes windows",
        lambda doc: (
            _set(("metrics", 3, "window"), "Q")(doc),
            _append_metric({"name": "m", "type": "derived", "expr": "retention * conversion"})(doc),
        ),
        "metrics[6].expr",
        "mixes metrics over different windows ['M', 'Q']",
    ),
    (
        "expectation on unknown metric",
        _set(("expectations", 0, "metric"), "convresion"),
        "expectations[0].metric",
        "unknown metric 'convresion'",
    ),
    (
        "expectation without bound",
        _append_expectation({"metric": "revenue"}),
        "expectations[2]",
        "give at least one bound: min, max, equals or change",
    ),
    (
        "expectation min above max",
        _set(("expectations", 0, "min"), 0.95),
        "expectations[0]",
        "min (0.95) must be <= max (0.9)",
    ),
    (
        "expectation equals with min",
        _append_expectation({"metric": "revenue", "equals": 5, "min": 1}),
        "expectations[2]",
        "equals cannot be combined with min or max",
    ),
    (
        "tolerance without equals",
        _append_expectation({"metric": "revenue", "min": 1, "abs_tol": 1}),
        "expectations[2]",
        "abs_tol and rel_tol apply to equals only",
    ),
    (
        "negative tolerance",
        _append_expectation({"metric": "revenue", "equals": 1, "rel_tol": -0.1}),
        "expectations[2].rel_tol",
        "greater than or equal to 0",
    ),
    (
        "percentage on a fraction",
        _set(("expectations", 0, "max"), 90),
        "expectations[0].max",
        "a fraction lies in [0, 1], got 90 (a percentage? write 0.05 for 5 %)",
    ),
    (
        "segment not declared",
        _set(("expectations", 1, "segment"), {"region": "eu"}),
        "expectations[1].segment.region",
        "'region' is not a segment of the spec",
    ),
    (
        "period not a period start",
        _set(("expectations", 1, "period"), "2024-01-15"),
        "expectations[1].period",
        "2024-01-15 is not the first day of a 'M' period",
    ),
    (
        "period not a date",
        _set(("expectations", 1, "period"), "yesterday"),
        "expectations[1].period",
        "Input should be 'all' or 'latest'",
    ),
    (
        "segment clashes with a report column",
        _set(("segments",), ["revenue"]),
        "segments[0]",
        "'revenue' is a report column name",
    ),
    (
        "unknown attribution model",
        _set(("attribution",), {"model": "u_shaped"}),
        "attribution.model",
        "'first_touch', 'last_touch'",
    ),
    (
        "events mapping typo",
        _set(("events",), {"customer": "user_id"}),
        "events.customer",
        "unknown key",
    ),
    (
        "event types must be distinct",
        _set(("events",), {"event_types": {"visit": "x", "purchase": "x"}}),
        "events.event_types",
        "must be distinct",
    ),
    (
        "infinite bound",
        _set(("expectations", 0, "max"), float("inf")),
        "expectations[0].max",
        "finite number",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "where", "expected"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_spec_is_reported_with_file_path_and_expectation(
    tmp_path, base_spec, mutate, where, expected
):
    mutate(base_spec)
    path = write_yaml(tmp_path, base_spec)
    located = re.compile(re.escape(str(path)) + r":\d+:\d+: " + re.escape(where) + ": ")
    problems = problems_of(path, lines=True)
    matching = [p for p in problems if located.match(p)]
    assert matching, problems
    assert any(expected in p for p in matching), matching


def test_at_least_twenty_distinct_broken_specs():
    assert len({case[0] for case in BROKEN}) >= 20


def test_derived_metrics_over_different_windows_are_rejected(tmp_path, base_spec):
    base_spec["metrics"][3]["window"] = "Q"
    base_spec["metrics"].append({"name": "m", "type": "derived", "expr": "retention * conversion"})
    path = write_yaml(tmp_path, base_spec)
    assert problems_of(path) == [
        f"{path}: metrics[6].expr: mixes metrics over different windows ['M', 'Q']"
    ]


def test_reference_cycle_is_reported_with_its_path(tmp_path, base_spec):
    base_spec["metrics"] += [
        {"name": "a", "type": "derived", "expr": "b * 2"},
        {"name": "b", "type": "derived", "expr": "a + 1"},
    ]
    path = write_yaml(tmp_path, base_spec)
    assert problems_of(path) == [
        f"{path}: metrics[6].expr: cycle: a -> b -> a",
        f"{path}: metrics[7].expr: cycle: b -> a -> b",
    ]


def test_every_problem_is_listed_not_only_the_first(tmp_path, base_spec):
    base_spec["metrics"][3]["window"] = "fortnight"
    base_spec["metrics"][1]["kpi"] = "profit"
    with pytest.raises(SpecError) as info:
        load_spec(write_yaml(tmp_path, base_spec))
    assert [p.path for p in info.value.problems] == ["metrics[1].kpi", "metrics[3].window"]
    assert str(info.value).startswith("invalid spec (2 problems):\n")


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("spec.yaml", "version: 1\nmetrics: [\n", "line 3, column 1: invalid YAML"),
        (
            "spec.yaml",
            "version: 1\nversion: 1\n",
            "line 2, column 1: invalid YAML: found duplicate key 'version'",
        ),
        ("spec.yaml", "- 1\n- 2\n", "a spec must be a mapping of keys, got a list"),
        ("spec.yaml", "", "a spec must be a mapping of keys, got an empty file"),
        ("spec.json", '{"version": 1,', "line 1, column 15: invalid JSON"),
        ("spec.json", '{"version": 1, "version": 1}', "found duplicate key(s) ['version']"),
        ("spec.json", '{"version": NaN}', "NaN is not a number a spec may hold"),
        ("spec.txt", "version: 1", "a spec file must end in .yaml, .yml, .json"),
    ],
)
def test_unreadable_documents_are_spec_errors(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: ")
    assert expected in problems[0]


def test_missing_file_is_a_spec_error(tmp_path):
    path = tmp_path / "absent.yaml"
    assert problems_of(path) == [f"{path}: cannot read the file: No such file or directory"]


def test_python_yaml_tags_are_rejected_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "spec.yaml"
    path.write_text(
        f"version: 1\nmetrics: !!python/object/apply:os.system ['touch {marker}']\n",
        encoding="utf-8",
    )
    problems = problems_of(path)
    assert "could not determine a constructor for the tag" in problems[0]
    assert not marker.exists()


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "revenue.__class__",
        "[revenue]",
        "revenue if visitors else 0",
        "lambda: revenue",
        "revenue ** 2",
        "exec",
    ],
)
def test_derived_expressions_cannot_execute_code(tmp_path, base_spec, expr):
    base_spec["metrics"][4]["expr"] = expr
    path = write_yaml(tmp_path, base_spec)
    problems = problems_of(path)
    assert all(p.startswith(f"{path}: metrics[4].expr: ") for p in problems), problems


def test_json_spec_loads_like_yaml(tmp_path, base_spec):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(base_spec), encoding="utf-8")
    from_json = load_spec(path)
    from_yaml = load_spec(write_yaml(tmp_path, base_spec))
    assert from_json == from_yaml


def test_mapping_spec_reports_problems_under_its_source_name(base_spec):
    base_spec["version"] = 2
    with pytest.raises(SpecError, match=r"<spec>: version: Input should be 1 \(got 2\)"):
        load_spec(base_spec)


def test_models_are_frozen_and_construction_checks_references(base_spec):
    spec = load_spec(base_spec)
    with pytest.raises(ValueError, match="frozen"):
        spec.period = "Q"
    base_spec["metrics"][4]["expr"] = "nope * 2"
    with pytest.raises(ValueError, match=r"metrics\[4\]\.expr: unknown metric\(s\) \['nope'\]"):
        MetricSpec.model_validate(base_spec)


SPEC_WITH_TYPOS = """\
version: 1
metrics:
  - name: conversion
    type: builtin
    kpi: conversion_rate
  - {name: nps, type: builtin, kpi: nps, scale: [1, 10]}
expectations:
  - metric: conversion
    min: 0.1
    maxx: 0.5
  - metric: revenue
    min: 0
"""


def test_spec_problems_carry_the_line_and_column_of_the_yaml_node(tmp_path):
    # Lines and columns counted by hand in SPEC_WITH_TYPOS (1-based, as editors show them):
    # scale[0] is the "1" on line 6 at column 50 (after "  - {name: nps, type: builtin,
    # kpi: nps, scale: [", 49 characters); the unknown key "maxx" takes the position of its
    # value "0.5" (line 10, column 11).
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC_WITH_TYPOS, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    located = {(p.path, p.line, p.column) for p in info.value.problems}
    assert ("metrics[1].scale[0]", 6, 50) in located
    assert ("expectations[0].maxx", 10, 11) in located
    assert str(info.value.problems[0]).startswith(f"{path}:6:50: metrics[1].scale[0]: ")
