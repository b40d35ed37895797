"""AttributionResult shows itself: credit table, removal effects for Markov, escaped channels."""

from __future__ import annotations

from retention_kpis.attribution import AttributionParameters, AttributionResult, ChannelCredit

EVIL = "<img src=x onerror=alert(1)>"


def result(model: str = "markov") -> AttributionResult:
    """Three conversions worth 1,250.50 credited by hand: 1.5 + 1.5 conversions, 1,000.25 + 250.25."""
    return AttributionResult(
        model=model,
        parameters=AttributionParameters(),
        conversions=3,
        revenue=1250.5,
        converting_paths=3,
        conversions_without_touch=0,
        non_converting_journeys=4,
        credits=(
            ChannelCredit(channel="email", conversions=1.5, revenue=1000.25, removal_effect=0.75),
            ChannelCredit(channel=EVIL, conversions=1.5, revenue=250.25, removal_effect=0.25),
        ),
        backend="pandas",
    )


def test_str_is_the_expected_table():
    """1.5 conversions keep decimals, 3 does not; removal effect 0.75 -> 75.0%."""
    assert str(result()) == (
        "AttributionResult: markov model, 3 conversions (3 with a touch, 0 without), "
        "revenue 1,250.50\n"
        "channel                       conversions   revenue  removal_effect\n"
        "----------------------------  -----------  --------  --------------\n"
        "email                                1.50  1,000.25           75.0%\n"
        "<img src=x onerror=alert(1)>         1.50    250.25           25.0%\n"
    )


def test_html_escapes_channels_and_holds_the_cells(html_cells):
    """The channel name comes from user data: no <img> element reaches the page."""
    cells = html_cells(result()._repr_html_())
    assert "img" not in cells.tags
    assert cells.rows == [["email", "1.50", "1,000.25", "75.0%"], [EVIL, "1.50", "250.25", "25.0%"]]


def test_rule_based_models_have_no_removal_effect_column(html_cells):
    """Removal effects are Markov's; a linear result shows channel, conversions, revenue."""
    assert html_cells(result("linear")._repr_html_()).headers == [
        "channel",
        "conversions",
        "revenue",
    ]


def test_repr_fits_a_screen():
    """repr names the model and totals in one short line."""
    assert repr(result()) == (
        "AttributionResult(model='markov', credits=2, conversions=3, revenue=1250.5, "
        "period=None, by=(), backend='pandas')"
    )
