"""parse_strategy on less common phrasings: windows, offsets, settings and bad input."""

from __future__ import annotations

import pytest

from vibetrading.domain.strategy.dsl import canonical_expr, canonical_indicator, parse_strategy
from vibetrading.domain.strategy.expr import (
    AnyOf,
    Arithmetic,
    Compare,
    Constant,
    Cross,
    Highest,
    IndicatorRef,
    Lag,
    PriceField,
    WithinBars,
)
from vibetrading.domain.strategy.spec import Sizing

RSI = canonical_indicator("rsi")
CLOSE = PriceField(field="close")


def _const(value: float) -> Constant:
    return Constant(value=value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("buy when the price drops 5% in 3 days",
         Compare(op="<=", left=canonical_indicator("roc", {"period": 3}), right=_const(-0.05))),
        ("buy when it gains 3%",
         Compare(op=">=", left=canonical_indicator("roc", {"period": 1}), right=_const(0.03))),
    ],
    ids=["drop", "gain"],
)  # fmt: skip
def test_parse_strategy_percent_move_in_a_buy_rule_is_a_return_condition(text, expected):
    result = parse_strategy(text)

    assert result.spec.entry == expected
    assert result.spec.risk.stop_loss is None


@pytest.mark.parametrize(
    ("text", "op"),
    [("buy when RSI reaches 30", "<="), ("buy when RSI touches 70", ">=")],
    ids=["low", "high"],
)
def test_parse_strategy_touching_a_level_faces_the_nearer_bound(text, op):
    result = parse_strategy(text)

    assert result.spec.entry == Compare(op=op, left=RSI, right=_const(float(text.split()[-1])))


def test_parse_strategy_highest_close_over_the_past_n_days():
    result = parse_strategy("buy when the close is above the highest close over the past 20 days")

    assert result.spec.entry.right == Highest(bars=20, item=CLOSE)


@pytest.mark.parametrize(
    ("text", "output"),
    [
        ("buy when the close crosses above the upper donchian channel", "upper"),
        ("buy when the close crosses above the upper band of the 30-day bollinger", "upper"),
    ],
    ids=["side-first", "owner-after"],
)
def test_parse_strategy_band_named_before_its_indicator(text, output):
    result = parse_strategy(text)

    assert result.spec.entry.right.output == output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("buy when RSI(14 is below 30", "Could not read the parameters of RSI."),
        ("buy when RSI(14, 3) is below 30", "RSI takes 1 parameter(s); got 2"),
        ("buy when RSI(0) is below 30", "RSI period must be between 1 and 1000"),
    ],
    ids=["unclosed", "too-many", "out-of-range"],
)
def test_parse_strategy_bad_indicator_parameters_are_errors(text, message):
    result = parse_strategy(text)

    assert result.spec is None
    assert any(message in error for error in result.errors)


@pytest.mark.parametrize(
    "text",
    ["MA5与MA20金叉买入", "golden cross of SMA(5) and SMA(20) buy", "5日均线金叉20日均线买入"],
    ids=["yu", "of-and", "between"],
)
def test_parse_strategy_golden_cross_of_two_named_lines(text):
    result = parse_strategy(text)

    fast, slow = (canonical_indicator("sma", {"period": n}) for n in (5, 20))
    assert result.spec.entry == Cross(direction="above", left=fast, right=slow)


def test_parse_strategy_n_bars_later_lags_the_condition():
    result = parse_strategy("RSI跌破30两天后买入")

    assert result.spec.entry == Lag(
        bars=2, item=Cross(direction="below", left=RSI, right=_const(30))
    )


def test_parse_strategy_streak_word_before_its_count():
    result = parse_strategy("连续下跌3天买入")

    assert result.spec.entry.kind == "for_bars"
    assert result.spec.entry.bars == 3


def test_parse_strategy_within_as_a_prefix():
    result = parse_strategy("buy when within the last 5 bars RSI was below 30")

    assert result.spec.entry == WithinBars(bars=5, item=Compare(op="<", left=RSI, right=_const(30)))


def test_parse_strategy_pullback_by_a_percentage_measures_from_the_high():
    result = parse_strategy("回调5%买入")

    level = Arithmetic(op="*", left=Highest(bars=20), right=_const(0.95))
    assert result.spec.entry == Compare(op="<=", left=CLOSE, right=level)


def test_parse_strategy_breakout_above_a_named_line():
    result = parse_strategy("buy on a breakout above the 50-day SMA")

    assert result.spec.entry == Cross(
        direction="above", left=CLOSE, right=canonical_indicator("sma", {"period": 50})
    )


def test_parse_strategy_plain_number_stop_is_read_as_a_percentage_and_said():
    result = parse_strategy("buy when RSI < 30, stop loss 5")

    assert result.spec.risk.stop_loss == 0.05
    assert any("as a percentage" in text for text in result.assumptions)


def test_parse_strategy_amount_per_trade_without_currency_is_cash():
    result = parse_strategy("buy when RSI < 30, 10000 per trade")

    assert result.spec.sizing == Sizing(method="fixed_cash", value=10_000)
    assert any("amount of cash" in text for text in result.assumptions)


def test_parse_strategy_cover_without_short_rule_is_a_warning():
    result = parse_strategy("buy when RSI < 30, cover when RSI > 70")

    assert result.spec.exit is None
    assert any("cover" in text for text in result.warnings)


def test_parse_strategy_hold_exit_joins_a_rule_exit():
    result = parse_strategy("buy when RSI < 30; sell when RSI > 70; hold 10 days then sell")

    entry = result.spec.entry
    expected = AnyOf(items=[Compare(op=">", left=RSI, right=_const(70)), Lag(bars=10, item=entry)])
    assert result.spec.exit == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("daily, hourly, buy when RSI < 30", "several timeframes"),
        ("buy when RSI < 30, stop loss 150%", "stop_loss"),
        ("buy when RSI < 30, all in, half position", "position size"),
    ],
    ids=["timeframes", "risk-range", "sizes"],
)
def test_parse_strategy_impossible_settings_are_errors(text, fragment):
    result = parse_strategy(text)

    assert result.spec is None
    assert any(fragment in error for error in result.errors)


def test_parse_strategy_sell_at_a_band_touches_it():
    result = parse_strategy("buy at the lower band, sell at the upper band")

    assert result.spec.entry.op == "<="
    assert result.spec.exit.op == ">="


def test_parse_strategy_chinese_suffix_comparison():
    result = parse_strategy("成交量是20日均量的2倍以上时买入")

    average = canonical_indicator("volume_sma", {"period": 20})
    expected = Arithmetic(op="*", left=_const(2), right=average)
    assert result.spec.entry == Compare(op=">", left=PriceField(field="volume"), right=expected)


def test_parse_strategy_indicator_of_another_series_reads_its_input():
    english = parse_strategy("buy when SMA(5) of RSI(14) crosses above 50").spec.entry
    chinese = parse_strategy("RSI(14)的SMA(5)上穿50买入").spec.entry

    smoothed = canonical_indicator("sma", {"period": 5}, input=RSI)
    assert english == chinese == Cross(direction="above", left=smoothed, right=_const(50))


def test_canonical_expr_fills_defaults_and_resolves_aliases():
    raw = Compare(op="<", left=IndicatorRef(name="相对强弱", params={}), right=_const(30))

    found = canonical_expr(raw)

    assert found == Compare(op="<", left=RSI, right=_const(30))
