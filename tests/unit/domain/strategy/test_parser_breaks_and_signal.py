"""parse_strategy: a bare "breaks" / 突破 takes its side from the level, "signal" after MACD
is its signal line, and a line crossing itself is reported as never firing."""

# Chinese text keeps its full-width punctuation on purpose.

from __future__ import annotations

import pytest

from vibetrading.domain.strategy.dsl import canonical_indicator, parse_strategy
from vibetrading.domain.strategy.dsl.concepts import label, side_of
from vibetrading.domain.strategy.expr import (
    Constant,
    Cross,
    Highest,
    Lag,
    Lowest,
    PriceField,
)
from vibetrading.domain.strategy.message_words import localize_note

CLOSE = PriceField(field="close")
HIGH_20 = Highest(bars=20, item=PriceField(field="high"))
LOW_20 = Lowest(bars=20, item=PriceField(field="low"))
UPPER = canonical_indicator("bbands", None, "upper")
LOWER = canonical_indicator("bbands", None, "lower")
MACD = canonical_indicator("macd", None, "macd")
SIGNAL = canonical_indicator("macd", None, "signal")
MACD_UP = Cross(direction="above", left=MACD, right=SIGNAL)

# -- a bare "breaks" / 突破 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy BTC when price breaks the 20-day high, exit on a 10% trailing stop",
         Cross(direction="above", left=CLOSE, right=HIGH_20)),
        ("buy when price broke the 20-day high",
         Cross(direction="above", left=CLOSE, right=HIGH_20)),
        ("buy when price is breaking the 20-day high",
         Cross(direction="above", left=CLOSE, right=HIGH_20)),
        ("buy the break of the 20-day high",
         Cross(direction="above", left=CLOSE, right=HIGH_20)),
        ("buy when price breaks the 20-day low",
         Cross(direction="below", left=CLOSE, right=LOW_20)),
        ("buy when the close breaks the upper Bollinger band",
         Cross(direction="above", left=CLOSE, right=UPPER)),
        ("buy when price breaks the lower band",
         Cross(direction="below", left=CLOSE, right=LOWER)),
        ("buy when price breaks yesterday's low",
         Cross(direction="below", left=CLOSE, right=Lag(bars=1, item=PriceField(field="low")))),
        ("价格突破20日高点买入", Cross(direction="above", left=CLOSE, right=HIGH_20)),
        ("价格突破20日低点买入", Cross(direction="below", left=CLOSE, right=LOW_20)),
        ("价格跌破20日低点买入", Cross(direction="below", left=CLOSE, right=LOW_20)),
        ("价格突破上轨买入", Cross(direction="above", left=CLOSE, right=UPPER)),
        ("价格突破下轨买入", Cross(direction="below", left=CLOSE, right=LOWER)),
        ("价格跌破下轨买入", Cross(direction="below", left=CLOSE, right=LOWER)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)  # fmt: skip
def test_parse_strategy_bare_break_takes_the_side_of_the_level(text, expected):
    result = parse_strategy(text)

    assert result.errors == []
    assert result.unparsed == []
    assert result.spec.entry == expected
    assert not any("touches" in a for a in result.assumptions)


def test_parse_strategy_bare_break_keeps_the_trailing_stop():
    result = parse_strategy(
        "buy BTC when price breaks the 20-day high, exit on a 10% trailing stop"
    )

    assert result.spec.universe == ["BTC/USDT"]
    assert result.spec.risk.trailing_stop == 0.1
    assert result.spec.explanation.startswith("Buy BTC/USDT when close crosses above the 20-bar")


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("buy when price breaks above the 20-day low", "above"),
        ("buy when price breaks below the 20-day high", "below"),
        ("buy when price breaks under the 20-day high", "below"),
        ("buy when price broke over the 20-day low", "above"),
    ],
    ids=lambda value: str(value),
)
def test_parse_strategy_break_with_a_side_word_keeps_that_side(text, direction):
    result = parse_strategy(text)

    assert result.spec.entry.kind == "cross"
    assert result.spec.entry.direction == direction


def test_parse_strategy_bare_break_of_a_level_without_side_reads_above_and_says_so():
    result = parse_strategy("buy when RSI breaks 30")

    assert result.spec.entry == Cross(
        direction="above", left=canonical_indicator("rsi"), right=Constant(value=30)
    )
    assert "'breaks' without a direction: read as crosses above" in result.assumptions


def test_parse_strategy_chinese_break_of_a_level_reads_upwards_without_assumption():
    result = parse_strategy("RSI突破30买入")

    assert result.spec.entry.direction == "above"
    assert not any("direction" in a for a in result.assumptions)


def test_parse_strategy_bare_break_alone_repeats_the_last_pair_on_its_side():
    result = parse_strategy("buy when price crosses below the 20-day low, sell when it breaks")

    assert result.spec.exit == Cross(direction="below", left=CLOSE, right=LOW_20)


# -- readable labels of N-bar highs and lows -------------------------------------------


