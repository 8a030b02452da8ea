"""The canonical words of rendered strategies, in English and Chinese.

Every phrase here is one the offline parser reads back (``dsl/lexicon.py``); change
both together. Templates use ``str.format`` fields: ``{left}``, ``{op}``, ``{right}``,
``{item}``, ``{n}`` (a number of bars), ``{bars}`` ("3 bars", "1 bar"), ``{cond}``,
``{universe}``, ``{p}`` (a percentage) and ``{v}``.
"""

# Chinese text keeps its full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from dataclasses import dataclass

from vibetrading.domain.trading.symbols import KNOWN_INSTRUMENTS

__all__ = ["WORDS", "Words", "symbol_name"]


@dataclass(frozen=True)
class Words:
    """The phrases of one language."""

    lang: str
    prices: dict[str, str]
    compare: dict[str, str]
    cross: dict[str, str]
    relation: str
    all_joiner: str
    any_joiner: str
    and_joiner: str
    negation: str
    for_bars: str
    within_bars: str
    lag_condition: str
    lag_value: str
    bars_since: str
    of_symbol: str
    of_input: str
    extreme_price: dict[str, str]
    extreme_item: dict[str, str]
    entry: str
    short_entry: str
    exit: str
    cover: str
    short_entry_rule: str
    hold_exit: str
    hold_cover: str
    both: str
    risk: dict[str, str]
    max_hold: str
    sizing: dict[str, str]
    timeframes: dict[str, str]
    clause_joiner: str
    full_stop: str


_EN = Words(
    lang="en",
    prices={"close": "close", "open": "open", "high": "high", "low": "low", "volume": "volume"},
    compare={">": "is above", ">=": "is at or above", "<": "is below", "<=": "is at or below",
             "==": "equals", "!=": "does not equal"},
    cross={"above": "crosses above", "below": "crosses below"},
    relation="{left} {op} {right}",
    all_joiner=" and ",
    any_joiner=" or ",
    and_joiner=" and ",
    negation="not ({item})",
    for_bars="{item} for {bars} in a row",
    within_bars="{item} within the last {bars}",
    lag_condition="({item}) {bars} ago",
    lag_value="{item} {bars} ago",
    bars_since="bars since ({item})",
    of_symbol="{item} of {symbol}",
    of_input="{item} of {source}",
    extreme_price={"high": "the {n}-bar high", "low": "the {n}-bar low"},
    extreme_item={"high": "the highest {item} of the previous {bars}",
                  "low": "the lowest {item} of the previous {bars}"},
    entry="buy {universe} when {cond}",
    short_entry="sell short {universe} when {cond}",
    exit="sell when {cond}",
    cover="cover when {cond}",
    short_entry_rule="sell short when {cond}",
    hold_exit="hold {bars} then sell",
    hold_cover="hold {bars} then cover",
    both="long and short",
    risk={"stop_loss": "stop loss {p}", "take_profit": "take profit {p}",
          "trailing_stop": "trailing stop {p}"},
    max_hold="hold at most {bars}",
    sizing={"percent_equity": "position size {v} of equity", "fixed_cash": "${v} per trade",
            "fixed_quantity": "{v} units per trade", "equal_weight": "equal weight",
            "volatility_target": "volatility target {v}"},
    timeframes={"1m": "1-minute bars", "5m": "5-minute bars", "15m": "15-minute bars",
                "1h": "hourly bars", "4h": "4-hour bars", "1d": "daily bars",
                "1w": "weekly bars", "1M": "monthly bars"},
    clause_joiner="; ",
    full_stop=".",
)  # fmt: skip

_ZH = Words(
    lang="zh",
    prices={"close": "收盘价", "open": "开盘价", "high": "最高价", "low": "最低价",
            "volume": "成交量"},
    compare={">": "高于", ">=": "大于等于", "<": "低于", "<=": "小于等于", "==": "等于",
             "!=": "不等于"},
    cross={"above": "上穿", "below": "下穿"},
    relation="{left}{op}{right}",
    all_joiner="且",
    any_joiner="或",
    and_joiner="和",
    negation="并非({item})",
    for_bars="连续{n}根K线{item}",
    within_bars="最近{n}根K线内{item}",
    lag_condition="{n}根K线前({item})",
    lag_value="{n}根K线前的{item}",
    bars_since="距上次({item})以来的K线数",
    of_symbol="{symbol}的{item}",
    of_input="{source}的{item}",
    extreme_price={"high": "前{n}根K线的最高价", "low": "前{n}根K线的最低价"},
    extreme_item={"high": "前{n}根K线{item}的最高值", "low": "前{n}根K线{item}的最低值"},
    entry="当{cond}时买入{universe}",
    short_entry="当{cond}时做空{universe}",
    exit="当{cond}时卖出",
    cover="当{cond}时平空",
    short_entry_rule="当{cond}时做空",
    hold_exit="持有{n}根K线后卖出",
    hold_cover="持有{n}根K线后平空",
    both="多空双向",
    risk={"stop_loss": "止损{p}", "take_profit": "止盈{p}", "trailing_stop": "移动止损{p}"},
    max_hold="最多持有{n}根K线",
    sizing={"percent_equity": "仓位为权益的{v}", "fixed_cash": "每笔{v}元",
            "fixed_quantity": "每笔{v}股", "equal_weight": "等权重",
            "volatility_target": "目标波动率{v}"},
    timeframes={"1m": "1分钟线", "5m": "5分钟线", "15m": "15分钟线", "1h": "小时线",
                "4h": "4小时线", "1d": "日线", "1w": "周线", "1M": "月线"},
    clause_joiner="；",
    full_stop="。",
)  # fmt: skip

WORDS: dict[str, Words] = {"en": _EN, "zh": _ZH}
"""The phrase tables by language."""

_ZH_OVERRIDES = {"SPX": "标普500"}


def _zh_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for instrument in KNOWN_INSTRUMENTS:
        chinese = [n for n in instrument.names if any("\u4e00" <= c <= "\u9fff" for c in n)]
        if chinese:
            names[instrument.code] = chinese[0]
    names.update(_ZH_OVERRIDES)
    return names


_ZH_NAMES = _zh_names()


def symbol_name(code: str | None, lang: str) -> str:
    """Return how a symbol is written: its code, or its Chinese name in Chinese text."""
    if code is None:
        return ""
    return _ZH_NAMES.get(code, code) if lang == "zh" else code
