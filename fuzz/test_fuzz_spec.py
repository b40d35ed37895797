"""Fuzz the spec loader, spec evaluation and the CLI.

Invariants: load_spec raises only SpecError (a RetentionKPIsError) on any text
or structured-but-wrong document; a spec that loads computes on events or
raises a RetentionKPIsError; the CLI never exits with status 3 (its "unexpected
error", i.e. a bug) and never lets an exception out.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _frames import hostile_frames
from _specs import broken_specs, spec_texts
from hypothesis import given, settings
from hypothesis import strategies as st

from retention_kpis import RetentionKPIsError, UndefinedKPIWarning
from retention_kpis.cli import main
from retention_kpis.datasets import make_events
from retention_kpis.spec import SpecError, check_spec, compute_spec, load_spec


@pytest.fixture(scope="module")
def small_events() -> pd.DataFrame:
    return make_events(30, seed=3, start="2024-01-01", end="2024-06-30")


def no_unexpected_warnings(caught: list[warnings.WarningMessage]) -> None:
    unexpected = [w for w in caught if not issubclass(w.category, UndefinedKPIWarning)]
    assert not unexpected, [f"{w.category.__name__}: {w.message}" for w in unexpected]


def counted(batch: Any) -> Any:
    """Wrap one hypothesis run into a batch function returning its example count."""

    def run() -> int:
        batch.count = 0
        batch()
        return int(batch.count)

    return run


def test_fuzz_load_spec_on_any_text(fuzz_loop):
    @settings()
    @given(spec_texts, st.sampled_from([".yaml", ".yml", ".json"]))
    def batch(text: str, suffix: str) -> None:
        batch.count += 1
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"spec{suffix}"
            path.write_text(text, encoding="utf-8")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with contextlib.suppress(SpecError):
                    load_spec(path)
        no_unexpected_warnings(caught)

    fuzz_loop(counted(batch))


def test_fuzz_broken_specs_load_and_compute(fuzz_loop, small_events):
    @settings()
    @given(broken_specs(), st.one_of(st.none(), hostile_frames()))
    def batch(document: dict[str, Any], hostile: pd.DataFrame | None) -> None:
        batch.count += 1
        events = small_events if hostile is None else hostile
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                spec = load_spec(document)
            except SpecError:
                return
            before = events.copy(deep=True)
            with contextlib.suppress(RetentionKPIsError):
                compute_spec(spec, events)
            with contextlib.suppress(RetentionKPIsError):
                check_spec(spec, events)
            pd.testing.assert_frame_equal(events, before)
        no_unexpected_warnings(caught)

    fuzz_loop(counted(batch))


def test_fuzz_cli_never_fails_unexpectedly(fuzz_loop):
    @settings()
    @given(
        st.one_of(spec_texts, broken_specs().map(json.dumps)),
        hostile_frames(),
        st.sampled_from(["validate", "check", "report-spec", "report"]),
    )
    def batch(text: str, events: pd.DataFrame, command: str) -> None:
        batch.count += 1
        with tempfile.TemporaryDirectory() as folder:
            spec = Path(folder) / "spec.yaml"
            spec.write_text(text, encoding="utf-8")
            data = Path(folder) / "events.csv"
            events.to_csv(data, index=False)
            argv = {
                "validate": ["validate", str(spec)],
                "check": ["check", str(spec), "--data", str(data), "-q"],
                "report-spec": ["report", str(spec), "--data", str(data), "-q"],
                "report": ["report", str(data), "-q", "--engagement"],
            }[command]
            out, err = io.StringIO(), io.StringIO()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    status = main(argv)
        no_unexpected_warnings(caught)
        assert status in {0, 1, 2}, err.getvalue()[-3000:]

    fuzz_loop(counted(batch))
