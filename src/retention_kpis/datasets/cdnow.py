"""The CDNOW master transactions, shipped with the package."""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = ["load_cdnow"]

_RESOURCE = "CDNOW_master.txt.gz"


def load_cdnow() -> pd.DataFrame:
    """Load the CDNOW master transaction log (1997-1998), bundled with the package.

    The 23,570 customers who made their first purchase at the online music
    retailer CDNOW in the first quarter of 1997, with every purchase up to the
    end of June 1998: 69,659 transactions (a customer may have several on one
    day). It is the
    data of Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way:
    An Alternative to the Pareto/NBD Model", *Marketing Science* 24(2),
    275-284, and of "RFM and CLV: Using Iso-Value Curves for Customer Base
    Analysis", *Journal of Marketing Research* 42(4), 415-430. The file is the
    ``CDNOW_master.txt`` distributed with the lifetimes package (MIT), gzipped;
    see ``retention_kpis/datasets/data/README.md`` for provenance and licence.

    Returns
    -------
    pandas.DataFrame
        A new frame (safe to modify) in file order, with columns
        ``customer_id`` (int64: the file's zero-padded id ``00001`` read as
        ``1``), ``date`` (datetime64[ns], the purchase day), ``number_of_cds``
        (int64) and ``dollar_value`` (float64, US dollars; a few rows are 0).

    Examples
    --------
    >>> cdnow = load_cdnow()
    >>> cdnow.shape
    (69659, 4)
    >>> cdnow["customer_id"].nunique()
    23570
    >>> cdnow.head(3)
       customer_id       date  number_of_cds  dollar_value
    0            1 1997-01-01              1         11.77
    1            2 1997-01-12              1         12.00
    2            2 1997-01-12              5         77.00
    """
    source = resources.files("retention_kpis.datasets").joinpath("data").joinpath(_RESOURCE)
    with source.open("rb") as handle:
        raw = pd.read_csv(
            handle,
            compression="gzip",
            sep=r"\s+",
            dtype={"customer_id": "int64", "date": "str", "number_of_cds": "int64"},
        )
    frame: pd.DataFrame = pd.DataFrame(
        {
            "customer_id": raw["customer_id"],
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[ns]"),
            "number_of_cds": raw["number_of_cds"],
            "dollar_value": raw["dollar_value"].astype("float64"),
        }
    )
    return frame
