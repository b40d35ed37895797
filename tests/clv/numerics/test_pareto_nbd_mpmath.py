"""Pareto/NBD (Schmittlein et al. 1987) against 50-digit mpmath evaluations at extreme points.

References follow Fader & Hardie's note "A Note on Deriving the Pareto/NBD
Model and Related Expressions" (2005): likelihood eq. 11 with the ``A0`` term
as the difference of two ``2F1`` values (eq. 12-13), P(alive) eq. 15,
``E[Y(t) | x, t_x, T]`` eq. 17 and ``E[X(t)]`` eq. 16, at ``mp.dps = 50``.
``2F1(c, B; c + 1; z)`` is evaluated as ``(1-z)^(1-B) 2F1(1, c+1-B; c+1; z)``
(Euler's transformation, DLMF 15.8.1): mpmath's direct series does not finish
for ``c, B ~ 1e5``. At 50 digits the note's cancelling difference is harmless.
``P(X(t) = n)`` (Fader, Hardie & Lee's 2006 note) is checked against its
definition, ``NBD(n) (beta/(beta+t))^s + s G(r+n) alpha^r beta^s / (G(r) n!)
int_0^t tau^n (alpha+tau)^-(r+n) (beta+tau)^-(s+1) dtau``, by ``mpmath.quad``.

Tolerance: 1e-8 relative (log-likelihood 1e-8 absolute, relative when
``|log L| > 1``) for frequency up to 1e5, recency == T, recency 0, T from 1e-3
to 1e4 and parameters from 1e-4 to 1e4; values below 1e-295 must come back
below 1e-290.
"""

from __future__ import annotations

import mpmath as mp
import pytest

from retention_kpis.clv import ParetoNBDModel, customer_lifetime_value

mp.mp.dps = 50

PARAMS = [
    (0.553, 10.578, 0.606, 11.669),  # FHL 2005, CDNOW
    (1e-4, 1e-4, 1e-4, 1e-4),
    (1e4, 1e4, 1e4, 1e4),
    (1e-4, 1e4, 0.5, 1e-4),  # alpha >> beta
    (2.0, 1e-4, 3.0, 1e4),  # alpha << beta
    (1e4, 1.0, 1e-4, 1e4),
    (0.5, 3.0, 1.0000001, 2.0),  # s next to 1 (the expectation's removable singularity)
]
HISTORIES = [  # (x, t_x, T)
    (0, 0.0, 1e-3),
    (0, 0.0, 1e4),
    (1, 1e-3, 1e-3),
    (3, 5.0, 5.0),
    (2, 1.71, 38.86),
    (50, 1e4, 1e4),
    (100_000, 1e4, 1e4),
    (100_000, 1.0, 1e4),
]


def hyp2f1_c_c1(c, B, z):
    """``2F1(c, B; c + 1; z)`` via DLMF 15.8.1."""
    return (1 - z) ** (1 - B) * mp.hyp2f1(1, c + 1 - B, c + 1, z)


def a0_ref(params, x, t_x, T):
    """The note's A0 (eq. 12 for alpha >= beta, eq. 13 otherwise); mpf arguments."""
    r, alpha, s, beta = params
    c = r + s + x
    if alpha >= beta:

        def part(y):
            return hyp2f1_c_c1(c, s + 1, (alpha - beta) / (alpha + y)) / (alpha + y) ** c

    else:

        def part(y):
            return hyp2f1_c_c1(c, r + x, (beta - alpha) / (beta + y)) / (beta + y) ** c

    return part(t_x) - part(T)


def terms_ref(params, x, t_x, T):
    """(alive term, died term) of the note's eq. 11 bracket."""
    r, alpha, s, beta = (mp.mpf(v) for v in params)
    x, t_x, T = (mp.mpf(v) for v in (x, t_x, T))
    alive = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s)
    died = s / (r + s + x) * a0_ref((r, alpha, s, beta), x, t_x, T)
    return alive, died


def model_of(params):
    r, alpha, s, beta = params
    return ParetoNBDModel.from_params(r=r, alpha=alpha, s=s, beta=beta)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
