"""Funnels and cart KPIs collect only aggregated tables on lazy engines (collect spy).

The matching runs in the backend as grouped queries and joins; what comes back through
narwhals' ``collect`` is the validation screen (one row per event type, one for the
order-id check) and one table of per-segment step counts and medians. The bounds below
come from the input itself, counted with pandas.
"""

from __future__ import annotations

import pytest

from retention_kpis.datasets import make_events
from retention_kpis.funnels import cart_kpis, funnel

STEPS = ["visit", "signup", "cart_add", "checkout", "purchase"]


@pytest.fixture(scope="module")
def events():
    # ~4,000 events of 40 customers over two years (13 event types, 6 channels).
    return make_events(40, seed=11)


def funnel_tables(collected):
    """The collected tables holding step counts (the others are the validation screen)."""
    return [(rows, columns) for rows, columns in collected if "__rk_count_0" in columns]


@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb", "pyspark"], indirect=True)
@pytest.mark.parametrize(
    ("options", "tables"),
    [
        ({"by": "channel"}, 1),
        ({"by": ["channel", "campaign"], "ordered": False}, 1),
        ({"unit": "session", "within": "1D"}, 1),
    ],
)
def test_funnel_collects_one_row_per_segment(constructor, events, spy_collects, options, tables):
    native = constructor(events)
    collected = spy_collects()
    result = funnel(native, STEPS, zero_division=0.0, **options)
    by = options.get("by", [])
    by = [by] if isinstance(by, str) else by
    segments = len(events[by].drop_duplicates()) if by else 1  # 6 channels; 6 x 7 pairs at most
    types = events["event_type"].nunique()  # 13: the validation screen's rows
    found = funnel_tables(collected)
    assert len(found) == tables
    rows, columns = found[0]
    assert rows == len(result.rows) // len(STEPS) <= segments
    assert len(columns) == len(by) + 1 + 2 * (len(STEPS) - 1)  # counts and medians per step
    assert max(rows for rows, _ in collected) <= max(segments, types)
    assert sum(rows for rows, _ in collected) < 100 < len(events)  # 4,073 events


@pytest.mark.parametrize("constructor", ["polars_lazy", "duckdb"], indirect=True)
def test_cart_kpis_collect_two_small_tables(constructor, events, spy_collects):
    native = constructor(events)
    collected = spy_collects()
    cart_kpis(native, by="channel", zero_division=0.0)
    found = funnel_tables(collected)
    # The two ordered funnels [cart, purchase] and [checkout, purchase]: one table each.
    assert len(found) == 2
    assert max(rows for rows, _ in found) <= events["channel"].nunique()
