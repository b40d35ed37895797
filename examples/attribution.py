"""Multi-touch attribution on a synthetic events frame: every model side by side.

``make_events`` gives every customer one acquisition channel; to get multi-channel
journeys, 40 % of the visits here are re-assigned a random channel (seeded). Run
with ``python examples/attribution.py``. The channel credit of each model sums to
the same conversions and revenue; the Markov model also reports each channel's
removal effect.
"""

from __future__ import annotations

import numpy as np

from retention_kpis.attribution import MODELS, attribute
from retention_kpis.datasets import make_events


def main() -> None:
    events = make_events(2_000, seed=7)
    rng = np.random.default_rng(7)
    visits = (events["event_type"] == "visit").to_numpy()
    moved = visits & (rng.random(len(events)) < 0.4)
    channels = np.array(sorted(events.loc[visits, "channel"].unique()), dtype=object)
    events.loc[moved, "channel"] = rng.choice(channels, int(moved.sum()))
    table: dict[str, dict[str, float]] = {}
    for model in MODELS:
        result = attribute(events, model=model, lookback="30D")
        table[model] = {credit.channel: credit.revenue for credit in result.credits}
    channels = sorted({channel for credit in table.values() for channel in credit})
    print(f"{'model':<16}" + "".join(f"{channel:>13}" for channel in channels))
    for model, credit in table.items():
        print(f"{model:<16}" + "".join(f"{credit.get(c, 0.0):>13,.0f}" for c in channels))
    markov = attribute(events, model="markov")
    print(
        f"\n{markov.conversions} conversions, revenue {markov.revenue:,.0f}, "
        f"{markov.non_converting_journeys} non-converting journeys"
    )
    for credit in markov.credits:
        if credit.channel != markov.parameters.no_touch_label:
            print(f"removal effect of {credit.channel:<12} {credit.removal_effect:.3f}")


if __name__ == "__main__":
    main()
