"""Results of a DuckDB relation live on the relation's own connection (not DuckDB's default).

A user joins a report back to the input relation; DuckDB refuses joins across connections,
so a result built on the default connection could not be combined with the input.
"""

from __future__ import annotations

import pandas as pd
import pytest

from retention_kpis import compute_kpis
from retention_kpis.cohorts import cohort_retention

duckdb = pytest.importorskip("duckdb")

EVENTS = pd.DataFrame(
    {
        "customer_id": ["a", "a", "b", "b"],
        "timestamp": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07", "2024-02-02"]),
        "event_type": ["visit", "purchase", "visit", "purchase"],
        "revenue": [None, 20.0, None, 30.0],
    }
)


@pytest.mark.parametrize(
    "result",
    [
        lambda rel: compute_kpis(rel, period="M").to_frame(),
        lambda rel: cohort_retention(rel).to_frame(),
    ],
    ids=["compute_kpis", "cohort_retention"],
)
def test_result_relation_joins_with_the_input_of_a_private_connection(result):
    con = duckdb.connect()  # not the default connection
    rel = con.from_df(EVENTS)
    out = result(rel)
    # Counting the rows of a cross join needs both relations on one connection.
    n_out = len(out.fetchall())
    joined = out.join(rel.aggregate("count(*) AS n"), condition="1 = 1").fetchall()
    assert len(joined) == n_out
    assert all(row[-1] == 4 for row in joined)  # the input's 4 events, by hand
    con.close()
