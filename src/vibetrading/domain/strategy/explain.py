"""Explain a strategy in the user's language: what it does, when it works, what it risks.

``explain_spec(spec, lang="zh", bars=bars)`` returns an ``Explanation`` whose ``text`` is
markdown-ish plain text and whose ``sections`` hold the parts (summary, rules, indicators,
conditions, risk, frequency). Metadata written by the parser, the LLM or a template is
used when it is in the requested language; otherwise the words are derived from the rules.
With bars, the frequency section counts how often each rule fired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vibetrading.domain.indicators import find_indicator
from vibetrading.domain.strategy.compile import SignalCompiler
from vibetrading.domain.strategy.evidence import data_span, format_time, signal_stats
from vibetrading.domain.strategy.explain_texts import HEADINGS, PHRASES, RULE_WORDS, STYLES
from vibetrading.domain.strategy.expr import walk
from vibetrading.domain.strategy.formula import Language, formula
from vibetrading.domain.strategy.spec import StrategySpec
from vibetrading.errors import SpecError

__all__ = ["Explanation", "classify_style", "explain_spec"]

_TIMEFRAMES = {
    "en": {"1m": "1-minute", "5m": "5-minute", "15m": "15-minute", "1h": "hourly",
           "4h": "4-hour", "1d": "daily", "1w": "weekly", "1M": "monthly"},
    "zh": {"1m": "1分钟", "5m": "5分钟", "15m": "15分钟", "1h": "小时", "4h": "4小时",
           "1d": "日", "1w": "周", "1M": "月"},
}  # fmt: skip
_MEAN_REVERTING = {"rsi", "kdj", "willr", "mfi", "cci"}
_TRENDING = {"sma", "ema", "wma", "macd", "roc", "momentum", "adx"}
_RISK_FIELDS = ("stop_loss", "take_profit", "trailing_stop", "max_holding_bars")


@dataclass(frozen=True)
class Explanation:
    """A strategy explained: the full `text` and its `sections` by key, in `lang`."""

    text: str
    sections: dict[str, str] = field(default_factory=dict)
    lang: Language = "en"


def _indicator_names(nodes: list[Any]) -> set[str]:
    names = set()
    for node in nodes:
        info = find_indicator(node.name) if node.kind == "indicator" else None
        if info is not None:
            names.add(info.name if node.output is None else f"{info.name}.{node.output}")
    return names


def classify_style(spec: StrategySpec) -> str:
    """Return the kind of strategy: pairs, breakout, mean_reversion, trend or general.

    Judged from the entry rule: another symbol or a z-score means pairs; Donchian
    channels, N-bar highs or Bollinger band width mean breakout; oscillators (RSI, KDJ,
    Williams %R, MFI, CCI) or the lower band mean mean reversion; moving averages, MACD,
    ROC, momentum or ADX mean trend.
    """
    nodes = walk(spec.entry)
    names = _indicator_names(nodes)
    bases = {name.split(".")[0] for name in names}
    kinds = {node.kind for node in nodes}
    if "zscore" in bases or any(getattr(node, "symbol", None) for node in nodes):
        return "pairs"
    if "donchian" in bases or kinds & {"highest", "lowest"} or "bbands.bandwidth" in names:
        return "breakout"
    if bases & _MEAN_REVERTING or {"bbands.lower", "bbands.percent_b"} & names:
        return "mean_reversion"
    if bases & _TRENDING or "bbands" in bases:
        return "trend"
    return "general"


def _own(spec: StrategySpec, text: str, lang: Language) -> str:
    return text if text and spec.metadata.language == lang else ""


def _rules_section(spec: StrategySpec, words: Mapping[str, str]) -> str:
    lang: Language = "zh" if words is PHRASES["zh"] else "en"
    side = "short" if spec.direction == "short" else "long"
    lines = [words[f"entry_{side}"].format(rule=formula(spec.entry, lang=lang))]
    if spec.exit is not None:
        lines.append(words[f"exit_{side}"].format(rule=formula(spec.exit, lang=lang)))
    elif any(getattr(spec.risk, name) is not None for name in _RISK_FIELDS):
        lines.append(words["no_exit_rule"])
    else:
        lines.append(words["no_exit"])
    for name in ("short_entry", "short_exit"):
        rule = getattr(spec, name)
        if rule is not None:
            lines.append(words[name].format(rule=formula(rule, lang=lang)))
    return "\n".join(lines)


def _percent(value: float) -> str:
    return f"{value * 100:.4g}%"


def _risk_value(name: str, value: float) -> str:
    return str(value) if name == "max_holding_bars" else _percent(value)


def _size(sizing: Any) -> str:
    if sizing.method in ("percent_equity", "volatility_target"):
        return _percent(sizing.value)
    return f"{sizing.value:,.2f}" if sizing.method == "fixed_cash" else f"{sizing.value:g}"


def _risk_section(spec: StrategySpec, lang: Language) -> str:
    words = PHRASES[lang]
    lines = [text] if (text := _own(spec, spec.metadata.risk_assumptions, lang)) else []
    items = [
        words[name].format(value=_risk_value(name, getattr(spec.risk, name)))
        for name in _RISK_FIELDS
        if getattr(spec.risk, name) is not None
    ]
    lines.append(
        words["risk_exits"].format(items=words["and"].join(items)) if items else words["no_risk"]
    )
    sizing = spec.sizing
    lines.append(words[sizing.method].format(value=_size(sizing), count=len(spec.universe)))
    if spec.costs is not None:
        costs = spec.costs.model_dump(exclude_none=True)
        if costs:
            listed = words["and"].join(f"{key}={value:g}" for key, value in costs.items())
            lines.append(words["costs"].format(items=listed))
    return "\n".join(lines)


def _indicators_section(spec: StrategySpec, lang: Language) -> str:
    if text := _own(spec, spec.metadata.indicator_interpretation, lang):
        return text
    lines: dict[str, str] = {}
    for name in ("entry", "exit", "short_entry", "short_exit"):
        rule = getattr(spec, name)
        for node in walk(rule) if rule is not None else []:
            info = find_indicator(node.name) if node.kind == "indicator" else None
            if info is None or info.name in lines:
                continue
            title = info.title_zh if lang == "zh" else info.title
            about = info.description_zh if lang == "zh" else info.description
            text = PHRASES[lang]["indicator"].format(
                name=info.name.upper(), title=title, about=about
            )
            lines[info.name] = text
    return "\n".join(lines.values())


def _frequency_section(spec: StrategySpec, lang: Language, bars: Any, symbol: str | None) -> str:
    words = PHRASES[lang]
    lines = [text] if (text := _own(spec, spec.metadata.signal_frequency, lang)) else []
    if bars is None:
        return "\n".join([*lines, words["no_data"]])
    if symbol is None and isinstance(bars, Mapping) and spec.universe[0] in bars:
        symbol = spec.universe[0]
    try:
        compiler = SignalCompiler(bars, symbol=symbol)
        held = {
            name: compiler.condition(getattr(spec, name))
            for name in RULE_WORDS[lang]
            if getattr(spec, name) is not None
        }
    except SpecError as e:
        return "\n".join([*lines, str(e)])
    span = data_span(compiler.index, separator=words["span"])
    for name, values in held.items():
        stats = signal_stats(values, compiler.index)
        rule = RULE_WORDS[lang][name]
        if stats.events == 0:
            lines.append(words["never"].format(span=span, bars=stats.bars, rule=rule))
            continue
        lines.append(
            words["signals"].format(
                span=span,
                bars=stats.bars,
                years=stats.years,
                rule=rule,
                events=stats.events,
                per_year=stats.per_year,
                share=stats.share_held,
            )
        )
    if "entry" in held and held["entry"].any():
        last = int(held["entry"].nonzero()[0][-1])
        lines.append(words["last"].format(when=format_time(compiler.index, last)))
    return "\n".join(lines)


def explain_spec(
    spec: StrategySpec,
    *,
    lang: Language = "en",
    bars: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
    symbol: str | None = None,
) -> Explanation:
    """Explain `spec` in English (``lang="en"``) or Chinese (``"zh"``).

    Sections: summary (what it trades and the spec's own explanation), rules, indicators
    (what each one measures), conditions (when it tends to work and fail), risk (stops,
    targets, sizing, costs) and frequency. With `bars` (the traded symbol's frame, or a
    mapping for pairs) the frequency section counts, per rule, how many times it became
    true, how often per year and on what share of bars it held.

    Example::

        print(explain_spec(spec, lang="zh", bars=bars).text)
    """
    if lang not in PHRASES:
        raise SpecError(f"Explanations are written in 'en' or 'zh', not {lang!r}.")
    words = PHRASES[lang]
    trades = words["trades"].format(
        universe=", ".join(spec.universe),
        timeframe=_TIMEFRAMES[lang].get(spec.timeframe.value, spec.timeframe.value),
        direction=words[spec.direction],
    )
    summary = words["join"].join(filter(None, [_own(spec, spec.explanation, lang), trades]))
    conditions = _own(spec, spec.metadata.market_conditions, lang)
    sections = {
        "summary": summary,
        "rules": _rules_section(spec, words),
        "indicators": _indicators_section(spec, lang),
        "conditions": conditions or STYLES[lang][classify_style(spec)],
        "risk": _risk_section(spec, lang),
        "frequency": _frequency_section(spec, lang, bars, symbol),
    }
    headings = HEADINGS[lang]
    parts = [spec.name] + [f"## {headings[key]}\n{body}" for key, body in sections.items() if body]
    return Explanation("\n\n".join(parts), sections, lang)
