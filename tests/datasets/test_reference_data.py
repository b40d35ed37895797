"""The reference data of the CLV papers: the package loaders and the test-only files.

Every file is checked byte for byte (size and md5) against the published copy named in
``src/retention_kpis/datasets/data/README.md`` and ``tests/data/README.md``; the loaders are
checked against the raw text parsed with the ``csv`` module (independent of pandas), and
against the counts the papers state.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from importlib import resources

import pandas as pd
import pytest

import retention_kpis.datasets
from retention_kpis.datasets import (
    load_cdnow,
    load_cdnow_summary,
    load_donations,
    load_sbg_cohorts,
)

# (size in bytes, md5) of the published files, from the two README.md files above.
PACKAGE_FILES = {
    # lifetimes/datasets/cdnow_customers_summary_with_transactions.csv
    "cdnow_customers_summary_with_transactions.csv": (57_085, "6e7ae02a35c0f2914b03ea87179ac09c"),
    # lifetimes/datasets/donations.csv
    "donations.csv": (256, "e8d78096591dd10765dcb109a872bb59"),
    # survivor counts of Fader & Hardie (2007)
    "sbg_retention_paper.csv": (156, "5607f1dc55c3293d2ed7cb2424a7fd54"),
}
TEST_FILES = {  # gzipped in tests/data; size and md5 before compression
    # lifetimes/datasets/CDNOW_sample.txt
    "CDNOW_sample.txt.gz": (228_327, "bc36b42c242f7c5653b36ad90a2807bd"),
    # lifetimes/datasets/example_transactions.csv
    "example_transactions.csv.gz": (378_603, "e97428d173105f6e72cc54756feeae92"),
}
GENERATED_FILES = {  # reference numbers written by a script of the repository, not published data
    "pymc_covariates_cdnow.json": "tools/pymc_covariates.py cdnow",
}
# pymc-marketing data/bgbb_donations.csv and data/sbg_paper.csv
BGBB_DONATIONS = (122_170, "f8ef2c224f93f6fd92f88d3259b7987a")
SBG_PAPER = (32_923, "2d13883575d738f90a8179f331bd4c2a")


def _fingerprint(data: bytes) -> tuple[int, str]:
    return len(data), hashlib.md5(data, usedforsecurity=False).hexdigest()


def _package_bytes(name: str) -> bytes:
    return resources.files("retention_kpis.datasets").joinpath("data", name).read_bytes()


def _csv_rows(name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_package_bytes(name).decode("ascii"))))


# ----------------------------------------------------------------------------- the files


@pytest.mark.parametrize(("name", "expected"), PACKAGE_FILES.items())
def test_package_file_is_the_published_file(name, expected):
    assert _fingerprint(_package_bytes(name)) == expected


@pytest.mark.parametrize(("name", "expected"), TEST_FILES.items())
def test_test_data_file_is_the_published_file(data_dir, name, expected):
    assert _fingerprint(gzip.decompress((data_dir / name).read_bytes())) == expected


def test_every_file_in_tests_data_is_documented(data_dir):
    # a file added without provenance fails here
    documented = {*TEST_FILES, *GENERATED_FILES, "README.md"}
    assert {path.name for path in data_dir.iterdir()} == documented
    readme = (data_dir / "README.md").read_text(encoding="utf-8")
    assert all(
        f"`{name}`" in readme and script in readme for name, script in GENERATED_FILES.items()
    )


def test_every_data_file_in_the_package_is_documented_and_read():
    folder = resources.files("retention_kpis.datasets").joinpath("data")
    readme = folder.joinpath("README.md").read_text(encoding="utf-8")
    names = {entry.name for entry in folder.iterdir()} - {"README.md"}
    assert names == {*PACKAGE_FILES, "CDNOW_master.txt.gz"}
    assert all(f"## `{name}`" in readme for name in names)


def test_loaders_are_public():
    assert set(retention_kpis.datasets.__all__) >= {
        "load_cdnow",
        "load_cdnow_summary",
        "load_donations",
        "load_sbg_cohorts",
    }
    assert retention_kpis.datasets.__all__ == sorted(retention_kpis.datasets.__all__)


# ----------------------------------------------------------------------------- CDNOW summary


def test_load_cdnow_summary_equals_the_raw_file():
    header, *rows = _csv_rows("cdnow_customers_summary_with_transactions.csv")
    assert header == ["ID", "x", "t_x", "T", "zbar"]
    summary = load_cdnow_summary()
    assert list(summary.columns) == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    assert [str(t) for t in summary.dtypes] == ["int64", "int64", "float64", "float64", "float64"]
    assert summary["customer_id"].tolist() == [int(row[0]) for row in rows]
    assert summary["frequency"].tolist() == [int(row[1]) for row in rows]
    for column, index in (("recency", 2), ("T", 3), ("monetary_value", 4)):
        assert summary[column].tolist() == [float(row[index]) for row in rows]


def test_load_cdnow_summary_counts_match_the_papers():
    summary = load_cdnow_summary()
    # Fader, Hardie & Lee (2005): the 1/10 sample is 2,357 customers; Fader & Hardie (2013):
    # 946 of them made a repeat purchase in the 39 weeks.
    assert len(summary) == 2357
    assert summary["customer_id"].tolist() == list(range(1, 2358))
    assert int((summary["frequency"] > 0).sum()) == 946
    # the cohort first bought in weeks 0-12 of 1997, so T runs from 39 - 12 to 39 weeks (2 dp)
    assert summary["T"].between(26.0, 38.86).all()
    assert (summary["recency"] <= summary["T"]).all()
    no_repeat = summary["frequency"] == 0
    assert (summary.loc[no_repeat, ["recency", "monetary_value"]] == 0).all().all()


def test_cdnow_sample_rows_are_rows_of_the_master_log(cdnow_sample):
    # tests/data/README.md: every row of the 1/10 sample is a row of CDNOW_master.txt
    master = load_cdnow().rename(
        columns={"customer_id": "master_id", "number_of_cds": "cds", "dollar_value": "value"}
    )
    keys = ["master_id", "date", "cds", "value"]
    assert len(cdnow_sample) == 6919
    assert cdnow_sample["id"].nunique() == 2357
    counts = cdnow_sample.groupby(keys).size().rename("sample")
    in_master = master.groupby(keys).size().rename("master")
    joined = pd.concat([counts, in_master], axis=1, join="inner")
    assert len(joined) == len(counts)
    assert (joined["sample"] <= joined["master"]).all()
    # one master customer per sample customer
    assert cdnow_sample.drop_duplicates(["id", "master_id"])["id"].is_unique


# ----------------------------------------------------------------------------- donations


def test_load_donations_equals_the_raw_file():
    header, *rows = _csv_rows("donations.csv")
    donations = load_donations()
    assert list(donations.columns) == header == ["frequency", "recency", "periods", "weights"]
    assert [str(t) for t in donations.dtypes] == ["int64"] * 4
    assert donations.to_numpy().tolist() == [[int(value) for value in row] for row in rows]


def test_load_donations_counts_match_fader_hardie_shang_2010():
    donations = load_donations()
    # 11,104 donors of the 1995 cohort, 6 opportunities, 22 distinct (x, t_x) patterns: all
    # x <= t_x <= 6 with x = 0 only at t_x = 0 (1 + 21 patterns).
    assert int(donations["weights"].sum()) == 11_104
    assert (donations["periods"] == 6).all()
    patterns = {(x, t) for t in range(7) for x in range(1, t + 1)} | {(0, 0)}
    assert set(zip(donations["frequency"], donations["recency"], strict=True)) == patterns


def test_donors_fixture_is_pymc_marketing_bgbb_donations(donors):
    text = donors.to_csv(index=False, lineterminator="\n").encode("ascii")
    assert _fingerprint(text) == BGBB_DONATIONS


# ----------------------------------------------------------------------------- sBG cohorts


def test_load_sbg_cohorts_equals_the_raw_file():
    header, *rows = _csv_rows("sbg_retention_paper.csv")
    cohorts = load_sbg_cohorts()
    assert list(cohorts.columns) == header == ["year", "regular", "highend"]
    assert [str(t) for t in cohorts.dtypes] == ["int64"] * 3
    assert cohorts.to_numpy().tolist() == [[int(value) for value in row] for row in rows]


def test_load_sbg_cohorts_matches_fader_hardie_2007_counts():
    cohorts = load_sbg_cohorts()
    # Fader & Hardie (2007): two cohorts of 1,000, years 0..12; survivors never increase.
    assert cohorts["year"].tolist() == list(range(13))
    for cohort in ("regular", "highend"):
        assert cohorts[cohort].iloc[0] == 1000
        assert cohorts[cohort].is_monotonic_decreasing
    # years 0-7 as the cross-check with pymc-marketing's sbg_paper.csv (data/README.md)
    assert cohorts["regular"][:8].tolist() == [1000, 631, 468, 382, 326, 289, 262, 241]
    assert cohorts["highend"][:8].tolist() == [1000, 869, 743, 653, 593, 551, 517, 491]


def test_sbg_customers_fixture_is_pymc_marketing_sbg_paper(sbg_customers):
    text = sbg_customers.to_csv(index=False, lineterminator="\n").encode("ascii")
    assert _fingerprint(text) == SBG_PAPER


# ----------------------------------------------------------------------------- fresh frames


@pytest.mark.parametrize("loader", [load_cdnow_summary, load_donations, load_sbg_cohorts])
def test_loaders_return_a_fresh_frame_each_call(loader):
    first = loader()
    expected = first.iloc[0, 1]
    first.iloc[0, 1] = -1
    assert loader().iloc[0, 1] == expected
