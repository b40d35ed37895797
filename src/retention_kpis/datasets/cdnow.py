"""The CDNOW master transactions and the summary of its 1/10 sample, shipped with the package."""

from __future__ import annotations

import pandas as pd

from retention_kpis.datasets._files import read_data_csv

__all__ = ["load_cdnow", "load_cdnow_summary"]

_RESOURCE = "CDNOW_master.txt.gz"
_SUMMARY = "cdnow_customers_summary_with_transactions.csv"


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
    raw = read_data_csv(
        _RESOURCE,
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


def load_cdnow_summary() -> pd.DataFrame:
    """Load the RFM summary of the CDNOW 1/10 sample (2,357 customers, 39 weeks), bundled.

    The data of the BG/NBD and Pareto/NBD estimates in Fader, Hardie & Lee
    (2005), "Counting Your Customers the Easy Way: An Alternative to the
    Pareto/NBD Model", *Marketing Science* 24(2), 275-284, and of the
    Gamma-Gamma spend model in Fader, Hardie & Lee (2005), "RFM and CLV: Using
    Iso-Value Curves for Customer Base Analysis", *Journal of Marketing
    Research* 42(4), 415-430 (estimates in Fader & Hardie 2013, "The
    Gamma-Gamma Model of Monetary Value"). One row per customer of the 1/10
    sample of the CDNOW cohort (see :func:`load_cdnow`), summarised over the
    39-week calibration period from 1 January to 30 September 1997. It is the
    file ``cdnow_customers_summary_with_transactions.csv`` distributed with the
    lifetimes package (MIT), copied byte for byte, with lifetimes' column names;
    see ``retention_kpis/datasets/data/README.md`` for provenance and licence.
    Cite Fader, Hardie & Lee (2005) when you use it.

    Returns
    -------
    pandas.DataFrame
        A new frame (safe to modify) of 2,357 rows in file order, with columns
        ``customer_id`` (int64, the sample's id 1..2357), ``frequency`` (int64,
        ``x``: the number of repeat purchase days), ``recency`` (float64,
        ``t_x``: weeks from the first to the last purchase, 0 without repeat
        purchases), ``T`` (float64: weeks from the first purchase to 30
        September 1997) and ``monetary_value`` (float64, ``zbar``: the mean
        spend in US dollars of the repeat purchase days, 0 without repeat
        purchases). Weeks are written to 2 decimals and dollars to cents, as in
        the source file.

    Examples
    --------
    >>> summary = load_cdnow_summary()
    >>> summary.head(3)
       customer_id  frequency  recency      T  monetary_value
    0            1          2    30.43  38.86           22.35
    1            2          1     1.71  38.86           11.77
    2            3          0     0.00  38.86            0.00
    >>> int((summary["frequency"] > 0).sum())  # the 946 repeat buyers of Gamma-Gamma
    946

    The BG/NBD fit of Fader, Hardie & Lee (2005), section 4 (r = 0.243,
    alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9,582.4):

    >>> from retention_kpis.clv import BetaGeoModel
    >>> model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
    >>> [round(value, 3) for value in model.params.model_dump().values()]
    [0.243, 4.414, 0.793, 2.426]
    >>> round(model.log_likelihood, 1)
    -9582.4
    """
    raw = read_data_csv(
        _SUMMARY, dtype={"ID": "int64", "x": "int64", "t_x": "float64", "T": "float64"}
    )
    frame: pd.DataFrame = pd.DataFrame(
        {
            "customer_id": raw["ID"],
            "frequency": raw["x"],
            "recency": raw["t_x"],
            "T": raw["T"],
            "monetary_value": raw["zbar"].astype("float64"),
        }
    )
    return frame
