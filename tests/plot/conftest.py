"""Plot tests draw with matplotlib's Agg backend: no window, no display needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import pytest

mpl.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close every figure a test opened, so figures do not pile up."""
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def cdnow_sample() -> pd.DataFrame:
    """The CDNOW 1/10 sample of Fader, Hardie & Lee (2005): 6,919 purchases of 2,357 customers.

    ``tests/data/CDNOW_sample.txt.gz`` (provenance in tests/data/README.md): no header;
    master id, sample id 1..2357, date YYYYMMDD, CDs, dollars.
    """
    raw = pd.read_csv(
        Path(__file__).resolve().parents[1] / "data" / "CDNOW_sample.txt.gz",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "dollars"],
        dtype={"date": str},
    )
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
    return raw
