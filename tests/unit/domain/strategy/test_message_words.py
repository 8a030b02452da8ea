"""The parser's assumptions read in Chinese: every phrasing the corpus produces is known."""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import pytest

from vibetrading.domain.strategy import message_words
from vibetrading.domain.strategy.dsl import parse_strategy
from vibetrading.domain.strategy.message_words import (
    localize_note,
    localize_notes,
)

CORPUS = Path(__file__).parents[3] / "golden" / "strategy_corpus.json"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _corpus_assumptions() -> set[str]:
    cases = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]
    return {a for case in cases for a in parse_strategy(case["text"]).assumptions}


def test_every_assumption_the_corpus_produces_has_a_chinese_reading() -> None:
    seen = _corpus_assumptions()
    untranslated = sorted(a for a in seen if not _CJK.search(localize_note(a, "zh")))

    assert len(seen) > 30
    assert untranslated == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("no instrument named: used 0700.HK", "未指定标的：使用 0700.HK"),
        ("RSI period not given: used 14", "RSI 未给出周期：使用 14"),
        (
            "MACD fast, slow, signal not given: used 12, 26, 9",
            "MACD 未给出快线周期、慢线周期、信号线周期：使用 12、26、9",
        ),
        ("'oversold' read as RSI(14) < 30", "“超卖”读作 RSI(14) < 30"),
        (
            "'touches' read as close <= BBANDS(20,2).lower",
            "“触及”读作 收盘价 <= BBANDS(20,2).lower",
        ),
        (
            "'跌破' alone: close and SMA(50) from before",
            "单独的“跌破”：沿用前面的 收盘价 和 SMA(50)",
        ),
        ("2 separate exit rules: any one triggers", "2 条独立的出场规则：任一满足即触发"),
        ("no subject given: used the close price", "未指明比较对象：使用收盘价"),
    ],
)
def test_known_phrasings_read_in_chinese(english: str, chinese: str) -> None:
    assert localize_note(english, "zh") == chinese


def test_english_and_unknown_sentences_are_returned_unchanged() -> None:
    seen = sorted(_corpus_assumptions())

    assert localize_notes(seen, "en") == seen
    assert localize_note("something new the parser says", "zh") == ("something new the parser says")


def test_module_examples_hold() -> None:
    assert doctest.testmod(message_words).failed == 0


def test_chinese_idea_prints_chinese_assumptions_in_the_cli() -> None:
    from typer.testing import CliRunner

    from vibetrading.cli.main import app

    result = CliRunner().invoke(app, ["strategy", "parse", "RSI低于30买入腾讯，RSI高于70卖出"])

    assert result.exit_code == 0
    assert "RSI 未给出周期：使用 14" in result.output
    assert "period not given" not in result.output


def test_every_warning_and_suggestion_of_the_chinese_corpus_reads_in_chinese() -> None:
    from vibetrading.services.strategies import read_strategy

    cases = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]
    notes: set[str] = set()
    for case in cases:
        if case["group"] == "zh":
            result = read_strategy(case["text"])
            notes |= set(result.warnings) | {s["reason"] for s in result.suggestions}
    untranslated = sorted(n for n in notes if not _CJK.search(localize_note(n, "zh")))

    assert len(notes) >= 4
    assert untranslated == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("No condition was found for the sell rule.", "没有找到卖出规则的条件。"),
        (
            "No stop-loss given; 7% below the entry price is about three typical bar ranges "
            "(3 x ATR 14).",
            "未设止损；入场价下方 7% 是约三根K线的典型波幅（3 × ATR 14）。",
        ),
        (
            "No exit: there is no exit rule and no stop-loss, take-profit, trailing stop or "
            "holding limit, so every position would be held to the end of the data. Suggested: "
            "a 7% stop-loss and a 14% take-profit (not applied until you accept them).",
            "没有出场：既没有卖出规则，也没有止损、止盈、移动止损或持有期限，每笔持仓都会"
            "一直拿到数据结束。建议：7%止损和14%止盈（接受后才会生效）。",
        ),
    ],
)
def test_validator_notes_read_in_chinese(english: str, chinese: str) -> None:
    assert localize_note(english, "zh") == chinese
    assert localize_note(english, "en") == english


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "Entry can never hold: 'RSI(14) > 80' and 'RSI(14) < 20' can never hold together.",
            "入场条件永远不会成立：“RSI(14) > 80”与“RSI(14) < 20”不可能同时成立。",
        ),
        (
            "Entry can never hold: RSI(14) is between 0 and 100; 'RSI(14) > 120' can never hold.",
            "入场条件永远不会成立：RSI(14) 的取值在 0 到 100 之间，“RSI(14) > 120”永远不会成立。",
        ),
        (
            "Exit: one alternative can never hold: 'RSI(14) > RSI(14)' compares a line with "
            "itself.",
            "出场条件：其中一个备选条件永远不会成立：“RSI(14) > RSI(14)”把一条线和它自己比较。",
        ),
        (
            "Entry never held on the data (5,031 bars, 1999-01-04 to 2018-12-31): 'close > "
            "100000' never held; its highest value was 2,930.75 on 2018-09-20.",
            "入场条件在数据上从未成立（5,031 根K线，1999-01-04 至 2018-12-31）：“close > "
            "100000”从未成立；最高值为 2,930.75（2018-09-20）。",
        ),
        (
            "Entry never held on the data (100 bars, 2020-01-01 to 2020-05-01): each of its "
            "conditions held on some bars, but never all together.",
            "入场条件在数据上从未成立（100 根K线，2020-01-01 至 2020-05-01）：每个条件都在某些K线上"
            "成立过，但从未同时成立。",
        ),
    ],
    ids=["together", "range", "alternative", "data-closest", "data-together"],
)
def test_validation_messages_read_in_chinese(english: str, chinese: str) -> None:
    assert localize_note(english, "zh") == chinese


def test_contradiction_of_a_chinese_idea_reads_in_chinese_in_the_cli() -> None:
    from typer.testing import CliRunner

    from vibetrading.cli.main import app

    result = CliRunner().invoke(app, ["strategy", "parse", "RSI高于80且RSI低于20时买入"])

    assert result.exit_code == 1
    assert "入场条件永远不会成立：“RSI(14) > 80”与“RSI(14) < 20”不可能同时成立。" in result.output
