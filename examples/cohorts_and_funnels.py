"""Cohort retention, net revenue retention, a funnel and cart KPIs on synthetic events.

Run: python examples/cohorts_and_funnels.py
"""

from __future__ import annotations

import pandas as pd

from retention_kpis.cohorts import cohort_retention, revenue_retention
from retention_kpis.datasets import make_events
from retention_kpis.funnels import cart_kpis, funnel

events = make_events(2_000, seed=7)
end = events["timestamp"].max().normalize() - pd.Timedelta(seconds=1)  # last complete day

# Monthly N-month retention of buyers: who bought again in month k after their first order.
table = cohort_retention(events, period="M", mode="on", observation_end=end)
print(table.to_frame("shares").set_index("cohort").round(3).iloc[:6, :8].to_string())
print("retention curve:", [None if v is None else round(v, 3) for v in table.average[:7]])

# Unbounded ("on or after") and bracket retention, on 30-day periods from each first order.
after = cohort_retention(events, mode="on_or_after", window="rolling", observation_end=end)
brackets = cohort_retention(
    events, mode="bracket", brackets=[(1, 1), (2, 3), (4, 6)], observation_end=end
)
print("on or after:", [None if v is None else round(v, 3) for v in after.average[:7]])
print("brackets", brackets.columns, [None if v is None else round(v, 3) for v in brackets.average])

# Net revenue retention: revenue of each cohort in month k over its first-month revenue.
nrr = revenue_retention(events, observation_end=end)
print("NRR:", [None if v is None else round(v, 3) for v in nrr.average[:7]])

# A visit -> signup -> purchase funnel over 30 days, per acquisition channel.
result = funnel(
    events, ["visit", "signup", "purchase"], within="30D", by="channel", zero_division=0.0
)
columns = ["channel", "event_type", "entrants", "conversion_from_first", "drop_off_share"]
print(result.to_frame()[columns].round(3).to_string(index=False))

# Cart KPIs from cart, checkout and purchase events (a tiny hand-made stream).
carts = pd.DataFrame(
    {
        "customer_id": ["a", "a", "a", "b", "b", "c"],
        "timestamp": pd.to_datetime(
            [
                "2024-01-01 10:00",
                "2024-01-01 10:05",
                "2024-01-01 10:09",
                "2024-01-02 09:00",
                "2024-01-02 09:03",
                "2024-01-03 08:00",
            ]
        ),
        "event_type": ["cart_add", "checkout", "purchase", "cart_add", "checkout", "cart_add"],
        "revenue": [None, None, 42.0, None, None, None],
    }
)
print(cart_kpis(carts, within="1D").to_frame().to_string(index=False))
