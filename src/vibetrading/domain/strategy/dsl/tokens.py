"""Split a strategy idea into tokens: words of the lexicon, indicators, numbers, symbols.

Chinese has no spaces, so the tokenizer matches the phrase index longest first at each
position, and takes a number, a symbol code or a phrase, whichever is longer. English
phrases must end on a word boundary. An unknown English word close to a known one
("crosess") is read as that word and the correction is reported; anything else unknown
becomes an ``unk`` token that the parser quotes back.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from vibetrading.domain.strategy.dsl.numbers import read_number
from vibetrading.domain.strategy.dsl.vocabulary import Entry, fold, vocabulary
from vibetrading.domain.trading.symbols import parse_symbol
from vibetrading.errors import UnknownSymbol

__all__ = ["Token", "Tokenized", "is_cjk", "tokenize"]

_SEPARATORS = frozenset(";。!?\n|")
_PUNCT = frozenset("()+-*/:.,")
_SKIP = frozenset("\"'“”「」『』《》[]{}~`")
_SYMBOL_SHAPES = re.compile(
    r"(?:sh|sz)\d{6}(?!\d)|\d{4,6}\.(?:hk|sh|sz|ss)(?![a-z])|[a-z]{2,6}/[a-z]{3,5}(?![a-z])"
)
_WORD = re.compile(r"[a-z][a-z0-9'_]*")
_PLAIN_WORD = re.compile(r"[a-z]{4,}(?![a-z0-9'_])")
_DAY_LINES = frozenset({"日线", "天线"})
_BEFORE_SYMBOL = frozenset({"BUY", "SELL", "SHORT", "COVER", "OF", "AND", "WHEN"})


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, key, the original text it covers and, for numbers, the value.

    Kinds: ``word`` (a lexicon concept such as BUY or CROSS_ABOVE), ``fill`` (a word
    with no meaning of its own), ``ind`` (an indicator), ``ind_out`` / ``out`` (an
    indicator output, alone or after an indicator), ``price``, ``sym``, ``tf``
    (timeframe), ``num``, ``punct``, ``sep`` (clause separator) and ``unk``.
    """

    kind: str
    key: str
    text: str
    start: int
    end: int
    lang: str = ""
    value: Decimal | None = None
    unit: str = ""
    options: tuple[tuple[str, str], ...] = ()


@dataclass
class Tokenized:
    """The tokens of a text and the spelling corrections made on the way."""

    tokens: list[Token]
    corrections: list[tuple[str, str]] = field(default_factory=list)


def is_cjk(char: str) -> bool:
    """Return True for a Chinese character."""
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