def test_pareto_likelihood_and_probability_alive_match_mpmath(params, x, t_x, T, assert_close):
    """Eq. 11 and eq. 15, frequency up to 1e5, recency == T (A0 = 0) and far below T."""
    r, alpha, s, beta = (mp.mpf(v) for v in params)
    alive, died = terms_ref(params, x, t_x, T)
    expected = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
    expected += mp.log(alive + died)
    model = model_of(params)
    got = model.log_likelihood_rows(x, t_x, T)[0]
    assert abs(mp.mpf(got) - expected) <= 1e-8 * max(1, abs(expected)), (got, expected)
    assert_close(model.probability_alive(x, t_x, T)[0], alive / (alive + died))


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 10.0), (2, 1.71, 38.86), (100_000, 1e4, 1e4)])
@pytest.mark.parametrize("t", [1e-5, 39.0, 1e4])
def test_pareto_conditional_expected_purchases_match_mpmath(params, x, t_x, T, t, *, assert_close):
    """Eq. 17: P(alive) (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)]."""
    r, alpha, s, beta = (mp.mpf(v) for v in params)
    alive, died = terms_ref(params, x, t_x, T)
    big_t, horizon = mp.mpf(T), mp.mpf(t)
    expected = (r + x) * (beta + big_t) / ((alpha + big_t) * (s - 1))
    expected *= (
        (1 - ((beta + big_t) / (beta + big_t + horizon)) ** (s - 1)) * alive / (alive + died)
    )
    assert_close(model_of(params).expected_purchases(t, x, t_x, T)[0], expected)


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("t", [1e-3, 39.0, 1e4])
def test_pareto_new_customer_expected_purchases_match_mpmath(params, t, assert_close):
    """Eq. 16: r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]."""
    r, alpha, s, beta = (mp.mpf(v) for v in params)
    horizon = mp.mpf(t)
    expected = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + horizon)) ** (s - 1))
    assert_close(model_of(params).expected_purchases_new_customer(t)[0], expected)


@pytest.mark.parametrize("params", PARAMS[:3] + PARAMS[4:5])
@pytest.mark.parametrize(("n", "t"), [(0, 1e-3), (0, 39.0), (1, 39.0), (5, 1e4), (100, 39.0)])
def test_pareto_probability_of_purchases_matches_mpmath_quadrature(params, n, t, assert_close):
    """P(X(t) = n) from its definition: alive with n purchases, or died at tau after n purchases."""
    with mp.workdps(30):
        r, alpha, s, beta = (mp.mpf(v) for v in params)
        horizon = mp.mpf(t)
        log_c = mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)
        alive = (
            mp.exp(
                log_c
                + r * mp.log(alpha / (alpha + horizon))
                + n * mp.log(horizon / (alpha + horizon))
            )
            * (beta / (beta + horizon)) ** s
        )

        def integrand(tau):
            return (
                mp.exp(
                    n * mp.log(tau) - (r + n) * mp.log(alpha + tau) - (s + 1) * mp.log(beta + tau)
                )
                if tau > 0
                else mp.mpf(0 if n > 0 else 1) / (alpha**r * beta ** (s + 1))
            )

        # dyadic nodes (peaks near 0) and an even grid (narrow peaks further out)
        dyadic = [horizon * mp.mpf(2) ** -k for k in range(60, 0, -1)]
        nodes = sorted({mp.mpf(0), *dyadic, *mp.linspace(0, horizon, 101)})
        died = s * mp.exp(log_c + r * mp.log(alpha) + s * mp.log(beta)) * mp.quad(integrand, nodes)
        expected = alive + died
    assert_close(model_of(params).probability_of_purchases(n, t)[0], expected)


@pytest.mark.parametrize("params", [PARAMS[0], PARAMS[3], PARAMS[4]])
@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 1e-3), (2, 1.71, 38.86), (100_000, 1e4, 1e4)])
def test_pareto_customer_lifetime_value_matches_mpmath(
    params, x, t_x, T, *, assert_close, clv_reference
):
    """Discounted CLV (12 months of 4.345 weeks, 1 % a month) from eq. 17 and Gamma-Gamma at 50 digits."""
    r, alpha, s, beta = (mp.mpf(value) for value in params)
    alive, died = terms_ref(params, x, t_x, T)
    big_t = mp.mpf(T)
    scale = (r + x) * (beta + big_t) / ((alpha + big_t) * (s - 1)) * alive / (alive + died)

    def cumulative(t):
        return scale * (1 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1))

    expected = clv_reference.expected(x, cumulative)
    summary, spend_model = clv_reference.summary(x, t_x, T), clv_reference.spend_model
    got = customer_lifetime_value(model_of(params), spend_model, summary, time_unit="W")[0]
    assert_close(got, expected)
