"""parse_strategy on ideas whose clauses are separated by spaces instead of punctuation."""

from __future__ import annotations

from typing import Any

import pytest

from vibetrading.domain.strategy.dsl import canonical_indicator, parse_strategy
from vibetrading.domain.strategy.expr import AllOf, Compare, Constant, Cross, PriceField
from vibetrading.domain.strategy.spec import StrategySpec

CLOSE = PriceField(field="close")


def _spec(text: str) -> StrategySpec:
    result = parse_strategy(text)
    assert result.errors == []
    assert result.spec is not None
    return result.spec


def _rsi(op: Any, value: float, period: int = 14) -> Compare:
    indicator = canonical_indicator("rsi", {"period": period})
    return Compare(op=op, left=indicator, right=Constant(value=value))


@pytest.mark.parametrize(
    ("spaced", "punctuated"),
    [
        ("买入腾讯 当RSI低于30 RSI高于70卖出 止损5%", "RSI低于30买入腾讯，RSI高于70卖出，止损5%"),
        ("买入茅台 当MACD金叉 死叉卖出", "MACD金叉买入茅台，死叉卖出"),
        ("当RSI低于30时买入 当RSI高于70时卖出", "当RSI低于30时买入，当RSI高于70时卖出"),
        ("买入 当 RSI 低于 30 RSI 高于 70 卖出", "RSI低于30买入，RSI高于70卖出"),
        ("buy AAPL when RSI below 30  sell when RSI above 70",
         "buy AAPL when RSI below 30; sell when RSI above 70"),
        ("buy when RSI is below 30 RSI above 70 sell",
         "buy when RSI is below 30; sell when RSI is above 70"),
    ],
    ids=["zh-rsi-stop", "zh-macd", "zh-when", "zh-all-spaced", "en-two-spaces", "en-role-last"],
)  # fmt: skip
def test_parse_strategy_space_between_whole_clauses_reads_like_punctuation(
    spaced: str, punctuated: str
) -> None:
    spec = _spec(spaced)

    expected = _spec(punctuated)
    assert spec.entry == expected.entry
    assert spec.exit == expected.exit
    assert spec.risk == expected.risk
    assert spec.universe == expected.universe


def test_parse_strategy_rule_split_at_a_space_gives_each_role_its_clause() -> None:
    spec = _spec("买入腾讯 当RSI低于30 RSI高于70卖出 止损5%")

    assert spec.universe == ["0700.HK"]
    assert spec.entry == _rsi("<", 30)
    assert spec.exit == _rsi(">", 70)
    assert spec.risk.stop_loss == 0.05


@pytest.mark.parametrize(
    ("text", "punctuated"),
    [
        ("买入茅台，当MACD金叉，死叉卖出", "MACD金叉买入茅台，死叉卖出"),
        ("buy AAPL, when RSI below 30, sell when RSI above 70",
         "buy AAPL when RSI below 30; sell when RSI above 70"),
    ],
    ids=["zh", "en"],
)  # fmt: skip
def test_parse_strategy_condition_after_a_bare_buy_completes_it(text: str, punctuated: str) -> None:
    spec = _spec(text)

    expected = _spec(punctuated)
    assert spec.entry == expected.entry
    assert spec.exit == expected.exit


@pytest.mark.parametrize(
    ("text", "second"),
    [("RSI低于30 MACD金叉买入", "macd"), ("buy when RSI is below 30 RSI(2) above 90", "rsi")],
    ids=["zh-concept-after", "en-own-parameters"],
)
def test_parse_strategy_number_after_a_comparison_before_a_new_subject_is_the_threshold(
    text: str, second: str
) -> None:
    spec = _spec(text)

    assert isinstance(spec.entry, AllOf)
    first, following = spec.entry.items
    assert first == _rsi("<", 30)
    assert isinstance(following, Compare | Cross)
    assert following.left.kind == "indicator"
    assert following.left.name == second
    assert following.left.params != {"period": 30}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RSI 30 低于 20 买入", _rsi("<", 20, period=30)),
        ("30 RSI below 20 buy", _rsi("<", 20, period=30)),
        ("buy when 30 RSI is below 20", _rsi("<", 20, period=30)),
        ("buy when price is above 50 SMA",
         Compare(op=">", left=CLOSE, right=canonical_indicator("sma", {"period": 50}))),
        ("收盘价上穿 20 均线买入",
         Cross(direction="above", left=CLOSE, right=canonical_indicator("sma", {"period": 20}))),
    ],
    ids=["zh-period-after", "en-period-first", "en-period-before", "en-nothing-after",
         "zh-nothing-after"],
)  # fmt: skip
def test_parse_strategy_number_next_to_an_indicator_that_opens_no_relation_is_its_period(
    text: str, expected: Any
) -> None:
    spec = _spec(text)

    assert spec.entry == expected
