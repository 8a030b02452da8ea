"""Clauses: split an idea into rules (buy / sell / short / cover) and settings.

The text is cut at ``; , 。`` and similar marks. In each clause the modifier patterns
(``patterns.py``) take out stops, targets, sizes and holding periods; timeframe words and
the instruments named next to a role word are taken out too. What is left is split at
the role words. A role word takes the words *after* it when it opens the clause or is
followed by "when"/"if" (English: "buy when RSI < 30"), and the words *before* it
otherwise (Chinese: "RSI低于30时买入"). When a role reading forwards and the next role
reading backwards want the same words, a space between two whole conditions splits them
("买入腾讯 当RSI低于30 RSI高于70卖出"). A clause without a role word joins the next
rule ("When RSI < 30, buy"), or the previous one when it starts with and/or, or fills a
bare role before it when the next rule has a condition of its own ("买入茅台; 当MACD金叉;
死叉卖出").
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from vibetrading.domain.indicators import find_indicator
from vibetrading.domain.strategy.dsl.cursor import Context
from vibetrading.domain.strategy.dsl.grammar import ConditionParser
from vibetrading.domain.strategy.dsl.lexicon import SIGNAL_WORDS
from vibetrading.domain.strategy.dsl.patterns import Match, match_at, patterns_for
from vibetrading.domain.strategy.dsl.tokens import Token
from vibetrading.domain.strategy.dsl.vocabulary import fold

__all__ = ["QUIET_KEYS", "Clauses", "Rule", "is_quiet", "read_clauses"]

_ROLES = {"BUY": "buy", "SELL": "sell", "SHORT": "short", "COVER": "cover",
          "STOP": "sell", "TP": "sell", "TRAIL": "sell"}  # fmt: skip
_ENTRY_WORDS = frozenset({"BUY", "SHORT"})
_OPENERS = frozenset({"WHEN", ":"})
QUIET_KEYS = frozenset({"WHEN", "WHEN_END", "THEN", ":", "AND", "OR", "OF", "TO", "AFTER", "IT"})
"""Function words that carry no content of their own; never quoted back as unparsed."""
_STRIPPED = frozenset({"WHEN", "WHEN_END", "THEN", ":"})
_EDGE = frozenset({"AND", "OR", "AFTER", "OF", "TO"})
_BEFORE_SIGNAL = frozenset({"CROSS_ABOVE", "CROSS_BELOW", "GT", "LT", "GE", "LE", "EQ", "NE",
                            "IT"})  # fmt: skip


@dataclass
class Rule:
    """A role and the tokens of its condition."""

    role: str
    tokens: list[Token]
    role_token: Token | None = None


@dataclass
class Clauses:
    """The rules, settings, instruments and timeframes found in a text."""

    rules: list[Rule] = field(default_factory=list)
    settings: list[Match] = field(default_factory=list)
    universe: list[str] = field(default_factory=list)
    timeframes: list[Token] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)


def is_quiet(token: Token) -> bool:
    """Return True for a token that carries no content: fillers, separators, QUIET_KEYS."""
    if token.kind in ("fill", "sep") or token.text == "":
        return True
    return token.kind in ("word", "punct") and token.key in QUIET_KEYS


def _is_content(token: Token) -> bool:
    if token.kind == "fill":
        return False
    return not (token.kind in ("word", "punct") and token.key in QUIET_KEYS)


def _has_content(tokens: list[Token]) -> bool:
    return any(_is_content(t) for t in tokens)


def _segments(tokens: list[Token]) -> list[list[Token]]:
    segments: list[list[Token]] = [[]]
    for token in tokens:
        if token.kind == "sep":
            segments.append([])
        else:
            segments[-1].append(token)
    return [s for s in segments if s]


def _extract_settings(segment: list[Token], found: Clauses) -> list[Token]:
    has_entry = any(t.kind == "word" and t.key in _ENTRY_WORDS for t in segment)
    kept: list[Token] = []
    i = 0
    while i < len(segment):
        match = _first_match(segment, i, has_entry=has_entry)
        if match is None:
            kept.append(segment[i])
            i += 1
            continue
        kept.extend(segment[i : match.start])
        found.settings.append(match)
        i = match.end
    return kept


def _first_match(segment: list[Token], i: int, *, has_entry: bool) -> Match | None:
    for setting, pattern in patterns_for(segment[i]):
        if setting.startswith("!") and has_entry:
            continue
        match = match_at(segment, i, setting.lstrip("!"), pattern)
        if match is not None:
            return match
    return None


def _role_of(segment: list[Token], i: int) -> str | None:
    token = segment[i]
    if token.kind == "word" and token.key in _ROLES:
        return _ROLES[token.key]
    following = segment[i + 1] if i + 1 < len(segment) else None
    if i == 0 and token.kind == "price" and token.key == "close" and following is not None:
        return "sell" if following.kind == "word" and following.key == "WHEN" else None
    return None


def _take_universe(segment: list[Token], start: int, found: Clauses) -> int:
    i = start
    while i < len(segment):
        token = segment[i]
        if token.kind == "sym":
            found.universe.append(token.key)
        elif not (token.kind == "fill" or (token.kind == "word" and token.key in ("AND", "OF"))):
            break
        i += 1
    return i if any(t.kind == "sym" for t in segment[start:i]) else start


def _split_rules(segment: list[Token], found: Clauses) -> list[Rule | list[Token]]:
    roles: list[tuple[int, int, str]] = []
    i = 0
    while i < len(segment):
        role = _role_of(segment, i)
        if role is None:
            i += 1
            continue
        after = _take_universe(segment, i + 1, found)
        roles.append((i, after, role))
        i = after
    if not roles:
        return [segment] if _has_content(segment) else []
    return _assign_spans(segment, roles)


def _assign_spans(
    segment: list[Token], roles: list[tuple[int, int, str]]
) -> list[Rule | list[Token]]:
    bounds = [0] + [after for _, after, _ in roles]
    ends = [at for at, _, _ in roles] + [len(segment)]
    spans = [segment[b:e] for b, e in zip(bounds, ends, strict=True)]
    picks = [k + 1 if _opens(spans[k + 1], spans[k]) else k for k in range(len(roles))]
    own = _settle_contests(spans, picks)
    taken = [False] * len(spans)
    items: list[Rule | list[Token]] = []
    for k, (at, _, role) in enumerate(roles):
        span = picks[k]
        tokens: list[Token] = own.get(k, [])
        if k not in own and not taken[span]:
            taken[span], tokens = True, spans[span]
        if not taken[k] and span == k + 1 and _has_content(spans[k]):
            taken[k] = True
            items.append(spans[k])
        items.append(Rule(role, tokens, segment[at]))
    if not taken[-1] and _has_content(spans[-1]):
        items.append(spans[-1])
    return items


def _settle_contests(spans: list[list[Token]], picks: list[int]) -> dict[int, list[Token]]:
    # Role k reads the words after it ("买入腾讯 当…", "buy when …") and role k + 1 the
    # words before it ("…卖出"): both want spans[k + 1]. A space between two whole
    # conditions splits it ("当RSI低于30 RSI高于70卖出"); without one, a role k after a
    # whole condition of its own keeps that ("当RSI低于30时买入 当RSI高于70时卖出").
    own: dict[int, list[Token]] = {}
    for k in range(len(picks) - 1):
        contested = spans[k + 1]
        if picks[k] != k + 1 or picks[k + 1] != k + 1 or not _has_content(contested):
            continue
        cut = _clause_gap(contested)
        if cut is not None:
            spans[k + 1], own[k + 1] = contested[:cut], contested[cut:]
        elif (k == 0 or picks[k - 1] != k) and _is_condition(spans[k], Context()):
            picks[k] = k
    return own


def _clause_gap(tokens: list[Token]) -> int | None:
    for cut in range(1, len(tokens)):
        before, after = tokens[cut - 1], tokens[cut]
        if after.start <= before.end or _is_connective(before) or _is_connective(after):
            continue
        # one context for both halves, so "跌破" after "站上50日均线" finds its line
        context = Context()
        if _is_condition(tokens[:cut], context) and _is_condition(tokens[cut:], context):
            return cut
    return None


def _is_connective(token: Token) -> bool:
    return token.kind == "word" and token.key in ("AND", "OR")


def _is_condition(tokens: list[Token], context: Context) -> bool:
    readable = [t for t in _clean(tokens) if t.kind != "unk"]
    parser = ConditionParser(readable, context)
    return bool(readable) and parser.condition() is not None and parser.done()


def _opens(after: list[Token], before: list[Token]) -> bool:
    content = [t for t in after if t.kind != "fill"]
    if content and content[0].key in _OPENERS:
        return True
    return not _has_content(before) and _has_content(after)


def _clean(tokens: list[Token]) -> list[Token]:
    kept: list[Token] = []
    for token in tokens:
        after_dot = bool(kept) and kept[-1].kind == "punct" and kept[-1].key == "."
        if token.kind == "fill" and not after_dot and not _names_signal(kept, token):
            continue
        if token.key in _STRIPPED and token.kind in ("word", "punct"):
            continue
        kept.append(token)
    while kept and kept[0].kind == "word" and kept[0].key in _EDGE:
        kept.pop(0)
    while kept and kept[-1].kind == "word" and kept[-1].key in _EDGE and not _is_later(kept):
        kept.pop()
    return kept


def _names_signal(kept: list[Token], token: Token) -> bool:
    # "MACD crosses above signal", "the MACD signal", MACD上穿其信号: an indicator's signal
    # output, which the relation grammar reads; a filler word anywhere else
    if fold(token.text) not in SIGNAL_WORDS or not kept:
        return False
    before = kept[-1]
    if before.kind == "word" and before.key == "OF" and len(kept) > 1:
        before = kept[-2]
    if before.kind == "ind":
        info = find_indicator(before.key)
        return info is not None and "signal" in info.outputs
    return before.kind == "word" and before.key in _BEFORE_SIGNAL


def _is_later(tokens: list[Token]) -> bool:
    # "两天后买入": the AFTER of "N days later" belongs to the condition
    return tokens[-1].key == "AFTER" and len(tokens) > 1 and tokens[-2].key == "BAR"


def _joined(first: list[Token], second: list[Token], key: str = "AND") -> list[Token]:
    if not first:
        return second
    if not second:
        return first
    only_next_day = all(t.key == "NEXT_DAY" for t in second if _is_content(t))
    if only_next_day:
        anchor = first[0]
        return [second[0], _synthetic("(", anchor), *first, _synthetic(")", anchor)]
    lead = next((t for t in second if t.kind != "fill"), None)
    if lead is not None and lead.kind == "word" and lead.key in ("AND", "OR"):
        return [*first, *second]
    return [*first, _synthetic(key, first[-1], kind="word"), *second]


def _synthetic(key: str, near: Token, kind: str = "punct") -> Token:
    return replace(near, kind=kind, key=key, text="", start=near.end, end=near.end)


def _attach(items: list[Rule | list[Token]], found: Clauses) -> None:
    waiting: list[Token] = []
    for index, item in enumerate(items):
        if isinstance(item, Rule):
            item.tokens = _clean(_joined(waiting, item.tokens))
            waiting = []
            found.rules.append(item)
            continue
        connective = next((t for t in item if t.kind != "fill"), None)
        joins_previous = connective is not None and connective.key in ("AND", "OR")
        if joins_previous and found.rules and not waiting:
            last = found.rules[-1]
            last.tokens = _clean([*last.tokens, *item])
        elif not waiting and _fills_bare_rule(found.rules, items[index + 1 :]):
            found.rules[-1].tokens = _clean(item)
        else:
            waiting = _joined(waiting, _clean(item))
    if waiting:
        _attach_leftover(waiting, found)


def _fills_bare_rule(rules: list[Rule], following: list[Rule | list[Token]]) -> bool:
    # "买入茅台; 当MACD金叉; 死叉卖出": the clause completes the bare 买入茅台 rather
    # than joining 死叉卖出, which has a condition of its own
    if not rules or _has_content(rules[-1].tokens):
        return False
    after = next((item for item in following if isinstance(item, Rule)), None)
    return after is not None and _has_content(after.tokens)


def _attach_leftover(waiting: list[Token], found: Clauses) -> None:
    if not any(_is_content(t) and t.kind != "unk" for t in waiting):
        return
    empty = [rule for rule in found.rules if not _has_content(rule.tokens)]
    if empty:
        empty[0].tokens = _clean(waiting)
    elif found.rules:
        found.rules[-1].tokens = _clean(_joined(found.rules[-1].tokens, waiting))
        found.assumptions.append("a condition without a buy/sell word joined the rule before it")
    else:
        found.rules.append(Rule("buy", _clean(waiting)))
        found.assumptions.append("no buy or sell word: the conditions were read as the entry")


def read_clauses(tokens: list[Token]) -> Clauses:
    """Return the rules and settings of a tokenized idea (see the module docstring)."""
    found = Clauses()
    items: list[Rule | list[Token]] = []
    for segment in _segments(tokens):
        segment = _extract_settings(segment, found)
        found.timeframes.extend(t for t in segment if t.kind == "tf")
        segment = [t for t in segment if t.kind != "tf"]
        items.extend(_split_rules(segment, found))
    _attach(items, found)
    return found
