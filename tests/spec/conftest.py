"""Shared fixtures of the spec tests: a valid base spec and a small hand-checkable event frame."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

BASE_SPEC = {
    "version": 1,
    "period": "M",
    "segments": ["channel"],
    "metrics": [
        {"name": "conversion", "type": "builtin", "kpi": "conversion_rate"},
        {"name": "revenue", "type": "builtin", "kpi": "revenue"},
        {"name": "visitors", "type": "builtin", "kpi": "visitors"},
        {"name": "retention", "type": "builtin", "kpi": "retention_rate", "window": "M"},
        {"name": "rpv", "type": "derived", "expr": "revenue / visitors"},
        {
            "name": "email_share",
            "type": "ratio",
            "numerator": {"count": "visit", "filter": {"campaign": "spring"}},
            "denominator": {"count": "visit"},
        },
    ],
    "expectations": [
        {"metric": "conversion", "min": 0.1, "max": 0.9},
        {"metric": "revenue", "segment": {"channel": "email"}, "period": "2024-01-01", "min": 0},
    ],
}


@pytest.fixture
def base_spec():
    """A deep copy of a valid spec, to break one thing at a time."""
    return copy.deepcopy(BASE_SPEC)


@pytest.fixture
def tiny_events():
    """Two months, two channels; every KPI below is counted by hand in the tests."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "a", "a", "d", "d"],
            "timestamp": [
                "2024-01-03",
                "2024-01-04",
                "2024-01-05",
                "2024-01-06",
                "2024-01-06",
                "2024-02-02",
                "2024-02-03",
                "2024-02-04",
                "2024-02-05",
            ],
            "event_type": [
                "visit",
                "purchase",
                "visit",
                "visit",
                "csat_response",
                "visit",
                "purchase",
                "visit",
                "csat_response",
            ],
            "revenue": [None, 40.0, None, None, None, None, 60.0, None, None],
            "score": [None, None, None, None, 5.0, None, None, None, 2.0],
            "channel": [
                "email",
                "email",
                "email",
                "organic",
                "organic",
                "email",
                "email",
                "organic",
                "organic",
            ],
            "campaign": ["spring", "spring", None, None, None, "spring", "spring", None, None],
            "session": ["s1", "s1", "s2", "s3", "s3", "s4", "s4", "s5", "s5"],
        }
    )
