"""Colloquial concepts and what they expand to, each with the assumption spelled out.

=====================  ==============================================================
concept                expansion
=====================  ==============================================================
golden / death cross   SMA(50) crosses above / below SMA(200) when no periods are given;
                       MACD: line vs signal; KDJ: K vs D; "A 金叉 B": A crosses above B
oversold / overbought  RSI(14) < 30 / > 70 (KDJ K 20/80, Williams %R -80/-20, CCI
                       -100/100, MFI 20/80 when that indicator is named)
breakout / breakdown   close crosses above the 20-bar high / below the 20-bar low
pullback / 回调         close at or below SMA(20) (or the named line, or N% off the high)
由绿翻红 / 由红翻绿      MACD histogram crosses above / below 0
红柱 / 绿柱             MACD histogram > 0 / < 0
down / up day          close below / above the previous close; red / green candle:
                       close below / above the open
volume spike / 放量     volume above its 20-bar average
touches / 碰到          non-strict state: close >= an upper line, <= a lower one
=====================  ==============================================================
"""

from __future__ import annotations

from typing import Any, Literal

from vibetrading.domain.indicators import get_indicator
from vibetrading.domain.strategy.dsl.canon import canonical_indicator
from vibetrading.domain.strategy.dsl.cursor import Context
from vibetrading.domain.strategy.dsl.numbers import format_number
from vibetrading.domain.strategy.expr import (
    Arithmetic,
    Compare,
    CompareOp,
    Constant,
    Cross,
    Highest,
    IndicatorRef,
    Lag,
    Lowest,
    PriceField,
)

__all__ = [
    "THRESHOLDS",
    "breakout",
    "day_move",
    "golden_cross",
    "label",
    "macd_histogram",
    "new_extreme",
    "percent_move",
    "pullback",
    "side_of",
    "threshold",
    "touch",
    "volume_surge",
]

THRESHOLDS: dict[str, tuple[float, float]] = {
    "rsi": (30.0, 70.0),
    "kdj": (20.0, 80.0),
    "willr": (-80.0, -20.0),
    "cci": (-100.0, 100.0),
    "mfi": (20.0, 80.0),
}
Side = Literal["above", "below"]
_DOWN: CompareOp = "<"
_UP: CompareOp = ">"
_CLOSE = PriceField(field="close")
_MOVING_AVERAGES = ("sma", "ema", "wma")


def label(node: Any) -> str:
    """Return a short English label of an operand for assumption texts."""
    if isinstance(node, IndicatorRef):
        return str(get_indicator(node.name).label(node.params, node.output))
    if isinstance(node, Constant):
        return format_number(node.value)
    if isinstance(node, PriceField):
        return node.field
    if isinstance(node, Highest | Lowest):
        side = "high" if isinstance(node, Highest) else "low"
        text = f"{node.bars}-bar {side}"
        item = node.item
        is_own_field = isinstance(item, PriceField) and item.field == side and not item.symbol
        return text if is_own_field else f"{text} of {label(item)}"
    return str(node.kind)


def side_of(node: Any) -> Side | None:
    """Return the side a line bounds: "above" for an upper one, "below" for a lower one.

    Upper lines are N-bar highs, upper bands and highs (also some bars ago); a constant,
    an average or the close has no side (None).
    """
    if isinstance(node, Lag):
        return side_of(node.item)
    output = getattr(node, "output", None)
    if isinstance(node, Highest) or output == "upper":
        return "above"
    if isinstance(node, Lowest) or output == "lower":
        return "below"
    if isinstance(node, PriceField) and node.field in ("high", "low"):
        return "above" if node.field == "high" else "below"
    return None


def threshold(context: Context, subject: Any, *, low: bool) -> Compare:
    """Return "oversold" (`low`) or "overbought" for `subject`, or RSI(14) by default."""
    if not (isinstance(subject, IndicatorRef) and subject.name in THRESHOLDS):
        subject = canonical_indicator("rsi")
    lower, upper = THRESHOLDS[subject.name]
    op: CompareOp = "<" if low else ">"
    level = lower if low else upper
    word = "oversold" if low else "overbought"
    found = Compare(op=op, left=subject, right=Constant(value=level))
    return context.note(found, f"'{word}' read as {label(subject)} {op} {format_number(level)}")


def golden_cross(context: Context, left: Any, right: Any, *, above: bool) -> Cross:
    """Return a golden (`above`) or death cross between `left` and `right`, or the default."""
    direction: Side = "above" if above else "below"
    if left is not None and right is not None:
        return Cross(direction=direction, left=left, right=right)
    pair = _indicator_pair(left) if left is not None else context.pair
    word = "golden cross" if above else "death cross"
    if pair is not None:
        return context.carry(left, Cross(direction=direction, left=pair[0], right=pair[1]))
    kind = left.name if isinstance(left, IndicatorRef) else "sma"
    kind = kind if kind in _MOVING_AVERAGES else "sma"
    pair = (canonical_indicator(kind, {"period": 50}), canonical_indicator(kind, {"period": 200}))
    found = Cross(direction=direction, left=pair[0], right=pair[1])
    return context.note(found, f"'{word}' without periods: {label(pair[0])} and {label(pair[1])}")


