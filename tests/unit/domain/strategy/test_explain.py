"""Explanations in English and Chinese: what a spec does, when it works, how often it signals."""

# Chinese text keeps its full-width punctuation on purpose.

from __future__ import annotations

import pytest

from vibetrading.domain.strategy.explain import classify_style, explain_spec
from vibetrading.domain.strategy.expr import (
    Highest,
    IndicatorRef,
    PriceField,
    compare,
    crosses_above,
    indicator,
    price,
)
from vibetrading.domain.strategy.spec import CostOverrides, Risk, Sizing, StrategySpec
from vibetrading.domain.strategy.templates import TEMPLATES
from vibetrading.errors import SpecError
from vibetrading.testing.factories import make_bars

RSI_DIP = StrategySpec(
    entry=compare(indicator("rsi", period=14), "<", 30),
    exit=compare(indicator("rsi", period=14), ">", 70),
    risk=Risk(stop_loss=0.05, take_profit=0.1),
    sizing=Sizing(value=0.5),
)


def test_explain_spec_english_has_every_section():
    explanation = explain_spec(RSI_DIP)

    assert list(explanation.sections) == [
        "summary", "rules", "indicators", "conditions", "risk", "frequency",
    ]  # fmt: skip
    assert "Buy when: RSI(14) < 30." in explanation.sections["rules"]
    assert "Sell when: RSI(14) > 70." in explanation.sections["rules"]
    assert "## When it tends to work and fail" in explanation.text
    assert explanation.lang == "en"


def test_explain_spec_chinese_uses_chinese_words():
    explanation = explain_spec(RSI_DIP, lang="zh")

    assert "买入条件：RSI(14) < 30。" in explanation.sections["rules"]
    assert "RSI（相对强弱指标）" in explanation.sections["indicators"]
    assert "均值回归" in explanation.sections["conditions"]
    assert "## 风险假设" in explanation.text


def test_explain_spec_risk_lists_stops_targets_and_size():
    risk = explain_spec(RSI_DIP).sections["risk"]

    assert "a stop-loss at a 5% loss" in risk
    assert "a take-profit at a 10% gain" in risk
    assert "Each entry invests 50% of equity." in risk


def test_explain_spec_without_any_exit_says_so():
    spec = StrategySpec(entry=compare(indicator("rsi"), "<", 30))

    rules = explain_spec(spec).sections["rules"]

    assert "There is no exit at all" in rules


def test_explain_spec_with_bars_counts_signals_per_year(spx):
    explanation = explain_spec(TEMPLATES["golden_cross"].build(), bars=spx)

    frequency = explanation.sections["frequency"]
    assert "(5031 bars, 20.0 years)" in frequency
    assert "the entry condition became true 9 times (0.5 a year)" in frequency
    assert "The last entry signal was on 2016-04-25." in frequency


def test_explain_spec_chinese_with_bars_counts_signals(spx):
    explanation = explain_spec(TEMPLATES["golden_cross"].build(lang="zh"), lang="zh", bars=spx)

    frequency = explanation.sections["frequency"]
    assert "1999-01-04至2018-12-31" in frequency
    assert "入场条件成立了9次" in frequency


def test_explain_spec_without_bars_asks_for_data():
    assert explain_spec(RSI_DIP).sections["frequency"] == "Give data to see how often it signals."


def test_explain_spec_template_metadata_in_other_language_is_not_mixed_in():
    spec = TEMPLATES["momentum"].build(lang="en")

    explanation = explain_spec(spec, lang="zh")

    assert "Buy SPX" not in explanation.text
    assert "趋势跟随" in explanation.sections["conditions"]


def test_explain_spec_unknown_language_raises_spec_error():
    with pytest.raises(SpecError, match="'en' or 'zh'"):
        explain_spec(RSI_DIP, lang="fr")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "style"),
    [
        (crosses_above(indicator("sma", period=50), indicator("sma", period=200)), "trend"),
        (compare(indicator("kdj", "j"), "<", 0), "mean_reversion"),
        (compare(price(), ">", Highest(bars=20)), "breakout"),
        (
            compare(price(), ">", PriceField(field="close", symbol="IXIC")),
            "pairs",
        ),
        (compare(price(), "<=", IndicatorRef(name="bbands", output="lower")), "mean_reversion"),
        (compare(price(), ">", 100), "general"),
    ],
    ids=["ma-cross", "kdj", "n-day-high", "pairs", "lower-band", "price-level"],
)
def test_classify_style_reads_the_entry_rule(entry, style):
    assert classify_style(StrategySpec(entry=entry)) == style


@pytest.mark.parametrize(
    ("sizing", "sentence"),
    [
        (
            Sizing(method="fixed_cash", value=10_000),
            "Each entry invests a fixed 10,000.00 in cash.",
        ),
        (Sizing(method="fixed_quantity", value=100), "Each entry buys a fixed 100 units."),
        (Sizing(method="equal_weight"), "Equity is split equally across the 1 symbols."),
        (
            Sizing(method="volatility_target", value=0.15),
            "Positions are sized to aim at 15% annual volatility.",
        ),
    ],
    ids=["cash", "quantity", "equal", "volatility"],
)
def test_explain_spec_risk_describes_the_sizing(sizing, sentence):
    spec = RSI_DIP.model_copy(update={"sizing": sizing})

    assert sentence in explain_spec(spec).sections["risk"]


def test_explain_spec_short_and_risk_only_exits_are_described():
    spec = StrategySpec(
        direction="short",
        entry=compare(indicator("rsi"), ">", 70),
        risk=Risk(trailing_stop=0.08, max_holding_bars=10),
        costs=CostOverrides(fee_rate=0.001),
    )

    sections = explain_spec(spec).sections

    assert "Sell short when: RSI(14) > 70." in sections["rules"]
    assert "positions close only through the risk exits" in sections["rules"]
    assert "a trailing stop 8% from the best price since entry" in sections["risk"]
    assert "an exit after 10 bars at most" in sections["risk"]
    assert "Costs overridden: fee_rate=0.001." in sections["risk"]


def test_explain_spec_both_directions_lists_short_rules(spx, ixic):
    spec = TEMPLATES["pairs"].build()

    sections = explain_spec(spec, bars={"SPX": spx, "IXIC": ixic}).sections

    assert (
        "Sell short when: ZSCORE(60) of (close / close@IXIC) crosses above 2."
        in (sections["rules"])
    )
    assert "the short entry condition became true" in sections["frequency"]


def test_explain_spec_rule_that_never_holds_says_so(spx):
    spec = StrategySpec(entry=compare(indicator("rsi"), "<", 5))

    frequency = explain_spec(spec, bars=spx).sections["frequency"]

    assert frequency.endswith("the entry condition never held.")


def test_explain_spec_missing_symbol_reports_the_problem_instead_of_counts():
    spec = StrategySpec(entry=compare(price(), ">", PriceField(field="close", symbol="IXIC")))

    frequency = explain_spec(spec, bars=make_bars(30)).sections["frequency"]

    assert "no bars were given for it" in frequency
