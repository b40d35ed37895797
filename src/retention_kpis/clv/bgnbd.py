"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005).

"Buy till you die" in continuous time for a non-contractual setting:

* while active, a customer makes repeat purchases as a Poisson process with
  rate ``lambda``; ``lambda ~ Gamma(shape r, rate alpha)`` across customers;
* after each repeat purchase the customer drops out for good with probability
  ``p``; ``p ~ Beta(a, b)`` across customers.

A customer's data are ``frequency`` (``x``, repeat purchases), ``recency``
(``t_x``, age at the last repeat purchase) and ``T`` (age at the end of the
observation period). The likelihood (FHL 2005 eq. 6) is::

    L(r, alpha, a, b | x, t_x, T) =
        B(a, b+x)/B(a,b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
      + [x > 0] B(a+1, b+x-1)/B(a,b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

It is evaluated in log space (``gammaln``, ``betaln``, ``logaddexp``) with an
analytic gradient, so fits stay finite for frequencies up to 1e5, ``recency ==
T`` and ages up to 1e4 time units.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
the easy way: an alternative to the Pareto/NBD model. *Marketing Science*
24(2), 275-284.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2007). Computing P(alive) using
the BG/NBD model; Computing P(X(t) = x) using the BG/NBD model (notes,
brucehardie.com).
"""

from __future__ import annotations

from typing import ClassVar

from retention_kpis.clv._beta_geo_common import BetaGeoFamily, BetaGeoParams

__all__ = ["BetaGeoModel", "BetaGeoParams"]


class BetaGeoModel(BetaGeoFamily):
    """Beta-geometric/NBD model (Fader, Hardie & Lee 2005).

    ``fit(frequency, recency, T, *, weights=None)`` maximises the likelihood;
    ``from_params(r=..., alpha=..., a=..., b=...)`` uses known parameters.
    Predictions: :meth:`probability_alive`, :meth:`expected_purchases`
    (conditional, eq. 10), :meth:`expected_purchases_new_customer` (eq. 9),
    :meth:`probability_of_purchases` (eq. 8). Time is in the unit of the data.

    A customer without repeat purchases is alive with probability 1 in this
    model (dropout can only happen right after a repeat purchase); see
    :class:`~retention_kpis.clv.ModifiedBetaGeoModel` for the variant without
    that property.

    Examples
    --------
    Fader, Hardie & Lee (2005) report ``r = 0.243, alpha = 4.414, a = 0.793,
    b = 2.426`` for the CDNOW sample (2,357 customers, weeks):

    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> model.expected_purchases(39, frequency=2, recency=30.43, T=38.86).round(3)
    array([1.226])
    """

    _shift: ClassVar[int] = 0
