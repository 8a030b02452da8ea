"""A cursor over tokens with backtracking, shared by the clause and expression grammars."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from vibetrading.domain.strategy.dsl.tokens import Token
from vibetrading.domain.strategy.expr import IndicatorRef, walk

__all__ = ["Context", "Cursor"]

_Node = TypeVar("_Node")


@dataclass
class Context:
    """What the parse remembers across clauses: the subject for "sell when above 70",
    the last crossing pair for a bare "death cross", and the assumptions made."""

    assumptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    subject: Any = None
    pair: tuple[Any, Any] | None = None
    last: tuple[Any, Any] | None = None
    lang: str = "en"

    notes: dict[int, tuple[Any, list[str]]] = field(default_factory=dict)

    def assume(self, text: str) -> None:
        """Record an assumption once."""
        if text not in self.assumptions:
            self.assumptions.append(text)

    def note(self, node: _Node, text: str) -> _Node:
        """Attach an assumption to `node`; it counts only if `node` ends up in a rule."""
        self.notes.setdefault(id(node), (node, []))[1].append(text)
        return node

    def carry(self, old: Any, new: _Node) -> _Node:
        """Move the assumptions attached to `old` onto its replacement `new`."""
        for text in self.notes.get(id(old), (None, []))[1]:
            self.note(new, text)
        return new

    def commit(self, tree: Any) -> None:
        """Record the assumptions attached to the nodes of `tree` (see ``note``)."""
        for node in walk(tree):
            for text in self.notes.get(id(node), (None, []))[1]:
                self.assume(text)


class Cursor:
    """Walk a token list: peek, take by key or kind, mark and reset for backtracking."""

    def __init__(self, tokens: list[Token], context: Context) -> None:
        self.tokens = tokens
        self.pos = 0
        self.context = context
        self.used_symbols: list[str] = []
        self.defaulted: list[IndicatorRef] = []

    def peek(self, offset: int = 0) -> Token | None:
        """Return the token `offset` ahead, or None past the end."""
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def at(self, *keys: str, offset: int = 0) -> bool:
        """Return True when the next token is a word or punctuation with one of `keys`."""
        token = self.peek(offset)
        return token is not None and token.kind in ("word", "punct") and token.key in keys

    def at_kind(self, *kinds: str, offset: int = 0) -> bool:
        """Return True when the next token has one of `kinds`."""
        token = self.peek(offset)
        return token is not None and token.kind in kinds

    def take(self, *keys: str) -> Token | None:
        """Consume and return the next token when it has one of `keys`."""
        if self.at(*keys):
            return self.advance()
        return None

    def take_kind(self, *kinds: str) -> Token | None:
        """Consume and return the next token when it has one of `kinds`."""
        if self.at_kind(*kinds):
            return self.advance()
        return None

    def advance(self) -> Token:
        """Consume and return the next token."""
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def skip(self, *keys: str) -> None:
        """Consume any run of tokens with `keys`."""
        while self.take(*keys) is not None:
            pass

    def take_number(self, *, percent: bool | None = None) -> Decimal | None:
        """Consume a number (a percentage only if `percent`, never one if False)."""
        token = self.peek()
        if token is None or token.kind != "num" or token.value is None:
            return None
        if percent is not None and (token.unit == "%") != percent:
            return None
        self.pos += 1
        return token.value

    def take_count(self) -> int | None:
        """Consume a whole positive number followed by a bar unit ("3 days", 三天, "5-bar")."""
        start = self.pos
        value = self.take_number(percent=False)
        if value is not None and value == int(value) and value > 0 and self.take("BAR"):
            return int(value)
        self.pos = start
        return None

    def carry(self, old: Any, new: Any) -> Any:
        """Move the assumptions attached to `old` onto its replacement `new`."""
        return self.context.carry(old, new)

    def done(self) -> bool:
        """Return True when every token has been consumed."""
        return self.pos >= len(self.tokens)
