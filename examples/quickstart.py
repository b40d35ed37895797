"""Quickstart: KPIs per month and per channel from a synthetic event stream.

``make_events`` simulates visits, signups, purchases, ad spend, NPS and CSAT
surveys, referrals and churn for a few thousand customers; ``compute_kpis``
turns them into one row of KPIs per period and segment, on pandas here and the
same way on polars (eager or lazy) or DuckDB. Run with
``python examples/quickstart.py``.
"""

from __future__ import annotations

import retention_kpis as rk
from retention_kpis.datasets import make_events


def main() -> None:
    events = make_events(2_000, start="2024-01-01", end="2024-12-31", seed=7)
    print(f"{len(events):,} events; types: {sorted(events['event_type'].unique())}\n")

    monthly = rk.compute_kpis(events, period="M")
    frame = monthly.to_frame()
    print("Monthly KPIs (first 6 months):")
    print(
        frame.head(6)[
            [
                "period",
                "visitors",
                "conversion_rate",
                "orders",
                "revenue",
                "roas",
                "retention_rate",
                "clv",
            ]
        ]
        .round(3)
        .to_string(index=False)
    )

    by_channel = rk.compute_kpis(events, period="Q", by="channel")
    print("\nQuarterly ROAS and CAC per channel:")
    print(
        by_channel.to_frame()[["period", "channel", "spend", "roas", "cac"]]
        .round(2)
        .to_string(index=False)
    )

    print("\nWhy some KPIs are null:")
    for note in by_channel.notes:
        print(f"  - {note}")

    # Renamed columns and event names map through EventSchema; nothing is renamed in the frame.
    renamed = events.rename(columns={"customer_id": "user"})
    schema = rk.EventSchema(customer_id="user")
    assert rk.compute_kpis(renamed, schema=schema).to_dict() == monthly.to_dict()

    # Reports serialise to JSON (undefined KPIs are null) and read back.
    text = monthly.model_dump_json()
    assert rk.KPIReport.model_validate_json(text).to_dict() == monthly.to_dict()
    print(f"\nJSON report: {len(text):,} characters")


if __name__ == "__main__":
    main()
