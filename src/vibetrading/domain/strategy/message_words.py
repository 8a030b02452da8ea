"""The parser's and the validator's messages in the reader's language.

The parser and the validator write short English sentences ("RSI period not given: used
14", "No stop-loss given; ...", "Entry can never hold: ..."); those stay the stable,
machine-readable form in JSON outputs. A person reading a Chinese idea sees them in
Chinese: ``localize_note(text, "zh")`` matches each sentence against their phrasings and
fills the Chinese one. A sentence it does not know is returned unchanged, never dropped.

    >>> localize_note("RSI period not given: used 14", "zh")
    'RSI 未给出周期：使用 14'
    >>> localize_note("no instrument named: used SPX", "en")
    'no instrument named: used SPX'
"""

# Chinese text keeps its full-width punctuation on purpose.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["localize_note", "localize_notes"]

_FIELDS_ZH = {
    "close": "收盘价",
    "open": "开盘价",
    "high": "最高价",
    "low": "最低价",
    "volume": "成交量",
    "the close price": "收盘价",
}
_WORDS_ZH = {
    "oversold": "超卖",
    "overbought": "超买",
    "golden cross": "金叉",
    "death cross": "死叉",
    "touches": "触及",
    "volume spike": "放量",
    "pullback": "回调",
    "between": "之间",
    "breaks": "突破",
    "break": "突破",
    "broke": "突破",
    "breaking": "突破",
    "breaks through": "突破",
    "break through": "突破",
    "broke through": "突破",
    "breaking through": "突破",
}
_PARAMS_ZH = {
    "period": "周期",
    "fast": "快线周期",
    "slow": "慢线周期",
    "signal": "信号线周期",
    "std": "标准差倍数",
    "k_smooth": "K值平滑周期",
    "d_smooth": "D值平滑周期",
}
_ROLES_ZH = {
    "entry": "入场",
    "exit": "出场",
    "short entry": "做空入场",
    "short exit": "做空出场",
    "short_entry": "做空入场",
    "short_exit": "做空出场",
}


_EXTREME = re.compile(r"(?P<n>\d+)-bar (?P<side>high|low)(?: of (?P<item>.+))?")


def _label(text: str) -> str:
    extreme = _EXTREME.fullmatch(text)
    if extreme is not None:
        # as the spec renderer says it: 前20根K线的最高价, 前20根K线收盘价的最高值
        side = "高" if extreme["side"] == "high" else "低"
        if extreme["item"] is None:
            return f"前{extreme['n']}根K线的最{side}价"
        return f"前{extreme['n']}根K线{_label(extreme['item'])}的最{side}值"
    return " ".join(_FIELDS_ZH.get(part, part) for part in text.split(" "))


def _word(text: str) -> str:
    return _WORDS_ZH.get(text, text)


def _params(text: str) -> str:
    return "、".join(_PARAMS_ZH.get(name, name) for name in text.split(", "))


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

