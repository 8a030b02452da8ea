"""Modifier phrases: stops, targets, holding periods, position size, timeframe, direction.

Each pattern is a short sequence of token tests matched anywhere in a clause; a match is
removed from the clause and recorded as a setting, never as a rule. Tests:

* ``KEY`` or ``KEY|OTHER`` - a word with that concept key (``?KEY``: optional)
* ``N`` any number, ``%N`` a percentage, ``#N`` a plain number, ``$N`` an amount of cash
* ``PRICE`` the word price / 股价 (the close)

Filler words may appear anywhere in between. A setting written ``!stop_loss`` applies
only in a clause with no buy/short word ("falls 5%" in a buy clause is an entry rule).

Profit and loss percentages are risk settings only (SEMANTICS.md): "stop loss 5%",
亏5%就卖 and 跌一成割肉 all set ``risk.stop_loss``; "hold 5 days then sell" becomes an
exit rule (``exit = entry 5 bars ago``) and "hold at most 10 days" the
``max_holding_bars`` limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vibetrading.domain.strategy.dsl.tokens import Token

__all__ = ["MODIFIER_PATTERNS", "Match", "match_at", "patterns_for"]

_LOSS = "LOSS|DOWN_DAY"
_GAIN = "GAIN|UP_DAY"
_EXIT = "SELL|STOP"
_NOT_RISK = "!STOP|TP|TRAIL"
MODIFIER_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("max_holding_bars", ("MAX|LE", "HOLD", "?FOR", "#N", "BAR")),
    ("max_holding_bars", ("HOLD", "?FOR", "MAX|LE", "#N", "BAR")),
    ("max_holding_bars", ("SELL", "AFTER", "MAX|LE", "#N", "BAR")),
    ("max_holding_bars", ("MAX", "?OF", "#N", "BAR")),
    ("hold_exit", ("HOLD", "?FOR", "#N", "BAR", "?AFTER", "?THEN", "?AFTER", "?SELL|COVER")),
    ("hold_exit", ("SELL", "AFTER", "#N", "BAR")),
    ("hold_exit", ("#N", "BAR", "AFTER", "?THEN", "SELL")),
    ("trailing_stop", ("TRAIL", "?STOP", "?OF", "?ZAI", "?LOSS", "N")),
    ("trailing_stop", ("%N", "TRAIL", "?STOP")),
    ("stop_loss", ("STOP", "?OF", "?ZAI", "?LOSS", "N")),
    ("stop_loss", ("%N", "STOP")),
    ("take_profit", ("TP", "?OF", "?ZAI", "?GAIN", "N")),
    ("take_profit", ("%N", "TP")),
    ("stop_loss", (_LOSS, "N", "?WHEN_END", "?THEN", _EXIT)),
    ("stop_loss", ("^" + _EXIT, "?WHEN", "?IT", "?PRICE", "?POSITION", _LOSS, "N")),
    ("take_profit", (_GAIN, "N", "?WHEN_END", "?THEN", "SELL|TP")),
    ("take_profit", ("^SELL|TP", "?WHEN", "?IT", "?PRICE", "?POSITION", _GAIN, "N")),
    ("!stop_loss", ("?WHEN", "?IT", "?PRICE", "?POSITION", "LOSS", "%N")),
    ("!take_profit", ("?WHEN", "?IT", "?PRICE", "?POSITION", "GAIN", "%N")),
    ("percent_equity", ("ALL_IN",)),
    ("percent_equity", ("HALF",)),
    ("percent_equity", ("POSITION", "?OF", "EQUITY", "?OF", "%N")),
    ("percent_equity", ("POSITION", "?OF", "%N", "?EQUITY|POSITION", _NOT_RISK)),
    ("percent_equity", ("%N", "?OF", "EQUITY|POSITION")),
    ("volatility_target", ("VOL_TARGET", "?OF", "%N")),
    ("volatility_target", ("%N", "VOL_TARGET")),
    ("fixed_quantity", ("PER_TRADE", "?BUY", "#N", "SHARES")),
    ("fixed_quantity", ("#N", "SHARES", "?PER_TRADE")),
    ("fixed_cash", ("PER_TRADE", "?BUY", "$N")),
    ("fixed_cash", ("POSITION", "$N", "?PER_TRADE")),
    ("fixed_cash", ("$N", "PER_TRADE")),
    ("fixed_cash", ("^BUY", "$N")),
    ("fixed_cash", ("#N", "PER_TRADE")),
    ("equal_weight", ("EQUAL_WEIGHT",)),
    ("direction_both", ("BOTH_DIR",)),
    ("direction_long", ("LONG_ONLY",)),
)
_NUMBER_TESTS = {"N": ("", "%", "$"), "%N": ("%",), "#N": ("",), "$N": ("$",)}
_FIXED_VALUES = {"ALL_IN": Decimal(1), "HALF": Decimal("0.5"), "EQUAL_WEIGHT": Decimal(1)}


def _start_keys(pattern: tuple[str, ...]) -> set[str]:
    keys: set[str] = set()
    for test in pattern:
        if test.startswith("!"):
            continue
        name = test.lstrip("?^")
        keys.update(["#num"] if name in _NUMBER_TESTS else name.split("|"))
        if not test.startswith("?"):
            break
    return keys


def _index() -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    table: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for setting, pattern in MODIFIER_PATTERNS:
        for key in _start_keys(pattern):
            table.setdefault(key, []).append((setting, pattern))
    return {key: tuple(found) for key, found in table.items()}


def patterns_for(token: Token) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return the patterns that can start at `token`, in table order."""
    if token.kind == "num":
        key = "#num"
    elif token.kind == "price":
        key = "PRICE"
    else:
        key = token.key if token.kind == "word" else ""
    return _INDEX.get(key, ())