class _Scanner:
    def __init__(self, text: str) -> None:
        self.original = text
        self.folded = fold(text)
        self.origin = [*range(len(text)), len(text)]
        self.tokens: list[Token] = []
        self.corrections: list[tuple[str, str]] = []
        self.depth = 0

    def span(self, start: int, end: int) -> tuple[str, int, int]:
        begin, finish = self.origin[start], self.origin[end - 1] + 1
        return self.original[begin:finish], begin, finish

    def add(self, kind: str, key: str, start: int, end: int, **extra: object) -> int:
        text, begin, finish = self.span(start, end)
        self.tokens.append(Token(kind, key, text, begin, finish, **extra))  # type: ignore[arg-type]
        return end

    def correct_spelling(self) -> None:
        known = vocabulary().all_words
        for word in reversed(list(_PLAIN_WORD.finditer(self.folded))):
            if word.group() in known or not self.is_word_start(word.start()):
                continue
            correction = _correct(word.group())
            if correction is not None:
                text = self.span(word.start(), word.end())[0]
                self.replace(word.start(), word.end(), correction)
                self.corrections.insert(0, (text, correction))

    def is_word_start(self, i: int) -> bool:
        return i == 0 or not self.folded[i - 1].isalnum()

    def run(self) -> Tokenized:
        self.correct_spelling()
        i = 0
        while i < len(self.folded):
            i = self.step(i)
        return Tokenized(_day_lines(self.tokens), self.corrections)

    def step(self, i: int) -> int:
        char = self.folded[i]
        if char == "'" and self.is_possessive(i):
            return i + 2  # "MACD's signal", "Apple's RSI", "it's": the 's adds nothing
        if (char.isspace() and char != "\n") or char in _SKIP:
            return i + 1
        if char in _SEPARATORS or (char == "." and self.is_sentence_end(i)):
            return self.add("sep", ";", i, i + 1)
        if char == "," and self.depth == 0:
            return self.add("sep", ",", i, i + 1)
        matched = self.match(i)
        if matched is not None:
            return matched
        if char in _PUNCT:
            self.depth += {"(": 1, ")": -1}.get(char, 0)
            return self.add("punct", char, i, i + 1)
        return self.unknown(i)

    def is_possessive(self, i: int) -> bool:
        after = self.folded[i + 2 : i + 3]
        return (
            i > 0
            and self.folded[i - 1].isalnum()
            and self.folded[i + 1 : i + 2] == "s"
            and not (after.isalnum() or after == "_")
        )

    def is_sentence_end(self, i: int) -> bool:
        following = self.folded[i + 1 : i + 2]
        return not following or following.isspace() or is_cjk(following)

    def match(self, i: int) -> int | None:
        phrase = _longest_phrase(self.folded, i)
        number = read_number(self.folded, i, grouping=self.depth == 0)
        symbol = self.symbol_shape(i)
        best = max(
            (phrase[1] if phrase else 0, 2),
            (number.end if number else 0, 1),
            (symbol[1] if symbol else 0, 3),
        )
        if best[0] <= i:
            return None
        if best[1] == 3 and symbol is not None:
            return self.add("sym", symbol[0], i, symbol[1], lang="en")
        if best[1] == 2 and phrase is not None:
            entry = phrase[0]
            return self.add(entry.kind, entry.key, i, phrase[1], lang=entry.lang,
                            options=entry.options)  # fmt: skip
        if number is not None:
            return self.add("num", "num", i, number.end, value=number.value, unit=number.unit)
        return None

    def symbol_shape(self, i: int) -> tuple[str, int] | None:
        found = _SYMBOL_SHAPES.match(self.folded, i)
        if found is None or (i > 0 and self.folded[i - 1].isalnum()):
            return None
        code = _symbol_code(self.span(i, found.end())[0])
        return (code, found.end()) if code else None

    def unknown(self, i: int) -> int:
        word = _WORD.match(self.folded, i)
        if word is None:
            return self.unknown_char(i)
        text, _, _ = self.span(i, word.end())
        if 2 <= len(text) <= 5 and text.isalpha() and text.isupper() and self.may_name_symbol():
            code = _symbol_code(text)
            if code:
                return self.add("sym", code, i, word.end(), lang="en")
        correction = _correct(word.group())
        if correction is not None:
            self.replace(i, word.end(), correction)
            self.corrections.append((text, correction))
            return i
        return self.add("unk", word.group(), i, word.end(), lang="en")

    def may_name_symbol(self) -> bool:
        # a bare ticker (QQQ) only where an instrument is expected: first, or after
        # buy/sell/short, "of"/"on"/"in", or "AAPL and"
        shown = [t for t in self.tokens if t.kind != "fill"]
        previous = shown[-1] if shown else None
        if previous is None or previous.kind == "sep":
            return True
        return previous.kind == "word" and previous.key in _BEFORE_SYMBOL

    def unknown_char(self, i: int) -> int:
        last = self.tokens[-1] if self.tokens else None
        text, begin, finish = self.span(i, i + 1)
        lang = "zh" if is_cjk(text) else ""
        if last is not None and last.kind == "unk" and last.end == begin and lang == last.lang:
            merged = self.original[last.start : finish]
            self.tokens[-1] = Token("unk", merged, merged, last.start, finish, lang)
        else:
            self.tokens.append(Token("unk", text, text, begin, finish, lang))
        return i + 1

    def replace(self, start: int, end: int, word: str) -> None:
        first, last = self.origin[start], self.origin[end - 1]
        mapping = [first] * (len(word) - 1) + [last]
        self.folded = self.folded[:start] + word + self.folded[end:]
        self.origin = self.origin[:start] + mapping + self.origin[end:]


def _day_lines(tokens: list[Token]) -> list[Token]:
    # "5日线" is the 5-day moving average, not "5" followed by 日线 (daily bars)
    found: list[Token] = []
    for token in tokens:
        previous = found[-1] if found else None
        is_line = token.kind == "tf" and token.text in _DAY_LINES
        after_number = previous is not None and previous.kind == "num"
        if is_line and after_number and previous is not None and previous.end == token.start:
            middle = token.start + 1
            found.append(Token("word", "BAR", token.text[:1], token.start, middle, "zh"))
            found.append(Token("ind", "sma", token.text[1:], middle, token.end, "zh"))
        else:
            found.append(token)
    return found


def _longest_phrase(text: str, i: int) -> tuple[Entry, int] | None:
    words = vocabulary()
    if i > 0 and text[i].isascii() and text[i].isalpha() and _is_letter(text[i - 1]):
        return None
    for length in words.lengths.get(text[i], ()):
        candidate = text[i : i + length]
        entry = words.lookup(candidate)
        if entry is not None and len(candidate) == length and _ends_cleanly(text, i + length):
            return entry, i + length
    return None


def _is_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _ends_cleanly(text: str, end: int) -> bool:
    if end >= len(text):
        return True
    last, following = text[end - 1], text[end]
    if _is_letter(last):
        return not _is_letter(following)
    if last.isdigit():
        return not (following.isdigit() or (following == "." and text[end + 1 : end + 2].isdigit()))
    return True


@lru_cache(maxsize=512)
def _symbol_code(text: str) -> str | None:
    try:
        return parse_symbol(text).code
    except UnknownSymbol:
        return None


@lru_cache(maxsize=2048)
def _correct(word: str) -> str | None:
    if len(word) < 4 or not word.isalpha():
        return None
    words = vocabulary().english_words
    if word in words:
        return None
    found = difflib.get_close_matches(word, words, n=1, cutoff=0.82)
    return found[0] if found else None


def tokenize(text: str) -> Tokenized:
    """Return the tokens of `text`, with the spelling corrections that were made.

    Example: ``tokenize("RSI低于30买入").tokens`` holds an ``ind`` token (rsi), a ``word``
    (LT), a ``num`` (30) and a ``word`` (BUY).
    """
    return _Scanner(text).run()