# the most specific phrasing first: the generic "'X' read as Y" comes last of its kind
_ZH: list[Rule] = [
    (
        re.compile(r"no instrument named: used (?P<s>.+)"),
        lambda m: f"未指定标的：使用 {m['s']}",
    ),
    (
        re.compile(r"no subject given: used the close price"),
        lambda m: "未指明比较对象：使用收盘价",
    ),
    (
        re.compile(r"no subject given: used (?P<s>.+) from before"),
        lambda m: f"未指明比较对象：沿用前面的 {_label(m['s'])}",
    ),
    (
        re.compile(r"breakout period not given: used (?P<n>\d+) bars"),
        lambda m: f"未给出突破周期：使用 {m['n']} 根K线",
    ),
    (
        re.compile(r"new high/low period not given: used (?P<n>\d+) bars"),
        lambda m: f"未给出新高/新低周期：使用 {m['n']} 根K线",
    ),
    (
        re.compile(r"(?P<i>[A-Z][A-Z0-9_]*) (?P<p>[a-z_, ]+) not given: used (?P<v>.+)"),
        lambda m: f"{m['i']} 未给出{_params(m['p'])}：使用 {m['v'].replace(', ', '、')}",
    ),
    (
        re.compile(r"conditions given side by side were joined with 'and'"),
        lambda m: "并列的条件按“且”连接",
    ),
    (
        re.compile(r"a condition without a buy/sell word joined the rule before it"),
        lambda m: "没有买卖字眼的条件并入了前一条规则",
    ),
    (
        re.compile(r"no buy or sell word: the conditions were read as the entry"),
        lambda m: "没有买卖字眼：这些条件被当作入场条件",
    ),
    (
        re.compile(r"read '(?P<a>.+)' as '(?P<b>.+)'"),
        lambda m: f"把“{m['a']}”读作“{m['b']}”",
    ),
    (
        re.compile(r"'(?P<t>.+)': read (?P<n>\S+) as a percentage"),
        lambda m: f"“{m['t']}”：把 {m['n']} 读作百分比",
    ),
    (
        re.compile(r"(?P<n>\S+) per trade read as an amount of cash"),
        lambda m: f"每笔 {m['n']} 读作现金金额",
    ),
    (
        re.compile(r"(?P<n>\d+) separate (?P<r>.+) rules: any one triggers"),
        lambda m: f"{m['n']} 条独立的{_ROLES_ZH.get(m['r'], m['r'])}规则：任一满足即触发",
    ),
    (
        re.compile(r"'the day after X' read as X one bar earlier"),
        lambda m: "“X 的次日”读作 X 提前一根K线",
    ),
    (
        re.compile(r"'between' read as strictly above the low and below the high"),
        lambda m: "“之间”读作严格高于下限且低于上限",
    ),
    (
        re.compile(r"pullback measured from the (?P<n>\d+)-bar high"),
        lambda m: f"回调从 {m['n']} 根K线的最高点算起",
    ),
    (
        re.compile(r"'pullback' read as close at or below (?P<l>.+)"),
        lambda m: f"“回调”读作收盘价不高于 {m['l']}",
    ),
    (
        re.compile(r"'volume spike' read as volume above its (?P<n>\d+)-bar average"),
        lambda m: f"“放量”读作成交量高于 {m['n']} 根K线的均量",
    ),
    (
        re.compile(r"a (?P<x>\S+)% move read as the (?P<n>\d+)-bar return (?P<r>.+)"),
        lambda m: f"{m['x']}% 的涨跌读作 {m['n']} 根K线收益率 {m['r']}",
    ),
    (
        re.compile(r"'(?P<w>.+)' without periods: (?P<a>.+) and (?P<b>.+)"),
        lambda m: f"“{_word(m['w'])}”未给出周期：使用 {m['a']} 和 {m['b']}",
    ),
    (
        re.compile(r"'(?P<w>.+)' alone: (?P<a>.+) and (?P<b>.+) from before"),
        lambda m: f"单独的“{_word(m['w'])}”：沿用前面的 {_label(m['a'])} 和 {_label(m['b'])}",
    ),
    (
        re.compile(r"'(?P<w>.+)' without a direction: read as crosses above"),
        lambda m: f"“{_word(m['w'])}”未说明方向：读作上穿",
    ),
    (
        re.compile(r"'(?P<w>.+)' read as (?P<a>.+?) (?P<op>[<>]=?) (?P<b>.+)"),
        lambda m: f"“{_word(m['w'])}”读作 {_label(m['a'])} {m['op']} {_label(m['b'])}",
    ),
]


_ZH.append(
    # the benchmark a run is set against ("SPX buy & hold"), in summaries and charts
    (re.compile(r"(?P<s>.+) buy & hold"), lambda m: f"{m['s']} 买入持有")
)

_RULE_ROLES_ZH = {"buy": "买入", "sell": "卖出", "short": "做空", "cover": "平空"}
_BASIS_ZH = {
    "a common default": "常用的默认值",
    "about three typical bar ranges (3 x ATR 14)": "约三根K线的典型波幅（3 × ATR 14）",
}


