"""Read the data files shipped in ``retention_kpis/datasets/data`` (see the README there)."""

from __future__ import annotations

from importlib import resources
from typing import Literal

import pandas as pd


def read_data_csv(
    name: str,
    *,
    dtype: dict[str, str],
    sep: str = ",",
    compression: Literal["gzip"] | None = None,
) -> pd.DataFrame:
    """Return ``pandas.read_csv`` of the shipped file ``data/<name>`` (a new frame each call)."""
    source = resources.files("retention_kpis.datasets").joinpath("data").joinpath(name)
    with source.open("rb") as handle:
        frame: pd.DataFrame = pd.read_csv(handle, sep=sep, dtype=dtype, compression=compression)
    return frame
