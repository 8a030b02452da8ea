"""The phrase index the tokenizer matches against: lexicon, registry and instrument names.

Built once: every phrase (lower-cased, NFKC) maps to an ``Entry`` saying what kind of
token it makes. Indicator names, aliases and output names come from the indicator
registry; instrument names from ``KNOWN_INSTRUMENTS``; everything else from
``lexicon.py``. Where a phrase belongs to two tables the lexicon wins, so colloquial
phrases such as 红柱 ("the MACD histogram is positive") keep their meaning.
"""

# Chinese text and look-alike characters are matched on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from vibetrading.domain.indicators import REGISTRY
from vibetrading.domain.strategy.dsl.lexicon import (
    EN_WORDS,
    PRICE_WORDS,
    TIMEFRAME_WORDS,
    ZH_WORDS,
)
from vibetrading.domain.strategy.dsl.numbers import NUMBER_WORDS
from vibetrading.domain.trading.symbols import KNOWN_INSTRUMENTS

__all__ = ["Entry", "Vocabulary", "fold", "vocabulary"]

# Output aliases too generic to name an indicator on their own.
_GENERIC_OUTPUTS = frozenset(
    {"line", "top", "bottom", "mid", "high", "low", "b", "basis", "width", "开口", "柱", "柱子",
     "k", "d", "j", "value", "fast line", "slow line", "macd", "adx", "signal", "upper",
     "lower", "middle", "k line", "d line", "j line"}
)  # fmt: skip
_SKIPPED_OUTPUTS = frozenset({"highest high", "lowest low"})
# Colloquial names for indicators, beside the registry's own aliases.
_COLLOQUIAL_INDICATORS = {
    "return": "roc", "returns": "roc", "涨跌幅": "roc", "天线": "sma", "dma": "sma",
}  # fmt: skip
# Chinese names of moving averages by their length: 季线 is the 60-day line.
_NAMED_AVERAGES = {"季线": 60, "半年线": 120, "年线": 250, "牛熊线": 250}
_EXTRA_SYMBOLS = {
    "btc": "BTC/USDT", "eth": "ETH/USDT", "s&p": "SPX", "标普指数": "SPX", "苹果公司": "AAPL",
    "纳斯达克指数": "IXIC", "the s&p 500": "SPX", "spx500": "SPX", "以太币": "ETH/USDT",
}  # fmt: skip


def fold(text: str) -> str:
    """Return `text` NFKC-normalised and case-folded, one output character per input one."""
    return "".join(_fold_char(c) for c in text)


def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).casefold()
    if len(folded) != 1:
        return char
    return {"’": "'", "‘": "'", "—": "-", "–": "-", "×": "*", "÷": "/"}.get(folded, folded)


@dataclass(frozen=True, slots=True)
class Entry:
    """What a phrase means: a token kind, its key and its options.

    For indicator outputs the options are (indicator, output) pairs; for a named moving
    average (年线) they hold its ("period", "250").
    """

    kind: str
    key: str
    lang: str = ""
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Vocabulary:
    """Phrases by text, with the lengths to try for each first character (longest first)."""

    phrases: dict[str, Entry]
    lengths: dict[str, tuple[int, ...]]
    english_words: frozenset[str]
    all_words: frozenset[str]

    def lookup(self, text: str) -> Entry | None:
        """Return the entry of the exact phrase `text`, or None."""
        return self.phrases.get(text)


def _lang_of(phrase: str) -> str:
    return "zh" if any("\u4e00" <= c <= "\u9fff" for c in phrase) else "en"


def _registry_entries() -> dict[str, Entry]:
    table: dict[str, Entry] = {}
    outputs: dict[str, list[tuple[str, str]]] = {}
    for info in REGISTRY.values():
        for alias in (info.name, *info.aliases):
            for form in _spellings(alias):
                table.setdefault(form, Entry("ind", info.name, _lang_of(form)))
        for output in info.outputs:
            for alias in (output, *info.output_aliases.get(output, ())):
                for form in _spellings(alias):
                    outputs.setdefault(form, []).append((info.name, output))
        if "upper" in info.outputs and info.name == "bbands":
            table.update(_band_phrases(info.name, info.aliases))
    for form, options in outputs.items():
        if form not in table and form not in _SKIPPED_OUTPUTS:
            kind = "out" if form in _GENERIC_OUTPUTS else "ind_out"
            table[form] = Entry(kind, options[0][1], _lang_of(form), tuple(options))
    return table


def _band_phrases(name: str, aliases: tuple[str, ...]) -> dict[str, Entry]:
    table: dict[str, Entry] = {}
    for alias in aliases:
        if _lang_of(alias) == "en":
            for side in ("upper", "lower", "middle"):
                form = f"{side} {alias.casefold()}"
                table[form] = Entry("ind_out", side, "en", ((name, side),))
    return table


def _spellings(alias: str) -> set[str]:
    base = fold(alias)
    return {base, base.replace(" ", "-"), base.replace(" ", ""), base.replace("_", " ")}


def _instrument_entries() -> dict[str, Entry]:
    table: dict[str, Entry] = {}
    for instrument in KNOWN_INSTRUMENTS:
        for name in (instrument.code, *instrument.names):
            table.setdefault(fold(name), Entry("sym", instrument.code, _lang_of(name)))
    for name, code in _EXTRA_SYMBOLS.items():
        table[fold(name)] = Entry("sym", code, _lang_of(name))
    for name, indicator in _COLLOQUIAL_INDICATORS.items():
        table[fold(name)] = Entry("ind", indicator, _lang_of(name))
    for name, period in _NAMED_AVERAGES.items():
        table[fold(name)] = Entry("ind", "sma", "zh", (("period", str(period)),))
    return table


def _word_entries() -> dict[str, Entry]:
    table: dict[str, Entry] = {}
    for lang, words in (("en", EN_WORDS), ("zh", ZH_WORDS)):
        for key, phrases in words.items():
            for phrase in phrases:
                kind = "fill" if key == "FILL" else "word"
                table.setdefault(fold(phrase), Entry(kind, key, lang))
    for field, phrases in PRICE_WORDS.items():
        for phrase in phrases:
            table.setdefault(fold(phrase), Entry("price", field, _lang_of(phrase)))
    for code, phrases in TIMEFRAME_WORDS.items():
        for phrase in phrases:
            table.setdefault(fold(phrase), Entry("tf", code, _lang_of(phrase)))
    return table


@cache
def vocabulary() -> Vocabulary:
    """Return the phrase index (built on first use)."""
    phrases = _registry_entries()
    phrases.update(_instrument_entries())
    phrases.update(_word_entries())
    lengths: dict[str, set[int]] = {}
    for phrase in phrases:
        lengths.setdefault(phrase[0], set()).add(len(phrase))
    english = {
        word
        for phrase in phrases
        for word in phrase.replace("-", " ").split()
        if word.isascii() and word.isalpha() and len(word) >= 4
    }
    every = {word for phrase in phrases for word in re.split(r"[^a-z]+", phrase) if word}
    return Vocabulary(
        phrases=phrases,
        lengths={c: tuple(sorted(ls, reverse=True)) for c, ls in lengths.items()},
        english_words=frozenset(english),
        all_words=frozenset(every | set(NUMBER_WORDS)),
    )
