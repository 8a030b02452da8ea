"""The strategy templates: each builds a full spec that compiles and fires on real data."""

from __future__ import annotations

import pytest

from vibetrading.domain.strategy.compile import compile_signals
from vibetrading.domain.strategy.spec import load_spec
from vibetrading.domain.strategy.templates import TEMPLATES, get_template
from vibetrading.domain.strategy.validate import validate_spec
from vibetrading.errors import SpecError

NAMES = sorted(TEMPLATES)


def test_templates_cover_the_concepts_users_ask_for():
    assert set(TEMPLATES) >= {
        "momentum", "mean_reversion", "breakout", "volatility", "pairs", "golden_cross",
    }  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_template_build_compiles_and_fires_on_spx(name, spx, ixic):
    spec = TEMPLATES[name].build()

    signals = compile_signals(spec, {"SPX": spx, "IXIC": ixic}, symbol="SPX")

    assert signals.entries.sum() > 0
    assert signals.exits.sum() > 0


@pytest.mark.parametrize("name", NAMES)
def test_template_build_validates_without_errors_or_warnings(name, spx, ixic):
    spec = TEMPLATES[name].build()

    report = validate_spec(spec, {"SPX": spx, "IXIC": ixic}, symbol="SPX")

    assert report.errors == []
    assert report.warnings == []


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_build_fills_explanation_and_metadata(name, lang):
    template = TEMPLATES[name]

    spec = template.build(lang=lang)

    metadata = spec.metadata
    assert spec.explanation
    assert metadata.market_conditions
    assert metadata.risk_assumptions
    assert metadata.signal_frequency
    assert metadata.indicator_interpretation
    assert metadata.template == name
    assert metadata.language == lang
    assert "{" not in spec.explanation + metadata.risk_assumptions
    assert all((template.title, template.title_zh, template.description_zh))


@pytest.mark.parametrize("name", NAMES)
def test_template_spec_survives_a_json_round_trip(name):
    spec = TEMPLATES[name].build()

    assert load_spec(spec.to_json()) == spec


def test_template_build_parameters_reach_the_rules():
    spec = TEMPLATES["golden_cross"].build(fast=20, slow=100, symbol="IXIC")

    assert spec.universe == ["IXIC"]
    assert spec.entry.left.params == {"period": 20}
    assert "20-bar SMA crosses above its 100-bar SMA" in spec.explanation


def test_mean_reversion_bollinger_variant_uses_the_lower_band(spx):
    spec = TEMPLATES["mean_reversion"].build(variant="bollinger", trend=0)

    signals = compile_signals(spec, spx)

    assert spec.entry.right.output == "lower"
    assert signals.entries.sum() > 50


def test_pairs_template_trades_both_directions_on_the_spread(spx, ixic):
    spec = TEMPLATES["pairs"].build()

    signals = compile_signals(spec, {"SPX": spx, "IXIC": ixic})

    assert spec.universe == ["SPX", "IXIC"]
    assert signals.short_entries is not None
    assert signals.short_entries.sum() > 0
    assert any(
        label.startswith("ZSCORE(60) of (close / close@IXIC)") for label in signals.indicators
    )


def test_template_build_unknown_parameter_suggests_close_match():
    with pytest.raises(SpecError, match="Did you mean: oversold"):
        TEMPLATES["mean_reversion"].build(oversld=25)


def test_template_build_bad_value_raises_spec_error():
    with pytest.raises(SpecError, match="cannot use these values"):
        TEMPLATES["golden_cross"].build(stop_loss=2.0)


def test_get_template_accepts_spaces_and_suggests_on_typos():
    assert get_template("Mean Reversion").name == "mean_reversion"
    with pytest.raises(SpecError, match="Did you mean: breakout"):
        get_template("breakot")
