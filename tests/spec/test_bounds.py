"""Size and depth bounds of spec files, and linear-time checks (issue #16, items 12 and 18).

Before the fix: a 10 KB file of 5,000 nested ``[`` (YAML or JSON), a 5,000-digit integer in
YAML, or a chain of 250 derived metrics made ``retention-kpis validate`` exit 3 (a traceback:
RecursionError, ValueError); a 930 KB spec of 20,000 metrics took 34 s to load and a chain of
2,000 derived metrics ran for 287 s before a RecursionError (measured on the shared machine).
Now each is refused (or accepted) with exit 2 and the place of the problem, in well under a second.
"""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

from retention_kpis.cli import main
from retention_kpis.spec import SpecError, compute_spec, load_spec
from retention_kpis.spec._references import MAX_DERIVED_DEPTH
from retention_kpis.spec.load import MAX_DIGITS, MAX_NESTING

ONE_METRIC = '[{"name": "a", "type": "builtin", "kpi": "revenue"}]'


def chain(links: int) -> dict[str, object]:
    """``m0`` is revenue; ``m{i} = m{i-1} + 1``: ``links`` derived metrics on one another."""
    metrics = [{"name": "m0", "type": "builtin", "kpi": "revenue"}]
    metrics += [
        {"name": f"m{i}", "type": "derived", "expr": f"m{i - 1} + 1"} for i in range(1, links + 1)
    ]
    return {"version": 1, "metrics": metrics}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "deep.yaml",
            "version: 1\nmetrics: " + "[" * 5000 + "]" * 5000 + "\n",
            "line 2, column 41: invalid YAML: the document nests deeper than 32 levels",
        ),
        (
            "deep.json",
            '{"version": 1, "metrics": ' + "[" * 5000 + "]" * 5000 + "}",
            "line 1, column 58: invalid JSON: the document nests deeper than 32 levels",
        ),
        (
            # Each anchor nests the previous one a level deeper: 200 short lines, depth 201.
            "aliases.yaml",
            "version: 1\nx0: &a0 [1]\n"
            + "".join(f"x{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 200))
            + "metrics: []\n",
            (
                "line 31, column 6: invalid YAML: the document nests deeper than 32 levels "
                "(through aliases)"
            ),
        ),
        (
            # "expectations: [" is 15 characters and "{metric: a, min: " 17: column 33.
            "bigint.yaml",
            f"version: 1\nmetrics: {ONE_METRIC}\nexpectations: [{{metric: a, min: {'9' * 5000}}}]\n",
            "line 3, column 33: invalid YAML: an integer of 5,000 digits (at most 100)",
        ),
        (
            "bigint.json",
            (
                f'{{"version": 1, "metrics": {ONE_METRIC}, "expectations": '
                f'[{{"metric": "a", "min": {"9" * 5000}}}]}}'
            ),
            "invalid JSON: an integer of 5,000 digits (at most 100)",
        ),
    ],
    ids=[
        "deep-yaml",
        "deep-json",
        "deep-through-aliases",
        "huge-integer-yaml",
        "huge-integer-json",
    ],
)
def test_small_hostile_files_exit_2_with_the_place_of_the_problem(
    tmp_path, capsys, name, text, message
):
    path = tmp_path / name
    path.write_text(text)
    assert len(text) < 20_000
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert [str(p) for p in info.value.problems] == [f"{path}: {message}"]
    assert main(["validate", str(path)]) == 2
    assert f"{path}: {message}" in capsys.readouterr().err


def test_nesting_and_digit_bounds_leave_room_for_real_specs(tmp_path):
    # A spec nests 6 levels (spec > metrics > metric > measure > filter > values); the bound is
    # 32. An integer of 100 digits is read (it is a valid float bound of an expectation).
    assert MAX_NESTING == 32
    assert MAX_DIGITS == 100
    document = {
        "version": 1,
        "metrics": [{"name": "a", "type": "builtin", "kpi": "revenue"}],
        "expectations": [{"metric": "a", "max": int("9" * 100)}],
    }
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(document))
    assert load_spec(path).expectations[0].max == pytest.approx(1e100)


def test_a_chain_past_the_bound_is_one_problem_at_its_first_link(tmp_path, capsys):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain(250)))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert [(p.path, p.message) for p in info.value.problems] == [
        (
            "metrics[101].expr",
            (
                "derived metrics nest 101 deep here; at most 100 derived metrics may build on "
                "one another"
            ),
        )
    ]
    assert main(["validate", str(path)]) == 2
    capsys.readouterr()


def test_a_chain_at_the_bound_loads_and_evaluates():
    assert MAX_DERIVED_DEPTH == 100
    spec = load_spec(chain(100))
    events = pd.DataFrame(
        {
            "customer_id": ["a"],
            "timestamp": ["2024-01-05"],
            "event_type": ["purchase"],
            "revenue": [20.0],
        }
    )
    values = compute_spec(spec, events).to_dict()
    # Hand count: m0 = revenue = 20; each link adds 1, so m100 = 120.
    assert values["m0"] == [20.0]
    assert values["m100"] == [120.0]


def test_two_thousand_links_are_refused_fast(tmp_path):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain(2000)))
    start = time.perf_counter()
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert time.perf_counter() - start < 10  # before: 287 s, then RecursionError
    assert len(info.value.problems) == 1


def test_twenty_thousand_metrics_load_in_linear_time(tmp_path):
    metrics = [{"name": f"m{i}", "type": "builtin", "kpi": "nps"} for i in range(20_000)]
    expectations = [{"metric": f"m{i}", "min": -100} for i in range(0, 20_000, 40)]
    text = json.dumps(
        {"version": 1, "metrics": metrics, "expectations": expectations}, separators=(",", ":")
    )
    assert len(text) < 1_000_000
    path = tmp_path / "wide.json"
    path.write_text(text)
    start = time.perf_counter()
    spec = load_spec(path)
    assert time.perf_counter() - start < 10  # before: 34 s (quadratic name lookups)
    assert len(spec.metrics) == 20_000


def test_a_cycle_and_a_long_acyclic_chain_are_both_found_without_recursion(tmp_path):
    document = chain(90)
    metrics = document["metrics"]
    assert isinstance(metrics, list)
    metrics += [
        {"name": "x", "type": "derived", "expr": "y + m90"},
        {"name": "y", "type": "derived", "expr": "z * 2"},
        {"name": "z", "type": "derived", "expr": "x - 1"},
    ]
    with pytest.raises(SpecError) as info:
        load_spec(document)
    assert [(p.path, p.message) for p in info.value.problems] == [
        ("metrics[91].expr", "cycle: x -> y -> z -> x"),
        ("metrics[92].expr", "cycle: y -> z -> x -> y"),
        ("metrics[93].expr", "cycle: z -> x -> y -> z"),
    ]
