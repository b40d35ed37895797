"""Policy pinned (docs/events.md, docs/errors.md B8): ISO 8601 strings keep whole seconds.

Datetime columns keep their precision (funnels order in microseconds); a timestamp given
as text such as ``2024-01-05 10:00:00.75`` is read as ``10:00:00`` on every backend.
"""

from __future__ import annotations

import datetime as dt

import narwhals.stable.v2 as nw
import pandas as pd

from retention_kpis._core.columns import TIMESTAMP
from retention_kpis.events import validate_events


def test_iso_strings_drop_fractions_of_a_second_on_every_backend(constructor):
    events = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "timestamp": [
                "2024-01-05 10:00:00.75",
                "2024-01-05T10:00:00.25",
                "2024-01-05 10:00:01",
            ],
            "event_type": ["visit", "visit", "visit"],
        }
    )
    frame = validate_events(constructor(events)).frame.select(TIMESTAMP).collect()
    values = sorted(nw.to_py_scalar(value) for value in frame[TIMESTAMP])
    naive = dt.datetime(2024, 1, 5, 10, 0, 0)  # noqa: DTZ001 - canonical timestamps are naive
    expected = [naive, naive, naive + dt.timedelta(seconds=1)]
    assert [value.replace(tzinfo=None) for value in values] == expected
