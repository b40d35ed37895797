"""load_spec stays fast on YAML alias bombs (found by fuzz/: repr of the whole input blew up)."""

from __future__ import annotations

import time

import pytest

from retention_kpis.spec import SpecError, load_spec


def alias_bomb(depth: int) -> str:
    # Each level holds nine aliases of the one below: 9**depth leaves if expanded naively.
    lines = ["version: 1", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, depth + 1)]
    lines.append(f"metrics: *l{depth}")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_rejected_quickly_with_a_bounded_message(tmp_path):
    # Before the fix depth 6 took ~0.8 s and each level 9x more (depth 9: ~10 min, GBs of RAM).
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(12), encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert time.perf_counter() - start < 5.0
    first = caught.value.problems[0]
    assert first.path == "metrics[0]"
    assert first.message.startswith(
        "Input should be a valid dictionary or object to extract fields from (got [[[[...], [...],"
    )
    assert len(str(caught.value)) < 10_000


def test_small_values_are_still_shown_with_their_plain_repr():
    with pytest.raises(SpecError) as caught:
        load_spec({"version": 1, "metrics": [["a", "b"]]})
    assert caught.value.problems[0].message == (
        "Input should be a valid dictionary or object to extract fields from (got ['a', 'b'])"
    )
