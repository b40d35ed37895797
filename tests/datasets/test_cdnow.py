"""Tests of retention_kpis.datasets.cdnow against the raw CDNOW file shipped in the package."""

from __future__ import annotations

import gzip
import hashlib
import math
from importlib import resources

import pandas as pd
import pytest

from retention_kpis.datasets import load_cdnow

# lifetimes/datasets/CDNOW_master.txt (datasets/data/README.md): 1,950,500 bytes, this md5.
CDNOW_MASTER_MD5 = "37ee2da5127d4a369d6fe0052678624d"


@pytest.fixture(scope="module")
def raw_rows():
    """The shipped CDNOW_master.txt.gz parsed with gzip and str.split (independent of the loader).

    Its md5 is that of lifetimes' CDNOW_master.txt, so the rows are the published file's.
    """
    packed = resources.files("retention_kpis.datasets").joinpath("data", "CDNOW_master.txt.gz")
    data = gzip.decompress(packed.read_bytes())
    assert len(data) == 1_950_500
    assert hashlib.md5(data, usedforsecurity=False).hexdigest() == CDNOW_MASTER_MD5
    lines = data.decode("ascii").splitlines()
    assert lines[0].split() == ["customer_id", "date", "number_of_cds", "dollar_value"]
    return [line.split() for line in lines[1:] if line.strip()]


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow()


def test_load_cdnow_has_the_69659_transactions_of_the_23570_customers(cdnow, raw_rows):
    # Counts stated in SOURCES.md and Fader, Hardie & Lee (2005): 23,570 customers.
    assert len(cdnow) == len(raw_rows) == 69_659
    assert cdnow["customer_id"].nunique() == len({row[0] for row in raw_rows}) == 23_570


def test_load_cdnow_total_dollar_value_matches_raw_file(cdnow, raw_rows):
    expected = math.fsum(float(row[3]) for row in raw_rows)
    assert math.fsum(cdnow["dollar_value"]) == pytest.approx(expected, rel=1e-12)


def test_load_cdnow_total_cds_matches_raw_file(cdnow, raw_rows):
    assert int(cdnow["number_of_cds"].sum()) == sum(int(row[2]) for row in raw_rows)


def test_load_cdnow_rows_match_raw_file_in_order(cdnow, raw_rows):
    assert cdnow["customer_id"].tolist() == [int(row[0]) for row in raw_rows]
    assert cdnow["date"].dt.strftime("%Y%m%d").tolist() == [row[1] for row in raw_rows]


def test_load_cdnow_columns_and_dtypes(cdnow):
    assert list(cdnow.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert [str(t) for t in cdnow.dtypes] == ["int64", "datetime64[ns]", "int64", "float64"]


def test_load_cdnow_covers_q1_1997_cohort_to_june_1998(cdnow):
    # Cohort of first purchases in Q1 1997, observed to the end of June 1998 (SOURCES.md).
    assert cdnow["date"].min() == pd.Timestamp("1997-01-01")
    assert cdnow["date"].max() == pd.Timestamp("1998-06-30")
    first = cdnow.groupby("customer_id")["date"].min()
    assert first.max() < pd.Timestamp("1997-04-01")


def test_load_cdnow_returns_a_fresh_frame_each_call():
    first = load_cdnow()
    first.loc[0, "dollar_value"] = -1.0
    assert load_cdnow().loc[0, "dollar_value"] == 11.77
