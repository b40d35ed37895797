"""Custom measures over an optional column the events lack (found by fuzz/: KeyError '__rk_revenue').

validate_events accepts events without ``revenue`` when they hold no purchase;
a spec summing revenue over purchases then has nothing to aggregate (null
values, as for a month without purchases), while one summing it over rows that
do exist must name the missing column.
"""

from __future__ import annotations

import pandas as pd
import pytest

from retention_kpis import ColumnNotFoundError
from retention_kpis.spec import compute_spec, load_spec

VISITS = pd.DataFrame(
    {
        "customer_id": ["a", "b"],
        "timestamp": ["2024-01-01", "2024-01-02"],
        "event_type": ["visit", "visit"],
    }
)


def spec_of(measure):
    metrics = [
        {"name": "visitors", "type": "builtin", "kpi": "visitors"},
        {"name": "x", "type": "simple", "measure": measure},
    ]
    return load_spec({"version": 1, "metrics": metrics})


def test_sum_of_revenue_over_absent_purchases_is_null_not_a_key_error():
    report = compute_spec(spec_of({"sum": "revenue", "event": "purchase"}), VISITS)
    # Jan 2024 holds the two visits and no purchase: no value, like any month without one.
    assert report.to_dict() == {
        "period": [pd.Timestamp("2024-01-01").date()],
        "visitors": [2.0],
        "x": [None],
    }


def test_empty_events_without_optional_columns_give_an_empty_report():
    report = compute_spec(spec_of({"sum": "revenue", "event": "purchase"}), VISITS.iloc[:0])
    assert report.to_dict() == {"period": [], "visitors": [], "x": []}


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        (
            {"sum": "revenue", "event": "visit"},
            "Missing column 'revenue' in events, needed to sum 'revenue' over 2 matching rows.",
        ),
        (
            {"count_distinct": "order_id"},
            (
                "Missing column 'order_id' in events, needed to count_distinct 'order_id' over "
                "2 matching rows."
            ),
        ),
    ],
)
def test_measure_over_an_absent_column_with_matching_rows_names_the_column(measure, message):
    with pytest.raises(ColumnNotFoundError) as caught:
        compute_spec(spec_of(measure), VISITS)
    assert str(caught.value) == (
        f"{message}\nHint: map the column with EventSchema (the spec's `events:` section)."
    )
