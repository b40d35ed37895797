"""MBG/NBD model of repeat purchasing (Batislam, Denizel & Filiztekin 2007).

The modified BG/NBD lets a customer drop out at time 0 as well as after each
repeat purchase, so customers without repeat purchases are no longer certain
to be alive (in BG/NBD their P(alive) is 1). With the BG/NBD notation
(``lambda ~ Gamma(r, alpha)``, ``p ~ Beta(a, b)``) the likelihood is::

    L(r, alpha, a, b | x, t_x, T) =
        B(a, b+x+1)/B(a,b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
      + B(a+1, b+x)/B(a,b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

for every ``x >= 0`` (``t_x = 0`` when ``x = 0``), and::

    P(alive | x, t_x, T) = 1 / (1 + a/(b+x) * ((alpha+T)/(alpha+t_x))^(r+x))

References
----------
Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and
comparison of models for customer base analysis. *International Journal of
Research in Marketing* 24(3), 201-209.
"""

from __future__ import annotations

from typing import ClassVar

from retention_kpis.clv._beta_geo_common import BetaGeoFamily

__all__ = ["ModifiedBetaGeoModel"]


class ModifiedBetaGeoModel(BetaGeoFamily):
    """Modified beta-geometric/NBD model (Batislam, Denizel & Filiztekin 2007).

    Same parameters (:class:`~retention_kpis.clv.BetaGeoParams`) and methods
    as :class:`~retention_kpis.clv.BetaGeoModel`; customers may also drop out
    right after their first purchase, so ``probability_alive`` is below 1 also
    for ``frequency = 0``.

    Examples
    --------
    >>> model = ModifiedBetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> bool(model.probability_alive(0, 0, 38.86)[0] < 1)
    True
    """

    _shift: ClassVar[int] = 1
