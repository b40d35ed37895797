"""Plot tests draw with matplotlib's Agg backend: no window, no display needed."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest

mpl.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close every figure a test opened, so figures do not pile up."""
    yield
    plt.close("all")
