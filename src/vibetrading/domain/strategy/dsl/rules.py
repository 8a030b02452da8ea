"""Turn each rule's tokens into a condition, and collect what could not be used.

The condition grammar reads as much as it can; a token it cannot place is set aside
(an instrument goes to the universe, a function word is dropped, anything else is quoted
back as unparsed) and reading resumes after it. Conditions read apart are joined with
"and", and the parse says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vibetrading.domain.strategy.dsl.clauses import Rule, is_quiet
from vibetrading.domain.strategy.dsl.cursor import Context
from vibetrading.domain.strategy.dsl.grammar import ConditionParser
from vibetrading.domain.strategy.dsl.tokens import Token
from vibetrading.domain.strategy.expr import all_of

__all__ = ["ParsedRule", "parse_rule", "span_of"]


@dataclass
class ParsedRule:
    """A rule's role, its condition (None if nothing was readable) and what was left."""

    role: str
    condition: Any
    used: set[tuple[int, int]] = field(default_factory=set)
    leftover: list[Token] = field(default_factory=list)
    universe: list[str] = field(default_factory=list)
    pair_symbols: list[str] = field(default_factory=list)


def span_of(token: Token) -> tuple[int, int]:
    """Return where `token` sits in the original text."""
    return token.start, token.end


def parse_rule(rule: Rule, context: Context) -> ParsedRule:
    """Read the condition of `rule`; tokens the grammar cannot place are set aside."""
    result = ParsedRule(rule.role, None)
    if rule.role_token is not None:
        result.used.add(span_of(rule.role_token))
    result.leftover = [t for t in rule.tokens if t.kind == "unk"]
    tokens = [t for t in rule.tokens if t.kind != "unk"]
    parser = ConditionParser(tokens, context)
    parts: list[Any] = []
    while not parser.done():
        start = parser.pos
        found = parser.condition()
        if found is not None:
            context.commit(found)
            parts.append(found)
            result.used.update(span_of(t) for t in tokens[start : parser.pos])
            continue
        _set_aside(parser.advance(), result)
    if len(parts) > 1:
        context.assume("conditions given side by side were joined with 'and'")
    result.condition = all_of(*parts) if parts else None
    result.pair_symbols = list(parser.used_symbols)
    return result


def _set_aside(token: Token, result: ParsedRule) -> None:
    if token.kind == "sym":
        result.universe.append(token.key)
        result.used.add(span_of(token))
    elif is_quiet(token):
        result.used.add(span_of(token))
    else:
        result.leftover.append(token)
