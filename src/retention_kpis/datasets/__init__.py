"""Datasets: a synthetic event stream and the reference data of the CLV papers, bundled.

:func:`make_events` simulates every event type :func:`retention_kpis.compute_kpis`
reads. The loaders return the published data the predictive CLV models are checked
against, shipped inside the package (no download): :func:`load_cdnow` the CDNOW
master transactions and :func:`load_cdnow_summary` the RFM summary of its 1/10
sample (Fader, Hardie & Lee 2005), :func:`load_donations` the BG/BB donations
(Fader, Hardie & Shang 2010) and :func:`load_sbg_cohorts` the sBG survivor counts
(Fader & Hardie 2007). Provenance and licences: ``retention_kpis/datasets/data/README.md``.
"""

from __future__ import annotations

from retention_kpis.datasets.cdnow import load_cdnow, load_cdnow_summary
from retention_kpis.datasets.papers import load_donations, load_sbg_cohorts
from retention_kpis.datasets.synthetic import make_events

__all__ = ["load_cdnow", "load_cdnow_summary", "load_donations", "load_sbg_cohorts", "make_events"]
