"""Relations and concepts: what may follow a value ("crosses above 30", "金叉", "超卖").

Each relation word has a handler that receives the left value, or None when the text
leaves it out ("sell when above 70", "死叉卖出"). Comparison words then use the subject
of the previous rule, or the close; concept words fall back to their defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vibetrading.domain.indicators import find_indicator
from vibetrading.domain.strategy.dsl import concepts
from vibetrading.domain.strategy.dsl.canon import canonical_indicator
from vibetrading.domain.strategy.dsl.concepts import Side
from vibetrading.domain.strategy.dsl.lexicon import SIGNAL_WORDS
from vibetrading.domain.strategy.dsl.operands import OperandParser
from vibetrading.domain.strategy.dsl.tokens import Token
from vibetrading.domain.strategy.dsl.vocabulary import fold
from vibetrading.domain.strategy.expr import (
    Arithmetic,
    Compare,
    CompareOp,
    Constant,
    Cross,
    ForBars,
    IndicatorRef,
    PriceField,
    all_of,
)

__all__ = ["RelationParser"]

_COMPARE_OPS: dict[str, CompareOp] = {
    "GT": ">",
    "LT": "<",
    "GE": ">=",
    "LE": "<=",
    "EQ": "==",
    "NE": "!=",
}
_BREAKOUT_TEXT = ("突破", "breaks out", "break out")
# "breaks" with no above/below: the side comes from the level (see concepts.side_of)
_BARE_BREAKS = frozenset({"breaks", "break", "broke", "breaking", "breaks through",
                          "break through", "broke through", "breaking through", "突破",
                          "有效突破"})  # fmt: skip
_NO_SIDE = "'{word}' without a direction: read as crosses above"
_CLOSE = PriceField(field="close")
_AVERAGES = ("sma", "ema", "wma")
_EXTREMES = ("highest", "lowest")
_ZERO = Constant(value=0.0)
_BETWEEN = "'between' read as strictly above the low and below the high"
Handler = Callable[[Any, Token], Any]


class RelationParser(OperandParser):
    """Parse ``[value] relation`` and the colloquial concepts."""

    _handlers: dict[str, Handler] | None = None
    _subject_note = ""

    def handlers(self) -> dict[str, Handler]:
        """Return the handler of every relation and concept word."""
        if self._handlers is not None:
            return self._handlers
        table: dict[str, Handler] = dict.fromkeys(_COMPARE_OPS, self.compare)
        table.update(
            CROSS_ABOVE=self.cross, CROSS_BELOW=self.cross, TOUCH=self.touch,
            TURN_POS=self.sign, TURN_NEG=self.sign, IS_POS=self.sign, IS_NEG=self.sign,
            BETWEEN=self.between, ZAI=self.zai, BACK_TO=self.back_to, MAKES=self.makes,
            NEW_HIGH=self.new_extreme, NEW_LOW=self.new_extreme, GOLDEN=self.golden,
            DEATH=self.golden, OVERSOLD=self.threshold, OVERBOUGHT=self.threshold,
            RED_TO=self.histogram, GREEN_TO=self.histogram, RED_BAR=self.histogram,
            GREEN_BAR=self.histogram, DOWN_DAY=self.day_move, UP_DAY=self.day_move,
            RED_CANDLE=self.day_move, GREEN_CANDLE=self.day_move, LOSS=self.move,
            GAIN=self.move, PULLBACK=self.pullback, BREAKOUT=self.breakout,
            BREAKDOWN=self.breakout, VOL_SURGE=self.volume_surge,
        )  # fmt: skip
        self._handlers = table
        return table

    def is_relation_word(self, token: Token) -> bool:
        """Return True for a relation or concept word ("above", 金叉, 超卖)."""
        return token.kind == "word" and token.key in self.handlers()

    def relation(self) -> Any:
        self._subject_note = ""
        left = None
        if not self.at(*self.handlers(), "CONSEC"):
            left = self.value()
            if left is None:
                return None
            paired = self.pair_cross(left)
            if paired is not None:
                return paired
        streak = self.streak_between()
        token = self.peek()
        handler = self.handlers().get(token.key) if token and token.kind == "word" else None
        if handler is None and left is not None:
            return self.percent_offset(left) or self.suffix_compare(left) or self.bare_line(left)
        if handler is None:
            return None
        found = handler(left, self.advance())
        if found is None:
            return None
        return ForBars(bars=streak, item=found) if streak else found

    def suffix_compare(self, left: Any) -> Any:
        # Chinese "A是B以上" / "A为B以下": the relation word comes last
        right = self.value()
        side = self.take("ABOVE_SUF", "BELOW_SUF") if right is not None else None
        if side is None:
            return None
        op: CompareOp = ">" if side.key == "ABOVE_SUF" else "<"
        return self.remember(Compare(op=op, left=left, right=right))

    def bare_line(self, left: Any) -> Any:
        # "sell at the upper band", "buy at the 20-day low": the close touching that line
        at_end = self.done() or self.at("AND", "OR", ")")
        sided = getattr(left, "output", None) in ("upper", "lower") or left.kind in _EXTREMES
        if not (at_end and sided):
            return None
        return self.remember(concepts.touch(self.context, _CLOSE, left))

    def streak_between(self) -> int | None:
        mark = self.pos
        if self.take("CONSEC"):
            bars = self.take_count()
            if bars is not None:
                return bars
        self.pos = mark
        return None

    def pair_cross(self, left: Any) -> Any:
        mark = self.pos
        if self.take("AND", "TO"):
            right = self.value()
            word = self.take("GOLDEN", "DEATH", "CROSS_ABOVE", "CROSS_BELOW")
            if right is not None and word is not None:
                above = word.key in ("GOLDEN", "CROSS_ABOVE")
                return self.remember(concepts.golden_cross(self.context, left, right, above=above))
        self.pos = mark
        return None

    def subject(self, left: Any, right: Any = None) -> Any:
        if left is not None:
            return left
        subject = self.context.subject
        if subject is None or (right is not None and right.kind != "const"):
            self._subject_note = "no subject given: used the close price"
            return _CLOSE
        self._subject_note = f"no subject given: used {concepts.label(subject)} from before"
        return subject

    def remember(self, found: Any) -> Any:
        if self._subject_note:
            self.context.note(found, self._subject_note)
            self._subject_note = ""
        left = getattr(found, "left", None)
        if left is not None and left.kind != "const":
            self.context.subject = left
        if found.kind in ("cross", "compare"):
            self.context.last = (found.left, found.right)
        if found.kind == "cross":
            self.context.pair = (found.left, found.right)
        return found

    def other_side(self, left: Any, right: Any) -> Any:
        # "exit when it is below it": the second "it" is the other line of the last rule
        last = self.context.last
        said_it = self.pos > 0 and self.tokens[self.pos - 1].key == "IT"
        if said_it and right == left and last is not None and last[0] == left:
            return last[1]
        return right

    def repeat_last(self, left: Any, word: Token, build: Callable[[Any, Any], Any]) -> Any:
        last = self.context.last
        if last is None or (left is not None and left != last[0]):
            return None
        lines = f"{concepts.label(last[0])} and {concepts.label(last[1])}"
        found = self.context.note(build(*last), f"'{word.text}' alone: {lines} from before")
        return self.remember(found)

    def compare(self, left: Any, word: Token) -> Any:
        op = _COMPARE_OPS[word.key]
        own = self.own_signal(left)
        right = own[1] if own else self.value()
        if right is None:
            return self.repeat_last(left, word, lambda a, b: Compare(op=op, left=a, right=b))
        left = own[0] if own else self.subject(left, right)
        right = self.sibling_output(left, self.other_side(left, right))
        return self.remember(Compare(op=op, left=left, right=right))

    def cross(self, left: Any, word: Token) -> Any:
        above = word.key == "CROSS_ABOVE"
        is_bare = fold(word.text) in _BARE_BREAKS
        # "breaks under the 20-day low" says its side; "the break of the 20-day high" not
        side = self.take("GT", "LT") if is_bare else None
        if side is not None:
            above, is_bare = side.key == "GT", False
        elif is_bare:
            self.skip("OF")
        own = self.own_signal(left)
        right = own[1] if own else self.value()
        if right is None and any(w in word.text.casefold() for w in _BREAKOUT_TEXT):
            return self.remember(concepts.breakout(self.context, None, up=above))
        direction: Side = "above" if above else "below"
        if right is None:
            last = self.context.last
            if is_bare and last is not None:
                direction = concepts.side_of(last[1]) or "above"
            build = lambda a, b: Cross(direction=direction, left=a, right=b)  # noqa: E731
            return self.repeat_last(left, word, build)
        left = own[0] if own else self.subject(left, right)
        right = self.sibling_output(left, self.other_side(left, right))
        if is_bare:
            return self.remember(self.bare_break(left, right, word))
        return self.remember(Cross(direction=direction, left=left, right=right))

    def bare_break(self, left: Any, right: Any, word: Token) -> Cross:
        # a bare "breaks" / 突破: below a lower line, above an upper one; otherwise above,
        # which English says as an assumption (突破 alone reads upwards in Chinese)
        side = concepts.side_of(right)
        found = Cross(direction=side or "above", left=left, right=right)
        if side is None and word.lang == "en":
            self.context.note(found, _NO_SIDE.format(word=fold(word.text)))
        return found

    def own_signal(self, left: Any) -> tuple[Any, Any] | None:
        # "MACD crosses above (its) signal": the subject's own signal output
        subject = left if left is not None else self.context.subject
        mark = self.pos
        self.skip("IT", "OF")
        token = self.peek()
        is_signal = token is not None and fold(token.text) in SIGNAL_WORDS
        if is_signal and isinstance(subject, IndicatorRef):
            info = find_indicator(subject.name)
            if info is not None and "signal" in info.outputs and subject.output != "signal":
                self.advance()
                if left is None:
                    used = concepts.label(subject)
                    self._subject_note = f"no subject given: used {used} from before"
                return subject, subject.model_copy(update={"output": "signal"})
        self.pos = mark
        return None

    def sibling_output(self, left: Any, right: Any) -> Any:
        # "MACD(8,21,5) crosses above the signal line": the signal of that same MACD,
        # not a default MACD(12,26,9)
        if not (isinstance(left, IndicatorRef) and isinstance(right, IndicatorRef)):
            return right
        same = left.name == right.name and left.output != right.output
        notes = self.context.notes.get(id(right), (None, []))[1]
        defaulted = any(" not given: used " in text for text in notes)
        if not (same and defaulted and right.input is None and right.symbol is None):
            return right
        return left.model_copy(update={"output": right.output})

    def touch(self, left: Any, word: Token) -> Any:
        right = self.value()
        if right is None:
            return None
        left = left if left is not None else _CLOSE
        return self.remember(concepts.touch(self.context, left, right))

    def sign(self, left: Any, word: Token) -> Any:
        left = self.subject(left)
        key = word.key
        if key in ("TURN_POS", "TURN_NEG"):
            direction: Side = "above" if key == "TURN_POS" else "below"
            return self.remember(Cross(direction=direction, left=left, right=_ZERO))
        return self.remember(Compare(op=">" if key == "IS_POS" else "<", left=left, right=_ZERO))

    def between(self, left: Any, word: Token) -> Any:
        left = self.subject(left)
        low = self.value()
        if low is None or self.take("AND", "TO") is None:
            return None
        high = self.value()
        if high is None:
            return None
        first = self.context.note(self.remember(Compare(op=">", left=left, right=low)), _BETWEEN)
        return all_of(first, Compare(op="<", left=left, right=high))

    def zai(self, left: Any, word: Token) -> Any:
        left = self.subject(left)
        first = self.value()
        if first is None:
            return None
        if self.take("AND", "TO"):
            second = self.value()
            if second is None or self.take("BETWEEN_SUF") is None:
                return None
            low = self.context.note(
                self.remember(Compare(op=">", left=left, right=first)), _BETWEEN
            )
            return all_of(low, Compare(op="<", left=left, right=second))
        side = self.take("ABOVE_SUF", "BELOW_SUF")
        if side is None:
            return None
        op: CompareOp = ">" if side.key == "ABOVE_SUF" else "<"
        return self.remember(Compare(op=op, left=left, right=first))

    def back_to(self, left: Any, word: Token) -> Any:
        left = self.subject(left)
        right = self.value()
        if right is None:
            return None
        side = self.take("ABOVE_SUF", "BELOW_SUF")
        below = side is not None and side.key == "BELOW_SUF"
        direction: Side = "below" if below else "above"
        return self.remember(Cross(direction=direction, left=left, right=right))

    def makes(self, left: Any, word: Token) -> Any:
        bars = self.take_count()
        extreme = self.take("NEW_HIGH", "NEW_LOW")
        price = self.take_kind("price") if extreme is None else None
        if extreme is None and (price is None or price.key not in ("high", "low")):
            return None
        named = extreme or price
        high = named is not None and named.key in ("NEW_HIGH", "high")
        return self.remember(concepts.new_extreme(self.context, left, bars, high=high))

    def new_extreme(self, left: Any, word: Token) -> Any:
        high = word.key == "NEW_HIGH"
        return self.remember(concepts.new_extreme(self.context, left, None, high=high))

    def golden(self, left: Any, word: Token) -> Any:
        above = word.key == "GOLDEN"
        right = None
        if left is None and self.take("BETWEEN", "OF"):
            left = self.value()
            right = self.value() if self.take("AND", "TO") else None
        elif left is not None:
            right = self.value()
        elif getattr(self.context.subject, "name", None) in ("macd", "kdj"):
            left = self.context.subject  # "MACD在零轴上方金叉": the MACD's own cross
        return self.remember(concepts.golden_cross(self.context, left, right, above=above))

    def threshold(self, left: Any, word: Token) -> Any:
        subject = left if left is not None else self.context.subject
        low = word.key == "OVERSOLD"
        return self.remember(concepts.threshold(self.context, subject, low=low))

    def histogram(self, left: Any, word: Token) -> Any:
        key = word.key
        subject = left if left is not None else self.context.subject
        crossing = key in ("RED_TO", "GREEN_TO")
        positive = key in ("RED_TO", "RED_BAR")
        found = concepts.macd_histogram(self.context, subject, crossing=crossing, positive=positive)
        return self.remember(found)

    def day_move(self, left: Any, word: Token) -> Any:
        return self.remember(concepts.day_move(word.key, left))

    def move(self, left: Any, word: Token) -> Any:
        token = self.peek()
        fraction = self.take_number(percent=True)
        if fraction is None or token is None:
            # a bare "falls" / 赚 is no condition; "falls 3 days in a row" is a streak
            is_streak = self.at("IN_A_ROW") or (self.at_kind("num") and self.at("BAR", offset=1))
            if is_streak:
                return self.remember(concepts.day_move(word.key, left))
            return self.move_to(left, word)
        bars = None
        if self.take("OF", "WITHIN", "FOR"):
            self.skip("PREV")
            bars = self.take_count()
        down = word.key == "LOSS"
        found = concepts.percent_move(self.context, float(fraction / 100), bars, down=down)
        return self.remember(found)

    def move_to(self, left: Any, word: Token) -> Any:
        # 涨到中轨 / "falls to the lower band": reaching a line, a non-strict state
        self.skip("TO")
        right = self.value()
        if right is None:
            return None
        left = self.subject(left, right)
        op: CompareOp = "<=" if word.key == "LOSS" else ">="
        found = Compare(op=op, left=left, right=right)
        text = f"'{word.text}' read as {concepts.label(left)} {op} {concepts.label(right)}"
        return self.remember(self.context.note(found, text))

    def percent_offset(self, left: Any) -> Any:
        # "price is 5% above the 50-day MA": above the line scaled by 1.05
        token = self.peek()
        fraction = self.take_number(percent=True)
        side = self.take("GT", "LT") if fraction is not None else None
        right = self.value() if side is not None else None
        if token is None or fraction is None or side is None or right is None:
            return None
        up = side.key == "GT"
        scale = 1 + fraction / 100 if up else 1 - fraction / 100
        level = Arithmetic(op="*", left=right, right=Constant(value=float(scale)))
        return self.remember(Compare(op=">" if up else "<", left=left, right=level))

    def pullback(self, left: Any, word: Token) -> Any:
        token = self.peek()
        fraction = self.take_number(percent=True)
        if fraction is not None and token is not None:
            return self.remember(concepts.pullback(self.context, None, float(fraction / 100)))
        self.skip("TO", "OF", "TOUCH", "ZAI")
        target = self.value()
        return self.remember(concepts.pullback(self.context, target, None))

    def breakout(self, left: Any, word: Token) -> Any:
        up = word.key == "BREAKOUT"
        if self.take("GT", "CROSS_ABOVE", "CROSS_BELOW", "LT", "OF"):
            right = self.value()
            if right is not None:
                direction: Side = "above" if up else "below"
                return self.remember(
                    Cross(direction=direction, left=self.subject(left), right=right)
                )
        return self.remember(concepts.breakout(self.context, None, up=up))

    def volume_surge(self, left: Any, word: Token) -> Any:
        return self.remember(concepts.volume_surge(self.context))

    def counted_concept(self) -> Any:
        bars = self.take_count()
        word = self.take("BREAKOUT", "BREAKDOWN", "NEW_HIGH", "NEW_LOW")
        if bars is None or word is None:
            return None
        if word.key in ("BREAKOUT", "BREAKDOWN"):
            return concepts.breakout(self.context, bars, up=word.key == "BREAKOUT")
        return concepts.new_extreme(self.context, None, bars, high=word.key == "NEW_HIGH")

    def shared_average_pair(self) -> Any:
        first = self.take_count()
        if first is None or self.take("AND", "TO") is None:
            return None
        second = self.take_count()
        token = self.take_kind("ind")
        word = self.take("GOLDEN", "DEATH", "CROSS_ABOVE", "CROSS_BELOW")
        if second is None or token is None or word is None or token.key not in _AVERAGES:
            return None
        left = canonical_indicator(token.key, {"period": first})
        right = canonical_indicator(token.key, {"period": second})
        above = word.key in ("GOLDEN", "CROSS_ABOVE")
        return self.remember(concepts.golden_cross(self.context, left, right, above=above))