def _indicator_pair(left: Any) -> tuple[Any, Any] | None:
    if isinstance(left, IndicatorRef) and left.name == "macd":
        return (
            canonical_indicator("macd", left.params, "macd"),
            canonical_indicator("macd", left.params, "signal"),
        )
    if isinstance(left, IndicatorRef) and left.name == "kdj":
        return (
            canonical_indicator("kdj", left.params, "k"),
            canonical_indicator("kdj", left.params, "d"),
        )
    return None


def macd_histogram(context: Context, subject: Any, *, crossing: bool, positive: bool) -> Any:
    """Return 由绿翻红 / 由红翻绿 (`crossing`) or 红柱 / 绿柱 on the MACD histogram."""
    is_macd = isinstance(subject, IndicatorRef) and subject.name == "macd"
    histogram = canonical_indicator("macd", subject.params if is_macd else {}, "histogram")
    if is_macd:
        context.carry(subject, histogram)
    else:
        context.note(histogram, "MACD fast, slow, signal not given: used 12, 26, 9")
    zero = Constant(value=0.0)
    if crossing:
        side: Side = "above" if positive else "below"
        return Cross(direction=side, left=histogram, right=zero)
    op: CompareOp = ">" if positive else "<"
    return Compare(op=op, left=histogram, right=zero)


def breakout(context: Context, bars: int | None, *, up: bool) -> Cross:
    """Return close crossing above the N-bar high (`up`) or below the N-bar low."""
    note = "breakout period not given: used 20 bars" if bars is None else ""
    bars = bars or 20
    if up:
        found = Cross(direction="above", left=_CLOSE, right=Highest(bars=bars))
    else:
        found = Cross(direction="below", left=_CLOSE, right=Lowest(bars=bars))
    return context.note(found, note) if note else found


def new_extreme(context: Context, subject: Any, bars: int | None, *, high: bool) -> Compare:
    """Return "makes a new N-bar high/low": the subject beyond the N bars before it."""
    note = "new high/low period not given: used 20 bars" if bars is None else ""
    bars = bars or 20
    subject = subject if subject is not None else _CLOSE
    if high:
        found = Compare(op=">", left=subject, right=Highest(bars=bars))
    else:
        found = Compare(op="<", left=subject, right=Lowest(bars=bars))
    return context.note(found, note) if note else found


def pullback(context: Context, target: Any, percent: float | None) -> Compare:
    """Return a pullback: close at or below `target`, `percent` off the high, or SMA(20)."""
    if percent is not None:
        level = Arithmetic(op="*", left=Highest(bars=20), right=Constant(value=1 - percent))
        found = Compare(op="<=", left=_CLOSE, right=level)
        return context.note(found, "pullback measured from the 20-bar high")
    if target is None:
        found = Compare(op="<=", left=_CLOSE, right=canonical_indicator("sma", {"period": 20}))
        return context.note(found, "'pullback' read as close at or below SMA(20)")
    return Compare(op="<=", left=_CLOSE, right=target)


def day_move(key: str, subject: Any) -> Compare:
    """Return a down/up day (vs the previous bar) or a red/green candle (vs the open)."""
    if key in ("RED_CANDLE", "GREEN_CANDLE"):
        op: CompareOp = "<" if key == "RED_CANDLE" else ">"
        return Compare(op=op, left=_CLOSE, right=PriceField(field="open"))
    subject = subject if subject is not None else _CLOSE
    op = _DOWN if key in ("DOWN_DAY", "LOSS") else _UP
    return Compare(op=op, left=subject, right=Lag(bars=1, item=subject))


def percent_move(context: Context, fraction: float, bars: int | None, *, down: bool) -> Compare:
    """Return "drops/rises N% (in M bars)" as ROC(M) at or beyond -N% / +N%."""
    period = bars or 1
    roc = canonical_indicator("roc", {"period": period})
    if down:
        found = Compare(op="<=", left=roc, right=Constant(value=-fraction))
    else:
        found = Compare(op=">=", left=roc, right=Constant(value=fraction))
    move = format_number(fraction * 100)
    return context.note(found, f"a {move}% move read as the {period}-bar return ROC({period})")


def volume_surge(context: Context) -> Compare:
    """Return volume above its 20-bar average."""
    average = canonical_indicator("volume_sma")
    found = Compare(op=">", left=PriceField(field="volume"), right=average)
    return context.note(found, "'volume spike' read as volume above its 20-bar average")


def touch(context: Context, left: Any, right: Any) -> Compare:
    """Return "touches": a non-strict state, >= an upper line and <= a lower one."""
    op = _touch_side(left, right)
    found = Compare(op=op, left=left, right=right)
    return context.note(found, f"'touches' read as {label(left)} {op} {label(right)}")


def _touch_side(left: Any, right: Any) -> CompareOp:
    if isinstance(right, Highest) or getattr(right, "output", None) == "upper":
        return ">="
    if isinstance(right, Lowest) or getattr(right, "output", None) == "lower":
        return "<="
    if isinstance(right, Constant) and isinstance(left, IndicatorRef):
        low, high = get_indicator(left.name).range_of(left.output)
        if low is not None and high is not None:
            return ">=" if right.value > (low + high) / 2 else "<="
    return "<="