def _levels(text: str) -> str:
    parts = re.findall(r"a (\d+%) (stop-loss|take-profit)", text)
    return "和".join(f"{x}{'止损' if kind == 'stop-loss' else '止盈'}" for x, kind in parts)


# warnings and suggestion reasons of the parser and the validator
_ZH_NOTES: list[Rule] = [
    (
        re.compile(
            r"No exit: there is no exit rule and no stop-loss, take-profit, trailing stop or "
            r"holding limit, so every position would be held to the end of the data\. "
            r"Suggested: (?P<l>.+) \(not applied until you accept them\)\."
        ),
        lambda m: (
            "没有出场：既没有卖出规则，也没有止损、止盈、移动止损或持有期限，每笔持仓都会"
            f"一直拿到数据结束。建议：{_levels(m['l'])}（接受后才会生效）。"
        ),
    ),
    (
        re.compile(r"No condition was found for the (?P<r>\w+) rule\."),
        lambda m: f"没有找到{_RULE_ROLES_ZH.get(m['r'], m['r'])}规则的条件。",
    ),
    (
        re.compile(r"No stop-loss given; (?P<x>\d+%) below the entry price is (?P<b>.+)\."),
        lambda m: f"未设止损；入场价下方 {m['x']} 是{_BASIS_ZH.get(m['b'], m['b'])}。",
    ),
    (
        re.compile(r"No take-profit given; (?P<x>\d+%) above the entry is twice the stop\."),
        lambda m: f"未设止盈；入场价上方 {m['x']}，是止损的两倍。",
    ),
    (
        re.compile(
            r"No position size given; each entry invests 100% of equity\. Accept it, or "
            r"lower the value \(0\.5 = half\) to risk less per trade\."
        ),
        lambda m: (
            "未设仓位；每次入场投入全部权益。可以接受，或调低数值（0.5 = 一半）以降低每笔风险。"
        ),
    ),
]


_RULE_LABELS_ZH = {
    "Entry": "入场条件",
    "Exit": "出场条件",
    "Short entry": "做空入场条件",
    "Short exit": "做空出场条件",
}
_EXTREMES_ZH = {"highest": "最高", "lowest": "最低", "closest": "最接近的"}
_LABEL = r"(?P<l>Entry|Exit|Short entry|Short exit)"
_QUOTED = r"'(?P<t>[^']+)'"


def _range(text: str) -> str:
    if match := re.fullmatch(r"between (\S+) and (\S+)", text):
        return f"在 {match[1]} 到 {match[2]} 之间"
    if match := re.fullmatch(r"at (least|most) (\S+)", text):
        return f"{'不低于' if match[1] == 'least' else '不高于'} {match[2]}"
    return text


