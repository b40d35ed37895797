"""`import retention_kpis` stays light: heavy libraries load only when used.

Import speed itself is measured in benchmarks/bench_import.py; this test checks the
cause that matters (no pandas, scipy or plotting stack at import), which cannot flake.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("pandas", "scipy", "polars", "pyarrow", "duckdb", "pyspark", "matplotlib", "numba")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys; {statement}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    completed = subprocess.run(  # noqa: S603 - fixed code, this interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return [name for name in completed.stdout.strip().split(",") if name]


def test_import_retention_kpis_loads_no_heavy_library():
    assert _loaded_after("import retention_kpis") == []


def test_pure_metrics_do_not_load_the_dataframe_facade():
    # compute_kpis and friends load narwhals on first use (PEP 562), not at import.
    code = "import sys, retention_kpis; print('narwhals' in sys.modules)"
    completed = subprocess.run(  # noqa: S603 - fixed code, this interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert completed.stdout.strip() == "False"


def test_lazy_facade_names_resolve_to_their_modules():
    import retention_kpis  # noqa: PLC0415 - the subject of the test

    assert retention_kpis.compute_kpis.__module__ == "retention_kpis.report.compute"
    assert retention_kpis.EventSchema.__module__ == "retention_kpis.events.schema"
    assert "compute_kpis" in dir(retention_kpis)


def test_import_clv_does_not_load_scipy_or_pandas():
    assert _loaded_after("import retention_kpis.clv") == []


def test_old_engagement_module_warns_and_re_exports_the_facades():
    import importlib  # noqa: PLC0415
    import sys  # noqa: PLC0415

    import retention_kpis.report  # noqa: PLC0415

    sys.modules.pop("retention_kpis.engagement", None)
    with pytest.warns(
        DeprecationWarning, match=r"import engagement_kpis .* from retention_kpis\.report"
    ):
        old = importlib.import_module("retention_kpis.engagement")
    assert old.engagement_kpis is retention_kpis.report.engagement_kpis
    assert old.referred_vs_organic is retention_kpis.report.referred_vs_organic
