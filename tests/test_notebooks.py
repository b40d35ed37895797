"""Every notebook in examples/notebooks runs top to bottom, shows its plots and is stored executed.

The notebooks are the first thing a data scientist opens; executing them here keeps them from
rotting. Each one runs in a fresh ``python3`` kernel of *this* interpreter (a kernelspec
written to a temporary folder, so a ``python3`` kernel registered elsewhere on the machine
cannot be picked up instead), with a temporary working directory.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "examples" / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
IDS = [path.name for path in NOTEBOOKS]
EXPECTED = [
    "01_quickstart.ipynb",
    "02_cdnow_clv.ipynb",
    "03_cohorts_attribution.ipynb",
    "04_duckdb_scaling.ipynb",
]
CELL_TIMEOUT = 300  # seconds for one cell; a whole notebook takes ~5-15 s on 2 cores
PROBE = "import os, sys, retention_kpis\nfor x in sys.executable, os.getcwd(), retention_kpis.__file__:\n    print(x)"


def _code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _outputs(notebook: Any) -> list[Any]:
    return [output for cell in _code_cells(notebook) for output in cell.outputs]


def _images(notebook: Any) -> int:
    return sum(
        1
        for output in _outputs(notebook)
        if output.output_type in {"display_data", "execute_result"} and "image/png" in output.data
    )


def _stderr(notebook: Any) -> list[str]:
    """Text written to stderr (warnings end up there) and error outputs."""
    found = [o.text for o in _outputs(notebook) if o.output_type == "stream" and o.name == "stderr"]
    found += [f"{o.ename}: {o.evalue}" for o in _outputs(notebook) if o.output_type == "error"]
    return found


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory: pytest.TempPathFactory) -> KernelSpecManager:
    """Only one kernelspec, ``python3``, that starts ipykernel with the test's interpreter."""
    folder = tmp_path_factory.mktemp("kernels") / "python3"
    folder.mkdir()
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return KernelSpecManager(kernel_dirs=[str(folder.parent)])


def test_the_four_notebooks_are_there():
    # Guards the parametrisation below: a missing or renamed notebook fails here.
    assert IDS == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stored_notebook_is_executed_with_plots(path):
    # The copy in git keeps its outputs (not stripped), from one top-to-bottom run
    # (execution counts 1, 2, 3, ...), with the plots embedded and no error or warning shown.
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    cells = _code_cells(notebook)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    assert _images(notebook) >= 1
    assert _stderr(notebook) == []
    assert notebook.metadata.kernelspec.name == "python3"


def test_stored_notebooks_are_small():
    # GitHub renders notebooks up to a few MB; plots at dpi 80 keep each well below 1 MB.
    sizes = {path.name: path.stat().st_size for path in NOTEBOOKS}
    assert all(size < 1_000_000 for size in sizes.values()), sizes


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes_without_errors_and_shows_plots(path, tmp_path, kernel_specs):
    notebook = nbformat.read(path, as_version=4)
    for cell in _code_cells(notebook):  # execute from a clean copy, never the stored outputs
        cell.outputs = []
        cell.execution_count = None
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=kernel_specs)
    client = NotebookClient(
        notebook,
        km=manager,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    # cleanup_kc: shut the kernel down and close its sockets (the client does not own `manager`).
    client.execute(cleanup_kc=True)  # raises CellExecutionError, naming the cell, if a cell fails

    probe = notebook.cells.pop()
    executable, cwd, package = probe.outputs[0].text.splitlines()
    assert executable == sys.executable  # the kernel is this interpreter...
    assert Path(package).resolve().is_relative_to(ROOT / "src")  # ...running this checkout's code
    assert Path(cwd).resolve() == tmp_path.resolve()
    assert _images(notebook) >= 1, "no plot was shown"
    assert _stderr(notebook) == []
    assert list(tmp_path.iterdir()) == []  # nothing left behind in the working directory
