"""Private foundations with no KPI meaning: the floor every other module stands on.

``_core`` imports nothing from the rest of the package except
:mod:`retention_kpis.exceptions`:

* :mod:`~retention_kpis._core.columns`: the private canonical column names;
* :mod:`~retention_kpis._core.calendar`: period codes and the period index on every backend;
* :mod:`~retention_kpis._core.durations`: the one duration grammar (``"7D"``, ``"1.5h"``);
* :mod:`~retention_kpis._core.checks`: the shared argument checks and the message template;
* :mod:`~retention_kpis._core.frames`: narwhals frame helpers (wrapping, grouping, collecting);
* :mod:`~retention_kpis._core.timestamps`: parsing timestamp columns;
* :mod:`~retention_kpis._core.backends` and :mod:`~retention_kpis._core.kinds`: the native
  kind of the input and building results of that kind;
* :mod:`~retention_kpis._core.text`: wording shared by messages.
"""
