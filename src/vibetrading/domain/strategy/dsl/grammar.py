"""The condition grammar: relations, crossings, concepts, streaks, any/all/not.

::

    condition := conj ("or" conj)*
    conj      := unary ("and" unary)*
    unary     := "not" unary | prefix unary | primary postfix*
    prefix    := 连续 N 天 | 最近 N 根K线内 | N 根K线前 "(" | the day after
    postfix   := for N bars in a row | N days in a row | within the last N bars
               | 后的第二天 | N bars later
    primary   := "(" condition ")" | concept | [value] relation

A relation without a left side ("sell when above 70") uses the subject of the previous
rule, or the close. Crossing words make ``cross`` events and state words ``compare``
states, exactly as SEMANTICS.md lists them.
"""

from __future__ import annotations

from typing import Any

from vibetrading.domain.strategy.dsl import concepts
from vibetrading.domain.strategy.dsl.cursor import Context
from vibetrading.domain.strategy.dsl.relations import RelationParser
from vibetrading.domain.strategy.dsl.tokens import Token
from vibetrading.domain.strategy.expr import AllOf, AnyOf, ForBars, Lag, Not, WithinBars, all_of

__all__ = ["ConditionParser"]

_DAY_AFTER = "'the day after X' read as X one bar earlier"
_STREAK_WORDS = ("DOWN_DAY", "UP_DAY", "RED_CANDLE", "GREEN_CANDLE", "LOSS", "GAIN")


class ConditionParser(RelationParser):
    """Parse one condition from a token list (see the module docstring for the grammar)."""

    def __init__(self, tokens: list[Token], context: Context) -> None:
        super().__init__(tokens, context)
        self.groups: dict[int, Any] = {}

    def condition(self) -> Any:
        """Parse a condition, or return None (position unchanged) when there is none."""
        start = self.pos
        items = [self.conjunction()]
        while items[-1] is not None:
            mark = self.pos
            if self.take("OR") is None:
                break
            following = self.conjunction()
            if following is None:
                self.pos = mark
                break
            items.append(following)
        if items[0] is None:
            self.pos = start
            return None
        return items[0] if len(items) == 1 else AnyOf(items=items)

    def conjunction(self) -> Any:
        first = self.unary()
        items = self.flat([first]) if first is not None else []
        while items:
            mark = self.pos
            if self.take("AND") is None:
                break
            following = self.unary()
            if following is None:
                self.pos = mark
                break
            items += self.flat([following])
        return all_of(*items) if items else None

    def flat(self, items: list[Any]) -> list[Any]:
        # "between 30 and 70" makes an unbracketed AllOf: one conjunction, not a group
        found: list[Any] = []
        for item in items:
            if isinstance(item, AllOf) and id(item) not in self.groups:
                found.extend(item.items)
            else:
                found.append(item)
        return found

    def unary(self) -> Any:
        start = self.pos
        if self.take("NOT"):
            inner = self.unary()
            if inner is not None:
                return Not(item=inner)
            self.pos = start
        for rule in (self.streak_prefix, self.within_prefix, self.lag_condition, self.next_day):
            found = rule()
            if found is not None:
                return found
            self.pos = start
        primary = self.primary()
        return self.condition_postfix(primary) if primary is not None else None

    def streak_prefix(self) -> Any:
        if self.take("CONSEC") is None:
            return None
        bars = self.take_count()
        if bars is None:
            word = self.take(*_STREAK_WORDS)
            bars = self.take_count()
            if word is None or bars is None:
                return None
            return ForBars(bars=bars, item=concepts.day_move(word.key, None))
        inner = self.unary()
        return ForBars(bars=bars, item=inner) if inner is not None else None

    def within_prefix(self) -> Any:
        if self.take("PREV"):
            bars = self.take_count()
            if bars is None or self.take("WITHIN_SUF") is None:
                return None
        elif self.take("WITHIN"):
            self.skip("PREV")
            bars = self.take_count()
            if bars is None:
                return None
        else:
            return None
        inner = self.unary()
        return WithinBars(bars=bars, item=inner) if inner is not None else None

    def lag_condition(self) -> Any:
        bars = self.take_count()
        if bars is None or self.take("AGO") is None or not self.at("("):
            return None
        inner = self.primary()
        return Lag(bars=bars, item=inner) if inner is not None else None

    def next_day(self) -> Any:
        if self.take("NEXT_DAY") is None:
            return None
        inner = self.unary()
        if inner is None:
            return None
        return self.context.note(Lag(bars=1, item=inner), _DAY_AFTER)

    def primary(self) -> Any:
        start = self.pos
        rules = (
            self.grouped_condition, self.counted_concept, self.shared_average_pair,
            self.counted_streak, self.relation,
        )  # fmt: skip
        for rule in rules:
            found = rule()
            if found is not None:
                return found
            self.pos = start
        return None

    def grouped_condition(self) -> Any:
        if self.take("(") is None:
            return None
        inner = self.condition()
        if inner is None or self.take(")") is None:
            return None
        self.groups[id(inner)] = inner
        return inner

    def counted_streak(self) -> Any:
        token = self.peek()
        count = self.take_number(percent=False)
        if count is None or token is None or count != int(count) or count < 1:
            return None
        self.skip("BAR")
        self.skip("IN_A_ROW")
        word = self.take(*_STREAK_WORDS)
        if word is None:
            return None
        self.skip("BAR")
        self.skip("IN_A_ROW")
        return ForBars(bars=int(count), item=concepts.day_move(word.key, None))

    def condition_postfix(self, item: Any) -> Any:
        while True:
            start = self.pos
            found = None
            for rule in (
                self.for_postfix,
                self.within_postfix,
                self.later_postfix,
                self.ago_postfix,
            ):
                found = rule(item)
                if found is not None:
                    break
                self.pos = start
            if found is None:
                return item
            item = found

    def for_postfix(self, item: Any) -> Any:
        had_for = self.take("FOR", "CONSEC") is not None
        token = self.peek()
        count = self.take_number(percent=False)
        if count is None or token is None or count != int(count) or count < 1:
            return None
        in_a_row = self.take("IN_A_ROW") is not None
        if self.take("BAR") is None:
            return None
        in_a_row = self.take("IN_A_ROW") is not None or in_a_row
        if not (had_for or in_a_row):
            return None
        return ForBars(bars=int(count), item=item)

    def within_postfix(self, item: Any) -> Any:
        if self.take("WITHIN") is None:
            return None
        self.skip("PREV")
        bars = self.take_count()
        return WithinBars(bars=bars, item=item) if bars is not None else None

    def ago_postfix(self, item: Any) -> Any:
        bars = self.take_count()
        return Lag(bars=bars, item=item) if bars is not None and self.take("AGO") else None

    def later_postfix(self, item: Any) -> Any:
        if self.take("NEXT_DAY"):
            return self.context.note(Lag(bars=1, item=item), _DAY_AFTER)
        bars = self.take_count()
        if bars is not None and self.take("AFTER"):
            return Lag(bars=bars, item=item)
        return None
