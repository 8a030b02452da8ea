"""Numbers as people write them: digits, English words, Chinese numerals, percentages.

``read_number(text, i)`` reads one number starting at ``text[i]`` of lower-cased,
NFKC-normalised text and says how far it went::

    >>> read_number("thirty", 0).value
    Decimal('30')
    >>> m = read_number("百分之五", 0); (m.value, m.unit)
    (Decimal('5'), '%')
    >>> m = read_number("一成", 0); (m.value, m.unit)
    (Decimal('10'), '%')

Values are Decimals so that "12.34%" becomes exactly the double nearest 0.1234.
"""

# Chinese text and look-alike characters are matched on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

__all__ = [
    "NUMBER_WORDS",
    "NumberMatch",
    "NumberUnit",
    "chinese_numeral",
    "format_number",
    "read_number",
]

NumberUnit = Literal["", "%", "$"]


@dataclass(frozen=True, slots=True)
class NumberMatch:
    """A number read from text: its value, unit ("%" percent, "$" cash) and end index."""

    value: Decimal
    unit: NumberUnit
    end: int


_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_CHARS = set(_CN_DIGITS) | set(_CN_UNITS) | set(_CN_BIG)

_EN_ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
NUMBER_WORDS = frozenset(_EN_ONES) | frozenset(_EN_TENS) | frozenset(_EN_SCALES)
"""Number words in English, for the spelling corrector to leave alone."""

_DIGITS = re.compile(r"\d+(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|\.\d+")
_DIGITS_PLAIN = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_EN_WORD = re.compile(r"[a-z]+")
_SUFFIXES: tuple[tuple[str, Decimal, NumberUnit], ...] = (
    (" per cent", Decimal(1), "%"),
    (" percent", Decimal(1), "%"),
    ("percent", Decimal(1), "%"),
    (" pct", Decimal(1), "%"),
    (" %", Decimal(1), "%"),
    ("%", Decimal(1), "%"),
    ("个百分点", Decimal(1), "%"),
    (" dollars", Decimal(1), "$"),
    (" usd", Decimal(1), "$"),
    ("美元", Decimal(1), "$"),
    ("元", Decimal(1), "$"),
    ("块钱", Decimal(1), "$"),
    ("块", Decimal(1), "$"),
)


def chinese_numeral(text: str) -> Decimal | None:
    """Return the value of a Chinese numeral such as 三十, 两百, 一万五千 or 一点五."""
    whole, _, fraction = text.partition("点")
    value = _cn_integer(whole)
    if value is None:
        return None
    if not fraction:
        return Decimal(value)
    digits = [_CN_DIGITS.get(c) for c in fraction]
    if any(d is None for d in digits):
        return None
    return Decimal(f"{value}.{''.join(str(d) for d in digits)}")


def _cn_integer(text: str) -> int | None:
    if not text or any(c not in _CN_CHARS for c in text):
        return None
    total, section, digit = 0, 0, 0
    for char in text:
        if char in _CN_DIGITS:
            digit = digit * 10 + _CN_DIGITS[char] if digit and section == 0 else _CN_DIGITS[char]
        elif char in _CN_UNITS:
            section += (digit or 1) * _CN_UNITS[char]
            digit = 0
        else:
            total = (total + section + digit) * _CN_BIG[char]
            section, digit = 0, 0
    return total + section + digit


def _apply_suffix(text: str, match: NumberMatch) -> NumberMatch:
    rest = text[match.end :]
    for suffix, factor, unit in _SUFFIXES:
        if rest.startswith(suffix) and not _letter_after(text, match.end + len(suffix)):
            unit = unit if not match.unit else match.unit
            return NumberMatch(match.value * factor, unit, match.end + len(suffix))
    return match


def _letter_after(text: str, i: int) -> bool:
    return i < len(text) and text[i].isascii() and text[i].isalpha()


def _read_digits(text: str, i: int, *, grouping: bool) -> NumberMatch | None:
    unit: NumberUnit = ""
    start = i
    if text[i] in "$¥":
        unit, start = "$", i + 1
    found = (_DIGITS if grouping else _DIGITS_PLAIN).match(text, start)
    if found is None:
        return None
    value = Decimal(found.group().replace(",", ""))
    end = found.end()
    scale = _scale_after(text, end)
    if scale is not None:
        value, end = value * scale[0], scale[1]
    if text.startswith("成", end) and not text.startswith("成交", end):
        return NumberMatch(value * 10, "%", end + 1)
    return _apply_suffix(text, NumberMatch(value, unit, end))


def _scale_after(text: str, end: int) -> tuple[Decimal, int] | None:
    if text.startswith("k", end) and not _letter_after(text, end + 1):
        return Decimal(1000), end + 1
    if text.startswith("万", end):
        return Decimal(10_000), end + 1
    return None


def _read_chinese(text: str, i: int) -> NumberMatch | None:
    percent = text.startswith("百分之", i)
    start = i + 3 if percent else i
    end = start
    while end < len(text) and (text[end] in _CN_CHARS or _is_cn_point(text, end, start)):
        end += 1
    value = chinese_numeral(text[start:end])
    if value is None:
        return None
    if percent:
        return NumberMatch(value, "%", end)
    if text.startswith("成", end) and not text.startswith("成交", end):
        return NumberMatch(value * 10, "%", end + 1)
    return _apply_suffix(text, NumberMatch(value, "", end))


def _is_cn_point(text: str, i: int, start: int) -> bool:
    return text[i] == "点" and i > start and i + 1 < len(text) and text[i + 1] in _CN_DIGITS


def _read_english(text: str, i: int) -> NumberMatch | None:
    total, current, end, seen = 0, 0, i, False
    position = i
    while (word := _EN_WORD.match(text, position)) is not None:
        name = word.group()
        if name in _EN_ONES or name in _EN_TENS:
            current += _EN_ONES.get(name, 0) + _EN_TENS.get(name, 0)
        elif name in _EN_SCALES and seen:
            current = max(current, 1) * _EN_SCALES[name]
            if _EN_SCALES[name] >= 1000:
                total, current = total + current, 0
        else:
            break
        seen, end = True, word.end()
        position = end + 1 if end < len(text) and text[end] in " -" else len(text) + 1
    if not seen:
        return None
    return _apply_suffix(text, NumberMatch(Decimal(total + current), "", end))


def read_number(text: str, i: int, *, grouping: bool = True) -> NumberMatch | None:
    """Read a number at `text[i]`; return None when there is none.

    Accepts ``5``, ``1.5``, ``10,000`` (when `grouping`), ``$10k``, ``5%``, ``5 percent``,
    ``thirty``, ``twenty-five``, ``三十``, ``两百``, ``1万``, ``百分之五``, ``一成`` (10%),
    ``一万元`` (cash). English words must start at a word boundary.
    """
    char = text[i]
    if char.isdigit() or char in "$¥" or (char == "." and text[i + 1 : i + 2].isdigit()):
        return _read_digits(text, i, grouping=grouping)
    if char in _CN_CHARS or text.startswith("百分之", i):
        return _read_chinese(text, i)
    if char.isascii() and char.isalpha() and (i == 0 or not text[i - 1].isalnum()):
        return _read_english(text, i)
    return None


def format_number(value: float) -> str:
    """Return `value` written the shortest way that reads back exactly (``30``, ``0.5``)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
