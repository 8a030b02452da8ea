"""The parser's assumptions read in Chinese: every phrasing the corpus produces is known."""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path

import pytest

from vibetrading.domain.strategy import assumption_words
from vibetrading.domain.strategy.assumption_words import localize_assumption, localize_assumptions
from vibetrading.domain.strategy.dsl import parse_strategy

CORPUS = Path(__file__).parents[3] / "golden" / "strategy_corpus.json"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _corpus_assumptions() -> set[str]:
    cases = json.loads(CORPUS.read_text(encoding="utf-8"))["cases"]
    return {a for case in cases for a in parse_strategy(case["text"]).assumptions}


def test_every_assumption_the_corpus_produces_has_a_chinese_reading() -> None:
    seen = _corpus_assumptions()
    untranslated = sorted(a for a in seen if not _CJK.search(localize_assumption(a, "zh")))

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
    assert localize_assumption(english, "zh") == chinese


def test_english_and_unknown_sentences_are_returned_unchanged() -> None:
    seen = sorted(_corpus_assumptions())

    assert localize_assumptions(seen, "en") == seen
    assert localize_assumption("something new the parser says", "zh") == (
        "something new the parser says"
    )


def test_module_examples_hold() -> None:
    assert doctest.testmod(assumption_words).failed == 0


def test_chinese_idea_prints_chinese_assumptions_in_the_cli() -> None:
    from typer.testing import CliRunner

    from vibetrading.cli.main import app

    result = CliRunner().invoke(app, ["strategy", "parse", "RSI低于30买入腾讯，RSI高于70卖出"])

    assert result.exit_code == 0
    assert "RSI 未给出周期：使用 14" in result.output
    assert "period not given" not in result.output