@dataclass(frozen=True)
class Match:
    """A modifier found in a clause: its setting, the number it carries and where it ends.

    `unit` is the number's unit ("%", "$" or "") or "x" for a fixed fraction (half = 0.5).
    """

    setting: str
    value: Decimal | None
    unit: str
    start: int
    end: int
    tokens: tuple[Token, ...]


def _token_fits(token: Token, test: str) -> bool:
    if test == "PRICE":
        return token.kind == "price" and token.key == "close"
    if test in _NUMBER_TESTS:
        return token.kind == "num" and token.unit in _NUMBER_TESTS[test]
    return token.kind == "word" and token.key in test.split("|")


def match_at(
    tokens: list[Token], start: int, setting: str, pattern: tuple[str, ...]
) -> Match | None:
    """Match `pattern` at `tokens[start]` (fillers skipped); return the match or None.

    A first test written ``^KEY`` must match but stays in the clause ("buy $5,000 ...");
    a test written ``!KEY`` must not match the next token and consumes nothing.
    """
    i, number, begin = start, None, start
    for position, test in enumerate(pattern):
        optional = test.startswith("?")
        test = test.lstrip("?^")
        i = _skip_fillers(tokens, i, start)
        if test.startswith("!"):
            if i < len(tokens) and _token_fits(tokens[i], test[1:]):
                return None
            continue
        if i < len(tokens) and _token_fits(tokens[i], test):
            number = tokens[i] if test in _NUMBER_TESTS else number
            i += 1
            begin = i if position == 0 and pattern[0].startswith("^") else begin
        elif not optional:
            return None
    if i == begin:
        return None
    return _make_match(setting, tokens, begin, i, number)


def _skip_fillers(tokens: list[Token], i: int, start: int) -> int:
    while i > start and i < len(tokens) and tokens[i].kind == "fill":
        i += 1
    return i


def _make_match(
    setting: str, tokens: list[Token], start: int, end: int, number: Token | None
) -> Match:
    value = number.value if number is not None else None
    unit = number.unit if number is not None else ""
    if value is None:
        first = next(t for t in tokens[start:end] if t.kind == "word")
        value = _FIXED_VALUES.get(first.key)
        unit = "x" if value is not None else unit
    return Match(setting, value, unit, start, end, tuple(tokens[start:end]))


_INDEX = _index()
