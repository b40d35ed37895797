"""The ``retention-kpis`` console script (``python -m retention_kpis``).

* :mod:`~retention_kpis.cli.main`: the parser, ``report`` and :func:`main`;
* :mod:`~retention_kpis.cli.spec`: ``validate``, ``check``, ``schema`` and spec reports;
* :mod:`~retention_kpis.cli.read`: reading event files (DuckDB, polars or pandas);
* :mod:`~retention_kpis.cli.mapping`: ``--column``/``--event`` and the reader options;
* :mod:`~retention_kpis.cli.format`: text tables (wrapped to a width) and CSV (formulas escaped);
* :mod:`~retention_kpis.cli.check_output`: ``check`` as text, GitHub annotations, Markdown;
* :mod:`~retention_kpis.cli.progress`: the progress bar on a terminal.
"""

from __future__ import annotations

from retention_kpis.cli.main import DEMO_CUSTOMERS, DEMO_SEED, build_parser, main

__all__ = ["DEMO_CUSTOMERS", "DEMO_SEED", "build_parser", "main"]
