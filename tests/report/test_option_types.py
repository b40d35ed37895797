"""compute_kpis rejects option values of the wrong type with its own error (found by fuzz/)."""

from __future__ import annotations

import pandas as pd
import pytest

from retention_kpis import InvalidInputError, compute_kpis

EVENTS = pd.DataFrame({"customer_id": ["a"], "timestamp": ["2024-01-01"], "event_type": ["visit"]})


@pytest.mark.parametrize(("by", "shown"), [(0.0, "0.0"), (3, "3"), ({"a": 1}, "{'a': 1}")])
def test_by_that_is_not_a_name_or_list_raises_invalid_input_not_type_error(by, shown):
    # Regression: a float `by` raised TypeError ('float' object is not iterable).
    message = (
        "The 'by' parameter of compute_kpis must be a column name or a sequence of distinct column names. "
        f"Got {shown} instead."
    )
    with pytest.raises(InvalidInputError) as caught:
        compute_kpis(EVENTS, by=by)
    assert str(caught.value) == message