@pytest.mark.parametrize(
    ("node", "text"),
    [
        (HIGH_20, "20-bar high"),
        (LOW_20, "20-bar low"),
        (Highest(bars=55, item=CLOSE), "55-bar high of close"),
        (Lowest(bars=10, item=canonical_indicator("rsi")), "10-bar low of RSI(14)"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_label_of_extremes_reads_as_n_bar_high_or_low(node, text):
    assert label(node) == text


def test_side_of_lines_upper_lower_or_none():
    assert side_of(HIGH_20) == "above"
    assert side_of(LOWER) == "below"
    assert side_of(Lag(bars=1, item=PriceField(field="high"))) == "above"
    assert side_of(canonical_indicator("sma", {"period": 50})) is None
    assert side_of(Constant(value=30)) is None


def test_parse_strategy_touch_of_an_extreme_names_the_window():
    result = parse_strategy("buy at the 20-day low, sell at the 20-day high")

    assert "'touches' read as close <= 20-bar low" in result.assumptions
    assert "'touches' read as close >= 20-bar high" in result.assumptions


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("'touches' read as close >= 20-bar high", "“触及”读作 收盘价 >= 前20根K线的最高价"),
        ("'touches' read as close <= 20-bar low of close",
         "“触及”读作 收盘价 <= 前20根K线收盘价的最低值"),
        ("'crosses below' alone: close and 20-bar low from before",
         "单独的“crosses below”：沿用前面的 收盘价 和 前20根K线的最低价"),
        ("'breaks' without a direction: read as crosses above", "“突破”未说明方向：读作上穿"),
    ],
    ids=lambda value: value if value.isascii() else "",
)  # fmt: skip
def test_localize_note_reads_new_phrasings_in_chinese(english, chinese):
    assert localize_note(english, "zh") == chinese


# -- "signal" after MACD ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "buy when MACD crosses above signal",
        "buy when MACD crosses above its signal",
        "buy when MACD crosses above the signal line",
        "buy when the MACD line crosses above the MACD signal",
        "MACD上穿信号买入",
        "MACD上穿其信号买入",
        "MACD线上穿MACD信号时买入",
        "MACD上穿信号线买入",
    ],
    ids=lambda value: str(value),
)
def test_parse_strategy_signal_after_macd_is_its_signal_line(text):
    result = parse_strategy(text)

    assert result.errors == []
    assert result.unparsed == []
    assert result.spec.entry == MACD_UP


def test_parse_strategy_signal_of_a_later_rule_uses_the_subject_from_before():
    result = parse_strategy("MACD上穿信号买入，下穿信号卖出")

    assert result.spec.exit == Cross(direction="below", left=MACD, right=SIGNAL)


@pytest.mark.parametrize(
    "text",
    [
        "buy when MACD(8,21,5) crosses above signal",
        "buy when MACD(8,21,5) crosses above the signal line",
        "当MACD(8,21,5)上穿信号线时买入",
    ],
    ids=lambda value: str(value),
)
def test_parse_strategy_signal_line_shares_the_subject_macd_parameters(text):
    macd = canonical_indicator("macd", {"fast": 8, "slow": 21, "signal": 5}, "macd")

    result = parse_strategy(text)

    assert result.spec.entry == Cross(
        direction="above", left=macd, right=macd.model_copy(update={"output": "signal"})
    )
    assert not any("not given" in a for a in result.assumptions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy signal when RSI < 30", "RSI(14) is below 30"),
        ("RSI低于30出现买入信号", "RSI(14)低于30"),
        ("MACD金叉信号买入", "MACD(12,26,9).macd上穿MACD(12,26,9).signal"),
    ],
    ids=lambda value: str(value),
)
def test_parse_strategy_signal_elsewhere_stays_a_filler_word(text, expected):
    result = parse_strategy(text)

    assert result.unparsed == []
    assert expected in result.spec.explanation


# -- a line against itself -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "buy when the MACD line crosses above the MACD line",
        "buy when RSI crosses above RSI",
        "buy when RSI > RSI and volume is above 1000",
        "MACD线上穿MACD线买入",
        "buy when RSI < 30, sell when the MACD line crosses below the MACD line",
    ],
    ids=lambda value: str(value),
)
def test_parse_strategy_line_crossing_itself_is_a_contradiction(text):
    result = parse_strategy(text)

    assert result.spec is None
    assert any("can never hold" in e and "compares a line with itself" in e for e in result.errors)
    assert len([e for e in result.errors if "itself" in e]) == 1


def test_parse_strategy_alternative_against_itself_is_a_warning():
    result = parse_strategy("buy when RSI > RSI or RSI < 30")

    assert result.errors == []
    assert any("can never hold" in w and "RSI(14) > RSI(14)" in w for w in result.warnings)


def test_parse_strategy_line_at_or_above_itself_is_not_reported():
    result = parse_strategy("buy when RSI >= RSI and RSI < 30")

    assert not any("itself" in message for message in result.errors + result.warnings)


# -- possessives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("buy when MACD crosses above MACD's signal", "MACD(12,26,9).macd crosses above"),
        ("buy when Apple’s RSI is below 30", "RSI(14) < 30"),
        ("buy when RSI is below 30, sell when it's above 70", "RSI(14) < 30"),
    ],
    ids=["macd-s-signal", "curly-apostrophe", "it-s"],
)
def test_parse_strategy_possessive_s_adds_nothing(text, entry):
    from vibetrading.domain.strategy.formula import formula

    result = parse_strategy(text)

    assert result.spec is not None, result.errors
    assert result.unparsed == []
    assert formula(result.spec.entry).startswith(entry)
