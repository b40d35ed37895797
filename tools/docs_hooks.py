"""mkdocs hooks (``hooks:`` in ``mkdocs.yml``): the build-time parts of the documentation site.

* ``on_files`` draws every plot of ``tools/docs_plots.py`` (from the bundled datasets, with
  matplotlib's Agg backend) into ``images/plots/<name>.png``, writes the plot gallery page
  from the same list, and adds the executed notebooks of ``examples/notebooks/`` as
  ``notebooks/<name>.ipynb`` for mkdocs-jupyter to render. It runs before mkdocs-jupyter's
  own ``on_files`` (higher priority), which turns those files into pages.

Nothing here is written into ``docs/``: the generated files live in a temporary directory
for the length of the build.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib as mpl
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "examples" / "notebooks"
PLOT_DIR = "images/plots"
GALLERY = "gallery.md"

_workdir: tempfile.TemporaryDirectory[str] | None = None


def _docs_plots() -> ModuleType:
    """Import ``tools/docs_plots.py`` by path (``tools`` is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "_rk_docs_plots", ROOT / "tools" / "docs_plots.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _gallery(plots: tuple[Any, ...]) -> str:
    lines = [
        "# Plot gallery",
        "",
        "Every picture on this site, drawn by `mkdocs build` from the datasets that ship with",
        "the package (`make_events`, `load_cdnow`). The list and the code live in one place,",
        "`tools/docs_plots.py` of the repository; the functions are those of",
        "[`retention_kpis.plot`](reference/plot.md).",
        "",
    ]
    for plot in plots:
        lines += [
            f"## {plot.caption}",
            "",
            plot.description,
            "",
            f"![{plot.caption}]({PLOT_DIR}/{plot.name}.png){{ .rk-plot }}",
            "",
        ]
    return "\n".join(lines)


@event_priority(100)
def on_files(files: Files, config: Any) -> Files:  # noqa: ANN401 - mkdocs' config object
    """Add the generated plots, the gallery page and the notebooks to the site's files."""
    global _workdir  # noqa: PLW0603 - one temporary directory per build
    mpl.use("Agg")
    if _workdir is not None:
        _workdir.cleanup()
    _workdir = tempfile.TemporaryDirectory(prefix="rk-docs-")
    plots = _docs_plots()
    for path in plots.draw_all(Path(_workdir.name)):
        files.append(File.generated(config, f"{PLOT_DIR}/{path.name}", abs_src_path=str(path)))
    files.append(File.generated(config, GALLERY, content=_gallery(plots.PLOTS)))
    # A plain File whose src_dir is examples/ (not File.generated: mkdocs-jupyter's wrapper
    # recomputes the source path from src_dir, which a generated file does not have).
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        files.append(
            File(
                f"{NOTEBOOKS.name}/{notebook.name}",
                src_dir=str(NOTEBOOKS.parent),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


def on_shutdown() -> None:
    """Remove the temporary directory of the generated files."""
    global _workdir  # noqa: PLW0603
    if _workdir is not None:
        _workdir.cleanup()
        _workdir = None
