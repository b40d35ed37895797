"""``schema=`` given as a mapping (as written in a spec file) instead of an EventSchema."""

from __future__ import annotations

import pandas as pd
import pytest

from retention_kpis import EventSchema, EventTypes, compute_kpis
from retention_kpis.exceptions import InvalidInputError


def _foreign() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2"],
            "ts": ["2024-01-02", "2024-01-03", "2024-01-04"],
            "event": ["session_start", "order_completed", "session_start"],
            "amount": [None, 12.5, None],
        }
    )


MAPPING = {
    "customer_id": "user_id",
    "timestamp": "ts",
    "event_type": "event",
    "revenue": "amount",
    "event_types": {"visit": "session_start", "purchase": "order_completed"},
}


def test_a_mapping_gives_the_report_of_the_equal_event_schema():
    schema = EventSchema(
        customer_id="user_id",
        timestamp="ts",
        event_type="event",
        revenue="amount",
        event_types=EventTypes(visit="session_start", purchase="order_completed"),
    )
    by_mapping = compute_kpis(_foreign(), schema=MAPPING)
    assert by_mapping.rows == compute_kpis(_foreign(), schema=schema).rows
    (row,) = by_mapping.rows
    # Hand count: 2 visitors, u1 bought once for 12.5.
    assert (row.visitors, row.orders, row.revenue, row.conversion_rate) == (2, 1, 12.5, 0.5)


def test_a_mapping_with_an_unknown_field_names_it():
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(_foreign(), schema={**MAPPING, "user": "user_id"})
    message = str(excinfo.value)
    assert message.startswith(
        "The 'schema' parameter of compute_kpis must be an EventSchema or a mapping of its "
        "fields. Got a mapping with problems: user: "
    )


@pytest.mark.parametrize("schema", ["user_id", 3, ["customer_id"]])
def test_other_schema_values_get_the_library_error(schema):
    with pytest.raises(InvalidInputError) as excinfo:
        compute_kpis(_foreign(), schema=schema)
    assert str(excinfo.value) == (
        "The 'schema' parameter of compute_kpis must be an EventSchema or a mapping of its "
        f"fields. Got {type(schema).__name__} instead."
    )
