"""Short formula-like text for expression nodes, for messages and explanations.

``formula(node)`` gives ``RSI(14) < 30 and close > SMA(200)``; with ``lang="zh"`` the
connecting words are Chinese (``RSI(14) < 30 且 close > SMA(200)``). This is not the
canonical sentence renderer of the parser's round-trip (``render.py``): it is compact,
unambiguous and never fails, even on an unknown indicator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from vibetrading.domain.indicators import find_indicator
from vibetrading.errors import SpecError

__all__ = ["Language", "formula"]

Language = Literal["en", "zh"]

_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "above": "crosses above",
        "below": "crosses below",
        "and": " and ",
        "or": " or ",
        "not": "not ",
        "for_bars": "{item} on each of the last {n} bars",
        "within_bars": "{item} within the last {n} bars",
        "lag": "{item} {n} bars ago",
        "lag_one": "{item} 1 bar ago",
        "highest": "the highest {item} of the previous {n} bars",
        "lowest": "the lowest {item} of the previous {n} bars",
        "bars_since": "bars since {item}",
    },
    "zh": {
        "above": "上穿",
        "below": "下穿",
        "and": " 且 ",
        "or": " 或 ",
        "not": "非",
        "for_bars": "连续{n}根K线{item}",
        "within_bars": "最近{n}根K线内曾{item}",
        "lag": "{n}根K线前的{item}",
        "lag_one": "前一根K线的{item}",
        "highest": "此前{n}根K线{item}的最高值",
        "lowest": "此前{n}根K线{item}的最低值",
        "bars_since": "距{item}的K线数",
    },
}
_FIELDS_ZH = {
    "open": "开盘价",
    "high": "最高价",
    "low": "最低价",
    "close": "收盘价",
    "volume": "成交量",
}


def formula(node: Any, *, lang: Language = "en") -> str:
    """Return `node` as compact text such as ``SMA(50) crosses above SMA(200)``.

    Unknown indicators are shown as written; nothing here raises.
    """
    return _RENDER[node.kind](node, lang)


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def _indicator(node: Any, lang: Language) -> str:
    info = find_indicator(node.name)
    try:
        text = info.label(node.params, node.output) if info else node.name.upper()
    except SpecError:
        text = node.name.upper()
    if node.input is not None:
        joint = " of " if lang == "en" else " 作用于 "
        text += joint + formula(node.input, lang=lang)
    return text + (f"@{node.symbol}" if node.symbol else "")


def _price(node: Any, lang: Language) -> str:
    text = _FIELDS_ZH[node.field] if lang == "zh" else node.field
    return text + (f"@{node.symbol}" if node.symbol else "")


def _arith(node: Any, lang: Language) -> str:
    return f"({formula(node.left, lang=lang)} {node.op} {formula(node.right, lang=lang)})"


def _compare(node: Any, lang: Language) -> str:
    return f"{formula(node.left, lang=lang)} {node.op} {formula(node.right, lang=lang)}"


def _cross(node: Any, lang: Language) -> str:
    verb = _WORDS[lang][node.direction]
    return f"{formula(node.left, lang=lang)} {verb} {formula(node.right, lang=lang)}"


def _group(word: str) -> Callable[[Any, Language], str]:
    def render(node: Any, lang: Language) -> str:
        parts = [_nested(item, lang) for item in node.items]
        return _WORDS[lang][word].join(parts)

    return render


def _nested(node: Any, lang: Language) -> str:
    text = formula(node, lang=lang)
    return f"({text})" if node.kind in ("all", "any") else text


def _window(word: str) -> Callable[[Any, Language], str]:
    def render(node: Any, lang: Language) -> str:
        key = "lag_one" if word == "lag" and node.bars == 1 else word
        return _WORDS[lang][key].format(item=_nested(node.item, lang), n=node.bars)

    return render


_RENDER: dict[str, Callable[[Any, Language], str]] = {
    "indicator": _indicator,
    "price": _price,
    "const": lambda node, lang: _number(node.value),
    "arith": _arith,
    "highest": _window("highest"),
    "lowest": _window("lowest"),
    "lag": _window("lag"),
    "bars_since": lambda node, lang: _WORDS[lang]["bars_since"].format(
        item=_nested(node.item, lang)
    ),
    "compare": _compare,
    "cross": _cross,
    "all": _group("and"),
    "any": _group("or"),
    "not": lambda node, lang: _WORDS[lang]["not"] + f"({formula(node.item, lang=lang)})",
    "for_bars": _window("for_bars"),
    "within_bars": _window("within_bars"),
}
