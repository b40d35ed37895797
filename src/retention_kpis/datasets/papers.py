"""Small datasets of the CLV papers, shipped with the package: BG/BB donations, sBG cohorts."""

from __future__ import annotations

import pandas as pd

from retention_kpis.datasets._files import read_data_csv

__all__ = ["load_donations", "load_sbg_cohorts"]

_DONATIONS = "donations.csv"
_SBG_COHORTS = "sbg_retention_paper.csv"


def load_donations() -> pd.DataFrame:
    """Load the donations data of the BG/BB model (11,104 donors, 22 patterns), bundled.

    The data of Fader, Hardie & Shang (2010), "Customer-Base Analysis in a
    Discrete-Time Noncontractual Setting", *Marketing Science* 29(6), 1086-1108:
    the 11,104 first-time supporters of a non-profit organisation in 1995,
    observed over the 6 annual repeat-donation opportunities of 1996-2001.
    Donors with the same history are one row, weighted by their number: 22
    (frequency, recency) patterns. It is the file ``donations.csv``
    distributed with the lifetimes package (MIT), copied byte for byte; see
    ``retention_kpis/datasets/data/README.md`` for provenance and licence.
    Cite Fader, Hardie & Shang (2010) when you use it.

    Returns
    -------
    pandas.DataFrame
        A new frame (safe to modify) of 22 rows in file order, all int64:
        ``frequency`` (``x``: the number of years of 1996-2001 with a
        donation), ``recency`` (``t_x``: the opportunity 1..6 of the last
        donation, 0 without one), ``periods`` (``n``: the 6 opportunities) and
        ``weights`` (the number of donors with that history; they sum to 11,104).

    Examples
    --------
    >>> donations = load_donations()
    >>> donations.head(3)
       frequency  recency  periods  weights
    0          0        0        6     3464
    1          1        1        6     1091
    2          1        2        6      277
    >>> int(donations["weights"].sum())
    11104

    The BG/BB fit of Fader, Hardie & Shang (2010) (alpha = 1.204,
    beta = 0.750, gamma = 0.657, delta = 2.783, log-likelihood -33,225.6):

    >>> from retention_kpis.clv import BetaGeoBetaBinomModel
    >>> model = BetaGeoBetaBinomModel().fit(
    ...     donations["frequency"],
    ...     donations["recency"],
    ...     donations["periods"],
    ...     weights=donations["weights"],
    ... )
    >>> [round(value, 3) for value in model.params.model_dump().values()]
    [1.204, 0.75, 0.657, 2.783]
    >>> round(model.log_likelihood, 1)
    -33225.6

    One row per donor, when a tool needs it (the same fit, without weights):

    >>> donors = donations.loc[donations.index.repeat(donations["weights"])]
    >>> len(donors)
    11104
    """
    frame: pd.DataFrame = read_data_csv(
        _DONATIONS,
        dtype={"frequency": "int64", "recency": "int64", "periods": "int64", "weights": "int64"},
    )
    return frame


def load_sbg_cohorts() -> pd.DataFrame:
    """Load the survivor counts of the sBG model's two 1,000-customer cohorts, bundled.

    The data of Fader & Hardie (2007), "How to Project Customer Retention",
    *Journal of Interactive Marketing* 21(1), 76-90: two cohorts of 1,000
    contractual customers ("regular" and "high end") followed over 12 annual
    renewal opportunities. The paper fits the shifted-beta-geometric (sBG)
    model to years 0-7 and projects years 8-12 (the holdout). The counts were
    typed in from the values the paper reports for years 0..12 (the table or
    figure number was not checked against the PDF; years 0-7 equal the
    per-customer file ``sbg_paper.csv`` of pymc-marketing, and the fit
    reproduces the paper's estimates); see
    ``retention_kpis/datasets/data/README.md``. Cite Fader & Hardie (2007)
    when you use it.

    Returns
    -------
    pandas.DataFrame
        A new frame (safe to modify) of 13 rows, all int64: ``year`` (0..12)
        and, per cohort, ``regular`` and ``highend``: the number of customers
        still active at the start of that year (1,000 in year 0).

    Examples
    --------
    >>> cohorts = load_sbg_cohorts()
    >>> cohorts.head(3)
       year  regular  highend
    0     0     1000     1000
    1     1      631      869
    2     2      468      743

    The sBG fit of Fader & Hardie (2007) on years 0-7 of the regular cohort
    (alpha = 0.704, beta = 1.182), and its projection of the holdout years:

    >>> from retention_kpis.clv import ShiftedBetaGeometricModel
    >>> model = ShiftedBetaGeometricModel().fit(cohorts["regular"][:8])
    >>> round(model.params.alpha, 3), round(model.params.beta, 3)
    (0.704, 1.182)
    >>> model.project(12, cohort_size=1000)[8:].round().astype(int).tolist()
    [220, 204, 191, 180, 170]
    >>> cohorts["regular"][8:].tolist()  # observed in the holdout years 8-12
    [223, 207, 194, 183, 173]
    """
    frame: pd.DataFrame = read_data_csv(
        _SBG_COHORTS, dtype={"year": "int64", "regular": "int64", "highend": "int64"}
    )
    return frame