# why a condition can never hold, or always holds (feasibility and the data checks)
_ZH_REASONS: list[Rule] = [
    (
        re.compile(r"'(?P<a>[^']+)' and '(?P<b>[^']+)' can never hold together\."),
        lambda m: f"“{m['a']}”与“{m['b']}”不可能同时成立。",
    ),
    (
        re.compile(
            r"(?P<i>\S+) is (?P<r>between \S+ and \S+|at least \S+|at most \S+); "
            + _QUOTED
            + r" can never hold\."
        ),
        lambda m: f"{m['i']} 的取值{_range(m['r'])}，“{m['t']}”永远不会成立。",
    ),
    (
        re.compile(
            r"(?P<i>\S+) is (?P<r>between \S+ and \S+|at least \S+|at most \S+), so "
            + _QUOTED
            + r" can never happen\."
        ),
        lambda m: f"{m['i']} 的取值{_range(m['r'])}，“{m['t']}”永远不会发生。",
    ),
    (
        re.compile(
            r"(?P<i>\S+) is (?P<r>between \S+ and \S+|at least \S+|at most \S+); "
            + _QUOTED
            + r" always holds\."
        ),
        lambda m: f"{m['i']} 的取值{_range(m['r'])}，“{m['t']}”总是成立。",
    ),
    (
        re.compile(_QUOTED + r" compares a line with itself\."),
        lambda m: f"“{m['t']}”把一条线和它自己比较。",
    ),
    (re.compile(_QUOTED + r" is always false\."), lambda m: f"“{m['t']}”恒为假。"),
    (re.compile(_QUOTED + r" is always true\."), lambda m: f"“{m['t']}”恒为真。"),
    (
        re.compile(_QUOTED + r" never held; the closest gap was (?P<g>\S+) on (?P<w>\S+)\."),
        lambda m: f"“{m['t']}”从未成立；最接近时相差 {m['g']}（{m['w']}）。",
    ),
    (
        re.compile(
            _QUOTED + r" never held; its (?P<k>highest|lowest|closest) value was (?P<v>\S+) "
            r"on (?P<w>\S+)\."
        ),
        lambda m: f"“{m['t']}”从未成立；{_EXTREMES_ZH[m['k']]}值为 {m['v']}（{m['w']}）。",
    ),
    (
        re.compile(
            _QUOTED + r" never happened; (?P<s>.+) stayed (?P<d>above|below) it on every "
            r"bar\."
        ),
        lambda m: (
            f"“{m['t']}”从未发生；{m['s']} 每根K线都在它{'上方' if m['d'] == 'above' else '下方'}。"
        ),
    ),
    (
        re.compile(_QUOTED + r" never held; (?P<s>.+) had no value yet \(too few bars\)\."),
        lambda m: f"“{m['t']}”从未成立；{m['s']} 还没有数值（K线太少）。",
    ),
    (
        re.compile(r"each of its conditions held on some bars, but never all together\."),
        lambda m: "每个条件都在某些K线上成立过，但从未同时成立。",
    ),
]


def _reasons(text: str) -> str:
    # one or more reason sentences, each ending with "." before the next quote or the end
    parts = re.split(r"(?<=\.) (?=['A-Za-z])", text)
    out = []
    for part in parts:
        for pattern, build in _ZH_REASONS:
            if (match := pattern.fullmatch(part)) is not None:
                out.append(build(match))
                break
        else:
            out.append(part)
    return "".join(out)


_ZH_VALIDATION: list[Rule] = [
    (
        re.compile(_LABEL + r" can never hold: (?P<r>.+)"),
        lambda m: f"{_RULE_LABELS_ZH[m['l']]}永远不会成立：{_reasons(m['r'])}",
    ),
    (
        re.compile(_LABEL + r": one alternative can never hold: (?P<r>.+)"),
        lambda m: f"{_RULE_LABELS_ZH[m['l']]}：其中一个备选条件永远不会成立：{_reasons(m['r'])}",
    ),
    (
        re.compile(_LABEL + r": (?P<r>.+) It filters nothing\."),
        lambda m: f"{_RULE_LABELS_ZH[m['l']]}：{_reasons(m['r'])}它什么也没有过滤。",
    ),
    (
        re.compile(
            _LABEL + r" never held on the data \((?P<n>[\d,]+) bars, (?P<a>\S+) to (?P<b>\S+)\): "
            r"(?P<r>.+)"
        ),
        lambda m: (
            f"{_RULE_LABELS_ZH[m['l']]}在数据上从未成立（{m['n']} 根K线，{m['a']} 至 {m['b']}）："
            f"{_reasons(m['r'])}"
        ),
    ),
]


def localize_note(text: str, language: str) -> str:
    """Return the parser's or the validator's message `text` in `language` ("en" or "zh")."""
    if language != "zh":
        return text
    for pattern, build in (*_ZH, *_ZH_NOTES, *_ZH_VALIDATION):
        match = pattern.fullmatch(text)
        if match is not None:
            return build(match)
    return text


def localize_notes(texts: Iterable[str], language: str) -> list[str]:
    """Return every message of `texts` in `language`, in order."""
    return [localize_note(text, language) for text in texts]
