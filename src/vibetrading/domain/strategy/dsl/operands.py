"""The value grammar: numbers, prices, indicators, arithmetic, N-bar highs, lags.

::

    value   := term (("+" | "-") term)*
    term    := factor (("*" | "/") factor)*
    factor  := "-" number | "(" value ")" | number ["times" factor] | indicator | price
             | symbol ["'s"|的] (price | indicator) | highest | lowest | lag | bars-since
    postfix := N bars ago | of SYMBOL | 的 indicator (zh: its input) | 的 N 倍

"N-day high" / 过去N日最高价 is the highest high of the N bars *before* this one
(SEMANTICS.md). Missing indicator parameters take the registry defaults and say so.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from vibetrading.domain.indicators import REGISTRY, IndicatorInfo
from vibetrading.domain.strategy.dsl.canon import canonical_indicator
from vibetrading.domain.strategy.dsl.cursor import Cursor
from vibetrading.domain.strategy.dsl.lexicon import SIGNAL_WORDS
from vibetrading.domain.strategy.dsl.numbers import format_number
from vibetrading.domain.strategy.dsl.tokens import Token
from vibetrading.domain.strategy.dsl.vocabulary import fold
from vibetrading.domain.strategy.expr import (
    Arithmetic,
    BarsSince,
    Constant,
    Highest,
    Lag,
    Lowest,
    PriceField,
)
from vibetrading.errors import SpecError

__all__ = ["OperandParser", "number_constant"]

_EXTREME_WORDS = {"NEW_HIGH": "high", "NEW_LOW": "low"}
_THRESHOLD_WORDS = frozenset({"GT", "LT", "GE", "LE", "EQ", "NE", "CROSS_ABOVE", "CROSS_BELOW"})


def number_constant(value: Decimal, unit: str) -> Constant:
    """Return a constant for a number read from text; a percentage becomes a fraction."""
    return Constant(value=float(value / 100 if unit == "%" else value))


class OperandParser(Cursor):
    """Parse values; subclasses supply ``condition`` for "bars since (condition)"."""

    def condition(self) -> Any:
        """Parse a condition (implemented by the condition grammar)."""
        raise NotImplementedError

    def value(self) -> Any:
        """Parse a value, or return None (position unchanged) when there is none."""
        left = self.term()
        while left is not None:
            mark = self.pos
            op = self.take("+", "-")
            right = self.term() if op is not None else None
            if op is None or right is None:
                self.pos = mark
                break
            left = Arithmetic(op=op.key, left=left, right=right)  # type: ignore[arg-type]
        return left

    def term(self) -> Any:
        left = self.factor()
        while left is not None:
            mark = self.pos
            op = self.take("*", "/")
            right = self.factor() if op is not None else None
            if op is None or right is None:
                self.pos = mark
                break
            left = Arithmetic(op=op.key, left=left, right=right)  # type: ignore[arg-type]
        return left

    def factor(self) -> Any:
        start = self.pos
        for rule in (
            self.negative, self.grouped, self.lag_prefix, self.extreme, self.indicator,
            self.scaled_number, self.price, self.pronoun, self.symbol_operand, self.bars_since,
            self.yesterday,
        ):  # fmt: skip
            found = rule()
            if found is not None:
                return self.postfix(found)
            self.pos = start
        return None

    def negative(self) -> Any:
        if self.take("-") is None:
            return None
        token = self.peek()
        value = self.take_number()
        if value is None or token is None:
            return None
        return number_constant(-value, token.unit)

    def grouped(self) -> Any:
        if self.take("(") is None:
            return None
        inner = self.value()
        return inner if inner is not None and self.take(")") else None

    def scaled_number(self) -> Any:
        token = self.peek()
        value = self.take_number()
        if value is None or token is None:
            return None
        if self.take("TIMES"):
            self.skip("OF")
            item = self.factor()
            if item is not None:
                return Arithmetic(op="*", left=Constant(value=float(value)), right=item)
            return None
        return number_constant(value, token.unit)

    def price(self) -> Any:
        token = self.take_kind("price")
        return PriceField(field=token.key) if token is not None else None  # type: ignore[arg-type]

    def pronoun(self) -> Any:
        if self.take("IT") is None:
            return None
        self.skip("OF")
        if self.at_kind("price", "ind", "ind_out"):
            return self.factor()
        return self.context.subject or PriceField(field="close")

    def symbol_operand(self) -> Any:
        token = self.take_kind("sym")
        if token is None:
            return None
        self.skip("OF")
        # "VIX is above 30": a symbol on its own stands for its close
        item = self.price() or self.indicator() or PriceField(field="close")
        self.used_symbols.append(token.key)
        return self.carry(item, item.model_copy(update={"symbol": token.key}))

    def yesterday(self) -> Any:
        if self.take("YESTERDAY") is None:
            return None
        item = self.price() or self.indicator() or PriceField(field="close")
        return Lag(bars=1, item=item)

    def bars_since(self) -> Any:
        if self.take("BARS_SINCE"):
            item = self.grouped_item() if self.at("(") else self.condition()
            return BarsSince(item=item) if item is not None else None
        if self.take("BARS_SINCE_PRE") and self.take("("):
            item = self.condition()
            if item is not None and self.take(")") and self.take("BARS_SINCE_POST"):
                return BarsSince(item=item)
        return None

    def grouped_item(self) -> Any:
        self.advance()
        item = self.condition()
        return item if item is not None and self.take(")") else None

    def lag_prefix(self) -> Any:
        bars = self.take_count()
        if bars is None or self.take("AGO") is None or self.take("OF") is None:
            return None
        item = self.factor()
        return Lag(bars=bars, item=item) if item is not None else None

    def extreme(self) -> Any:
        if self.take("HIGHEST", "LOWEST"):
            self.pos -= 1
            return self.extreme_of_item()
        self.skip("PREV", "AGO", "WITHIN")
        bars = self.take_count()
        if bars is None:
            return None
        self.skip("WITHIN_SUF", "OF")
        return self.extreme_after_count(bars)

    def extreme_after_count(self, bars: int) -> Any:
        word = self.take("NEW_HIGH", "NEW_LOW", "HIGHEST", "LOWEST")
        if word is not None and word.key in _EXTREME_WORDS:
            side = _EXTREME_WORDS[word.key]
            return _extreme(side, bars, PriceField(field=side))  # type: ignore[arg-type]
        if word is not None:
            item = self.factor()
            high = word.key == "HIGHEST"
            return _extreme("high" if high else "low", bars, item) if item is not None else None
        mark = self.pos
        price = self.price()
        is_extreme = price is not None and price.field in ("high", "low")
        if is_extreme and price is not None and not self.at("HIGHEST", "LOWEST"):
            return _extreme(price.field, bars, price)
        self.pos = mark
        item = self.factor()
        word = self.take("HIGHEST", "LOWEST")
        if item is None or word is None:
            return None
        return _extreme("high" if word.key == "HIGHEST" else "low", bars, item)

    def extreme_of_item(self) -> Any:
        word = self.advance()
        item = self.factor()
        if item is None:
            return None
        if not (self.take("OF", "WITHIN") or self.take_over()):
            return None
        self.skip("PREV", "FILL")
        bars = self.take_count()
        if bars is None:
            return None
        return _extreme("high" if word.key == "HIGHEST" else "low", bars, item)

    def take_over(self) -> bool:
        token = self.peek()
        if token is not None and fold(token.text) in ("over", "in", "during"):
            self.advance()
            return True
        return False

    def postfix(self, item: Any) -> Any:
        while True:
            mark = self.pos
            found = self.lag_postfix(item) or self.of_postfix(item)
            if found is None:
                self.pos = mark
                return item
            item = found

    def lag_postfix(self, item: Any) -> Any:
        bars = self.take_count()
        if bars is not None and self.take("AGO"):
            return Lag(bars=bars, item=item)
        return None

    def of_postfix(self, item: Any) -> Any:
        of = self.take("OF")
        if of is None:
            return None
        symbol = self.take_kind("sym")
        if symbol is not None and item.kind in ("price", "indicator"):
            self.used_symbols.append(symbol.key)
            return self.carry(item, item.model_copy(update={"symbol": symbol.key}))
        if symbol is not None:
            return None
        if fold(of.text) in ("的", "之"):
            return self.zh_of(item)
        if item.kind == "indicator" and item.input is None:
            source = self.factor()
            if source is not None and source.kind != "const":
                return self.carry(item, canonical_indicator(
                    item.name, item.params, item.output, input=source, symbol=item.symbol
                ))  # fmt: skip
        return None

    def zh_of(self, item: Any) -> Any:
        value = self.take_number(percent=False)
        if value is not None and self.take("TIMES"):
            return Arithmetic(op="*", left=Constant(value=float(value)), right=item)
        if value is not None:
            return None
        outer = self.indicator()
        if outer is not None and outer.input is None:
            return self.carry(
                outer, canonical_indicator(outer.name, outer.params, outer.output, input=item)
            )
        return None

    # -- indicators ---------------------------------------------------------------------

    def indicator(self) -> Any:
        period = self.take_count()
        has_prefix = self.at_kind("num") and self.at_kind("ind", offset=1)
        if period is None and has_prefix and not self.is_threshold_before_subject():
            period = self.take_period()
        token = self.take_kind("ind", "ind_out") or self.side_before_indicator()
        if token is None:
            return None
        info = REGISTRY[token.options[0][0] if token.kind == "ind_out" else token.key]
        output = token.key if token.kind == "ind_out" else None
        values = [Decimal(period)] if period is not None else []
        named = (
            [Decimal(v) for k, v in token.options if k == "period"] if token.kind == "ind" else []
        )
        values = values or named
        if token.kind == "ind_out" and not values:
            info, values = self.owner_after_output(info, values)
        values += self.parameters(info, bool(values))
        output = self.output_of(info) or output
        return self.build_indicator(info, values, output, token.text)

    def is_threshold_before_subject(self) -> bool:
        # "RSI低于30 RSI高于70": the number after 低于/below is the threshold and the
        # indicator opens the next relation; "above the 50 SMA" keeps 50 as the period
        before = self.tokens[self.pos - 1] if self.pos > 0 else None
        if before is None or before.kind != "word" or before.key not in _THRESHOLD_WORDS:
            return False
        after = self.peek(2)
        if after is not None and after.kind == "punct" and after.key == "(":
            return True
        return after is not None and self.is_relation_word(after)

    def is_relation_word(self, token: Token) -> bool:
        """Return True for a word that relates a value to something (the grammar's list)."""
        return False

    def side_before_indicator(self) -> Token | None:
        # "the lower bollinger band": an output word before the indicator it belongs to
        side, owner = self.peek(), self.peek(1)
        if side is None or owner is None or side.kind != "out" or owner.kind != "ind":
            return None
        choices = [option for option in side.options if option[0] == owner.key]
        if not choices:
            return None
        self.pos += 2
        name, output = choices[0]
        return Token(
            "ind_out", output, owner.text, side.start, owner.end, options=((name, output),)
        )

    def take_period(self) -> int | None:
        value = self.take_number(percent=False)
        return int(value) if value is not None and value == int(value) and value > 0 else None

    def owner_after_output(self, info: IndicatorInfo, values: list[Decimal]) -> Any:
        mark = self.pos
        if self.take("OF"):
            period = self.take_count()
            owner = self.take_kind("ind")
            if owner is not None and owner.key == info.name:
                return info, [Decimal(period)] if period is not None else []
        self.pos = mark
        return info, values

    def parameters(self, info: IndicatorInfo, has_period: bool) -> list[Decimal]:
        if self.take("("):
            values: list[Decimal] = []
            while (value := self.take_number(percent=False)) is not None:
                values.append(value)
                self.skip("BAR")
                if self.take(",") is None:
                    break
            if self.take(")"):
                return values
            self.context.errors.append(f"Could not read the parameters of {info.name.upper()}.")
            return values
        if has_period or not info.params:
            return []
        token = self.peek()
        if token is None or token.kind != "num" or token.unit or not token.value:
            return []
        if token.value != int(token.value) or self.at("TIMES", offset=1):
            return []
        self.advance()
        self.skip("BAR")
        return [token.value]

    def output_of(self, info: IndicatorInfo) -> str | None:
        if len(info.outputs) < 2:
            return None
        mark = self.pos
        dotted = self.take(".") is not None
        if not dotted:
            self.skip("OF")
        token = self.peek()
        if token is not None:
            for option in _output_names(token, info):
                self.advance()
                return option
        self.pos = mark
        return None

    def build_indicator(
        self, info: IndicatorInfo, values: list[Decimal], output: str | None, text: str
    ) -> Any:
        if len(values) > len(info.params):
            self.context.errors.append(
                f"{info.name.upper()} takes {len(info.params)} parameter(s); "
                f"got {len(values)} in {text!r}."
            )
            values = values[: len(info.params)]
        given = {p.name: float(v) for p, v in zip(info.params, values, strict=False)}
        try:
            ref = canonical_indicator(info.name, given, output)
        except SpecError as e:
            self.context.errors.append(str(e))
            ref = canonical_indicator(info.name, {}, output)
        missing = [p for p in info.params if p.name not in given]
        if not missing:
            return ref
        names = ", ".join(p.name for p in missing)
        used = ", ".join(format_number(float(p.default)) for p in missing)
        return self.context.note(ref, f"{info.name.upper()} {names} not given: used {used}")


def _output_names(token: Any, info: IndicatorInfo) -> list[str]:
    if fold(token.text) in SIGNAL_WORDS:  # "MACD signal", MACD信号: a filler word elsewhere
        return ["signal"] if "signal" in info.outputs else []
    if token.options:
        return [out for name, out in token.options if name == info.name]
    try:
        return [info.resolve_output(fold(token.text))]
    except SpecError:
        return []


def _extreme(side: str, bars: int, item: Any) -> Any:
    if side == "high":
        return Highest(bars=bars, item=item)
    return Lowest(bars=bars, item=item)
