"""Shared helpers of the attribution tests: event frames from compact row lists."""

from __future__ import annotations

import pandas as pd
import pytest

# The worked example of docs/attribution.md, used across the test files:
#   customer 1: A (Jan 1) > B (Jan 2) > C (Jan 3) > purchase $100 (Jan 4)
#   customer 2: A (Jan 1) > purchase $50 (Jan 2)
#   customer 3: B (Jan 1) > A (Jan 2), no purchase (a non-converting journey)
WORKED_EXAMPLE = [
    (1, "2024-01-01", "visit", "A", None),
    (1, "2024-01-02", "visit", "B", None),
    (1, "2024-01-03", "visit", "C", None),
    (1, "2024-01-04", "purchase", None, 100.0),
    (2, "2024-01-01", "visit", "A", None),
    (2, "2024-01-02", "purchase", None, 50.0),
    (3, "2024-01-01", "visit", "B", None),
    (3, "2024-01-02", "visit", "A", None),
]


def frame(rows, **extra):
    """Events frame from (customer, timestamp, event_type, channel, revenue) tuples."""
    data = {
        "customer_id": [r[0] for r in rows],
        "timestamp": pd.to_datetime([r[1] for r in rows], format="ISO8601"),
        "event_type": [r[2] for r in rows],
        "channel": pd.Series([r[3] for r in rows], dtype="object"),
        "revenue": pd.Series([r[4] for r in rows], dtype="float64"),
    }
    data.update(extra)
    return pd.DataFrame(data)


@pytest.fixture
def worked_example():
    return frame(WORKED_EXAMPLE)


@pytest.fixture
def events_from():
    return frame
