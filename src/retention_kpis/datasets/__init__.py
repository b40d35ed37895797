"""Datasets: a synthetic event stream and the bundled CDNOW transactions.

:func:`make_events` simulates every event type :func:`retention_kpis.compute_kpis`
reads; :func:`load_cdnow` returns the CDNOW master transactions (Fader, Hardie
& Lee 2005) shipped with the package.
"""

from __future__ import annotations

from retention_kpis.datasets.cdnow import load_cdnow
from retention_kpis.datasets.synthetic import make_events

__all__ = ["load_cdnow", "make_events"]
