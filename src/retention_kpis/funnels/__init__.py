"""Conversion funnels, cart abandonment and checkout conversion over an event frame.

See ``docs/funnels.md`` for the definitions and the sources they follow.
"""

from __future__ import annotations

from retention_kpis.funnels._result import CartKPIRow, CartKPIs, FunnelResult, FunnelStep
from retention_kpis.funnels.cart import cart_kpis
from retention_kpis.funnels.funnel import funnel

__all__ = ["CartKPIRow", "CartKPIs", "FunnelResult", "FunnelStep", "cart_kpis", "funnel"]
