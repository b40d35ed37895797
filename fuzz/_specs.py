"""Hypothesis strategies of hostile spec documents for the spec loader and CLI fuzz targets.

Three kinds: arbitrary text; YAML built from the spec vocabulary (keys, kinds,
tags, anchors, deep nesting); and valid specs broken in one to three places
(a value replaced by junk, a key dropped, a junk key added).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
SEEDS: list[dict[str, Any]] = [
    yaml.safe_load((REPO / "examples" / "specs" / "segmented.yaml").read_text(encoding="utf-8")),
    json.loads((REPO / "examples" / "specs" / "minimal.json").read_text(encoding="utf-8")),
    yaml.safe_load((REPO / "examples" / "ci" / "kpis.yaml").read_text(encoding="utf-8")),
]
WORDS = [
    "version",
    "events",
    "period",
    "segments",
    "metrics",
    "expectations",
    "name",
    "type",
    "builtin",
    "simple",
    "ratio",
    "derived",
    "kpi",
    "expr",
    "measure",
    "count",
    "sum",
    "count_distinct",
    "filter",
    "segment",
    "numerator",
    "denominator",
    "min",
    "max",
    "undefined",
    "skip",
    "attribution",
    "model",
    "lookback_days",
    "window",
    "scale",
    "method",
    "nps",
    "csat",
    "conversion_rate",
    "retention_rate",
    "revenue",
    "visitors",
    "purchase",
    "visit",
    "channel",
    "latest",
    "M",
    "Q",
    "none",
    "event_types",
    "unit",
    "session_column",
    "unknown_events",
    "raise",
    "ignore",
    "churn_from",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(WORDS),
    st.sampled_from(
        [
            "2024-01-01",
            "2024-13-01",
            "revenue / visitors",
            "1/0",
            "((a)",
            "a +",
            "__import__('os')",
            "revenue ** 2",
            "1e999",
            "-0",
            ".nan",
            "~",
            "[",
            "{",
        ]
    ),
)
junk_values = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(WORDS), inner, max_size=4)
    ),
    max_leaves=12,
)
YAML_BITS = [
    "!!python/object/apply:os.system ['true']",
    "!!python/name:os.system",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "&a [*a]",
    "*undefined",
    "&x {k: 1}",
    "<<: *x",
    "? [a]\n: b",
    "!!float nan",
    "!!int 0x1F",
    "!!timestamp 2024-01-01",
    "- ",
    ": ",
    "|\n  text",
    ">-\n  folded",
    "%YAML 1.1\n---",
    "---\n...",
    "\t",
    "\ufeff",
    "'unterminated",
    '"\\x00"',
    "[[[[[[[[[[",
    "{a: {b: {c: ",
]


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """YAML-ish text: vocabulary keys, junk values, tags, anchors, broken syntax."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        indent = "  " * draw(st.integers(0, 3))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            lines.append(f"{indent}{draw(st.sampled_from(WORDS))}: {draw(st.sampled_from(WORDS))}")
        elif kind == 1:
            lines.append(f"{indent}- {draw(st.sampled_from(WORDS))}: {draw(SCALARS)!s}")
        elif kind == 2:
            lines.append(
                f"{indent}{draw(st.sampled_from(WORDS))}: {draw(st.sampled_from(YAML_BITS))}"
            )
        else:
            lines.append(indent + draw(st.text(max_size=15)))
    return "\n".join(lines)


def billion_laughs(depth: int) -> str:
    """YAML whose aliases expand to 9**depth leaves if anything walked them naively."""
    lines = [
        "version: 1",
        'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    ]
    for level in range(1, depth + 1):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    lines.append(f"metrics: *l{depth}")
    return "\n".join(lines) + "\n"


spec_texts = st.one_of(
    st.text(max_size=200),
    yaml_texts(),
    st.integers(1, 9).map(billion_laughs),
    junk_values.map(yaml.safe_dump),
    st.integers(1, 400).map(lambda depth: "a: " + "[" * depth + "]" * depth),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def broken_specs(draw: st.DrawFn) -> dict[str, Any]:
    """Return a valid example spec with zero to three things broken."""
    spec = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.sampled_from([0, 1, 1, 2, 3]))):  # 0: the valid seed itself
        path = draw(st.sampled_from(_paths(spec)[1:]))
        parent: Any = spec
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.integers(0, 3))
        if action == 0 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == 1 and isinstance(parent, dict):
            parent[draw(st.sampled_from(WORDS))] = draw(junk_values)
        else:
            parent[path[-1]] = draw(junk_values)
    return spec
