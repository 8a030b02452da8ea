"""Render any StrategySpec as one canonical sentence in English or Chinese.

The sentence is what the offline parser reads back to the same spec (a property test
pins ``parse_strategy(render_spec(spec, lang)).spec == spec``), so it is explicit where
ordinary speech is not: every indicator parameter is written out (``RSI(14)``,
``MACD(12,26,9).signal``), arithmetic and nested and/or groups carry parentheses, and the
windows read "for 3 bars in a row", "within the last 5 bars", "2 bars ago" and
"bars since (...)" (Chinese: 连续3根K线, 最近5根K线内, 2根K线前的, 距上次(...)以来的K线数)::

    >>> from vibetrading.domain.strategy.expr import compare, indicator
    >>> from vibetrading.domain.strategy.spec import Risk, StrategySpec
    >>> spec = StrategySpec(entry=compare(indicator("rsi", period=14), "<", 30),
    ...                     risk=Risk(stop_loss=0.05))
    >>> render_spec(spec, "en")
    'Buy SPX when RSI(14) is below 30; stop loss 5%.'
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from vibetrading.domain.indicators import get_indicator
from vibetrading.domain.strategy.dsl.numbers import format_number
from vibetrading.domain.strategy.expr import Lag, walk
from vibetrading.domain.strategy.render_words import WORDS, Words, symbol_name
from vibetrading.domain.strategy.spec import Sizing, StrategySpec

__all__ = ["format_percent", "name_spec", "render_condition", "render_spec", "render_value"]

Language = Literal["en", "zh"]
_GROUPS = ("all", "any")


def _bars(count: int) -> str:
    return f"{count} bar" if count == 1 else f"{count} bars"


def format_percent(fraction: float) -> str:
    """Return `fraction` as a percentage that reads back exactly (0.05 -> ``5%``)."""
    scaled = (Decimal(repr(fraction)) * 100).normalize()
    return f"{scaled:f}%"


def render_value(node: Any, lang: Language = "en") -> str:
    """Return a numeric expression in canonical words (``RSI(14)``, ``the 20-bar high``)."""
    words = WORDS[lang]
    kind = node.kind
    if kind == "const":
        return format_number(node.value)
    if kind == "price":
        return _with_symbol(words.prices[node.field], node.symbol, words)
    if kind == "indicator":
        return _indicator(node, words, lang)
    if kind == "arith":
        return f"({render_value(node.left, lang)} {node.op} {render_value(node.right, lang)})"
    if kind in ("highest", "lowest"):
        return _extreme(node, words, lang)
    if kind == "lag":
        item = _operand(node.item, lang)
        return words.lag_value.format(n=node.bars, bars=_bars(node.bars), item=item)
    if kind == "bars_since":
        return words.bars_since.format(item=render_condition(node.item, lang))
    raise ValueError(f"{kind} is not a value")


def _with_symbol(text: str, symbol: str | None, words: Words) -> str:
    return (
        words.of_symbol.format(item=text, symbol=symbol_name(symbol, words.lang))
        if symbol
        else text
    )


def _indicator(node: Any, words: Words, lang: Language) -> str:
    text = get_indicator(node.name).label(node.params, node.output)
    if node.input is not None:
        text = words.of_input.format(item=text, source=_operand(node.input, lang))
    return _with_symbol(text, node.symbol, words)


def _extreme(node: Any, words: Words, lang: Language) -> str:
    side = "high" if node.kind == "highest" else "low"
    item = node.item
    if item.kind == "price" and item.field == side and item.symbol is None:
        return words.extreme_price[side].format(n=node.bars)
    return words.extreme_item[side].format(
        n=node.bars, bars=_bars(node.bars), item=_operand(item, lang)
    )


def _operand(node: Any, lang: Language) -> str:
    text = render_value(node, lang)
    nested = node.kind in ("lag", "highest", "lowest", "bars_since")
    if nested or (node.kind == "indicator" and node.input is not None):
        return f"({text})"
    return text


def render_condition(node: Any, lang: Language = "en") -> str:
    """Return a condition in canonical words (``RSI(14) crosses below 30``)."""
    words = WORDS[lang]
    kind = node.kind
    if kind == "compare":
        op = words.compare[node.op]
        return words.relation.format(left=render_value(node.left, lang), op=op,
                                     right=render_value(node.right, lang))  # fmt: skip
    if kind == "cross":
        op = words.cross[node.direction]
        return words.relation.format(left=render_value(node.left, lang), op=op,
                                     right=render_value(node.right, lang))  # fmt: skip
    if kind in _GROUPS:
        joiner = words.all_joiner if kind == "all" else words.any_joiner
        return joiner.join(_grouped(item, lang) for item in node.items)
    return _window(node, words, lang)


def _window(node: Any, words: Words, lang: Language) -> str:
    kind = node.kind
    if kind == "not":
        return words.negation.format(item=render_condition(node.item, lang))
    if kind == "lag":
        return words.lag_condition.format(
            n=node.bars, bars=_bars(node.bars), item=render_condition(node.item, lang)
        )
    item = _grouped(node.item, lang, also=("not",))
    if kind == "for_bars":
        return words.for_bars.format(n=node.bars, bars=_bars(node.bars), item=item)
    if kind == "within_bars":
        return words.within_bars.format(n=node.bars, bars=_bars(node.bars), item=item)
    raise ValueError(f"{kind} is not a condition")


def _grouped(node: Any, lang: Language, also: tuple[str, ...] = ()) -> str:
    text = render_condition(node, lang)
    return f"({text})" if node.kind in _GROUPS or node.kind in also else text


def _rule_clauses(spec: StrategySpec, words: Words, lang: Language) -> list[str]:
    short = spec.direction == "short"
    universe = words.and_joiner.join(symbol_name(code, lang) for code in spec.universe)
    opener = words.short_entry if short else words.entry
    clauses = [opener.format(universe=universe, cond=render_condition(spec.entry, lang))]
    close = words.cover if short else words.exit
    if isinstance(spec.exit, Lag) and spec.exit.item == spec.entry:
        hold = words.hold_cover if short else words.hold_exit
        clauses.append(hold.format(n=spec.exit.bars, bars=_bars(spec.exit.bars)))
    elif spec.exit is not None:
        clauses.append(close.format(cond=render_condition(spec.exit, lang)))
    if spec.direction == "both":
        if spec.short_entry is not None:
            cond = render_condition(spec.short_entry, lang)
            clauses.append(words.short_entry_rule.format(cond=cond))
        if spec.short_exit is not None:
            clauses.append(words.cover.format(cond=render_condition(spec.short_exit, lang)))
        clauses.append(words.both)
    return clauses


def _setting_clauses(spec: StrategySpec, words: Words) -> list[str]:
    clauses = []
    risk = spec.risk
    for name in ("stop_loss", "take_profit", "trailing_stop"):
        value = getattr(risk, name)
        if value is not None:
            clauses.append(words.risk[name].format(p=format_percent(value)))
    if risk.max_holding_bars is not None:
        n = risk.max_holding_bars
        clauses.append(words.max_hold.format(n=n, bars=_bars(n)))
    if spec.sizing != Sizing():
        clauses.append(_sizing(spec.sizing, words))
    if spec.timeframe.value != "1d":
        clauses.append(words.timeframes[spec.timeframe.value])
    return clauses


def _sizing(sizing: Sizing, words: Words) -> str:
    template = words.sizing[sizing.method]
    value = sizing.value
    if sizing.method in ("percent_equity", "volatility_target"):
        return template.format(v=format_percent(value))
    return template.format(v=format_number(value))


def render_spec(spec: StrategySpec, lang: Language = "en") -> str:
    """Return `spec` as one canonical sentence in English (``en``) or Chinese (``zh``).

    Covers every expression kind, risk, sizing, direction, universe and timeframe;
    defaults (daily bars, long only, 100% of equity) are left unsaid. Costs and metadata
    are not part of the sentence.
    """
    words = WORDS[lang]
    clauses = _rule_clauses(spec, words, lang) + _setting_clauses(spec, words)
    text = words.clause_joiner.join(clauses) + words.full_stop
    return text[0].upper() + text[1:]


def _extreme_label(bars: int, *, high: bool, lang: Language) -> str:
    if lang == "zh":
        return f"{bars}根K线{'高点' if high else '低点'}"
    return f"{bars}-bar {'high' if high else 'low'}"


def name_spec(spec: StrategySpec, lang: Language = "en") -> str:
    """Return a short name for `spec` from its indicators and instruments."""
    labels: list[str] = []
    for rule in (spec.entry, spec.exit, spec.short_entry, spec.short_exit):
        for node in walk(rule) if rule is not None else []:
            if node.kind == "indicator":
                labels.append(get_indicator(node.name).label(node.params, None).split(".")[0])
            elif node.kind in ("highest", "lowest"):
                labels.append(_extreme_label(node.bars, high=node.kind == "highest", lang=lang))
    shown = " / ".join(list(dict.fromkeys(labels))[:3])
    universe = ", ".join(symbol_name(code, lang) for code in spec.universe[:3])
    if lang == "zh":
        return f"{universe} {shown or '价格'}策略"[:200]
    return f"{shown or 'Price'} strategy on {universe}"[:200]
