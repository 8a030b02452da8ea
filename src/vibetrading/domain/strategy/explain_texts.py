"""The words of strategy explanations, in English and Chinese.

``HEADINGS`` titles the sections; ``PHRASES`` are the sentence patterns (``str.format``);
``STYLES`` describe, per kind of strategy, when it tends to work and fail, for specs whose
metadata does not say.
"""

# Chinese text keeps its full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

__all__ = ["HEADINGS", "PHRASES", "STYLES"]

HEADINGS: dict[str, dict[str, str]] = {
    "en": {
        "summary": "What it does",
        "rules": "Rules",
        "indicators": "What the indicators mean",
        "conditions": "When it tends to work and fail",
        "risk": "Risk assumptions",
        "frequency": "How often it signals",
    },
    "zh": {
        "summary": "策略说明",
        "rules": "规则",
        "indicators": "指标含义",
        "conditions": "适用与失效的行情",
        "risk": "风险假设",
        "frequency": "信号频率",
    },
}

PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "trades": "Trades {universe} on {timeframe} bars ({direction}).",
        "long": "long only",
        "short": "short only",
        "both": "long and short",
        "entry_long": "Buy when: {rule}.",
        "entry_short": "Sell short when: {rule}.",
        "exit_long": "Sell when: {rule}.",
        "exit_short": "Buy to cover when: {rule}.",
        "short_entry": "Sell short when: {rule}.",
        "short_exit": "Buy to cover when: {rule}.",
        "no_exit_rule": "There is no exit rule: positions close only through the risk exits.",
        "no_exit": "There is no exit at all (no exit rule, stop-loss, take-profit or holding "
        "limit): a position is held until the end of the data.",
        "stop_loss": "a stop-loss at a {value} loss",
        "take_profit": "a take-profit at a {value} gain",
        "trailing_stop": "a trailing stop {value} from the best price since entry",
        "max_holding_bars": "an exit after {value} bars at most",
        "risk_exits": "Risk exits: {items}.",
        "no_risk": "No stop-loss, take-profit or holding limit is set.",
        "percent_equity": "Each entry invests {value} of equity.",
        "fixed_cash": "Each entry invests a fixed {value} in cash.",
        "fixed_quantity": "Each entry buys a fixed {value} units.",
        "equal_weight": "Equity is split equally across the {count} symbols.",
        "volatility_target": "Positions are sized to aim at {value} annual volatility.",
        "costs": "Costs overridden: {items}.",
        "signals": "On {span} ({bars} bars, {years:.1f} years): the {rule} condition became "
        "true {events} times ({per_year:.1f} a year) and held on {share:.1%} of bars.",
        "never": "On {span} ({bars} bars): the {rule} condition never held.",
        "last": "The last entry signal was on {when}.",
        "no_data": "Give data to see how often it signals.",
        "and": ", ",
        "indicator": "{name} ({title}): {about}.",
        "span": " to ",
        "join": " ",
    },
    "zh": {
        "trades": "交易{universe}，使用{timeframe}K线（{direction}）。",
        "long": "只做多",
        "short": "只做空",
        "both": "可多可空",
        "entry_long": "买入条件：{rule}。",
        "entry_short": "做空条件：{rule}。",
        "exit_long": "卖出条件：{rule}。",
        "exit_short": "平空条件：{rule}。",
        "short_entry": "做空条件：{rule}。",
        "short_exit": "平空条件：{rule}。",
        "no_exit_rule": "没有卖出规则：只通过风控条件平仓。",
        "no_exit": "完全没有离场方式（无卖出规则、止损、止盈或持仓期限）："
        "持仓会一直持有到数据结束。",
        "stop_loss": "亏损{value}止损",
        "take_profit": "盈利{value}止盈",
        "trailing_stop": "从入场后最优价格回撤{value}的移动止损",
        "max_holding_bars": "最多持有{value}根K线",
        "risk_exits": "风控离场：{items}。",
        "no_risk": "未设置止损、止盈或持仓期限。",
        "percent_equity": "每次入场投入{value}的资金。",
        "fixed_cash": "每次入场投入固定金额{value}。",
        "fixed_quantity": "每次入场买入固定{value}份。",
        "equal_weight": "资金在{count}个品种间平均分配。",
        "volatility_target": "按{value}的年化波动率目标确定仓位。",
        "costs": "自定义成本：{items}。",
        "signals": "在{span}（{bars}根K线，{years:.1f}年）中：{rule}条件成立了{events}次"
        "（每年约{per_year:.1f}次），在{share:.1%}的K线上处于成立状态。",
        "never": "在{span}（{bars}根K线）中：{rule}条件从未成立。",
        "last": "最近一次入场信号出现在{when}。",
        "no_data": "提供行情数据即可查看信号频率。",
        "and": "；",
        "indicator": "{name}（{title}）：{about}。",
        "span": "至",
        "join": "",
    },
}

RULE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "entry": "entry",
        "exit": "exit",
        "short_entry": "short entry",
        "short_exit": "short exit",
    },
    "zh": {"entry": "入场", "exit": "离场", "short_entry": "做空", "short_exit": "平空"},
}

STYLES: dict[str, dict[str, str]] = {
    "en": {
        "trend": "A trend-following rule: it works in long, persistent trends and loses in "
        "sideways, choppy markets, where crossings whipsaw; it enters and exits late at "
        "turning points.",
        "mean_reversion": "A mean-reversion rule: it works in range-bound markets and on "
        "pullbacks in an uptrend, and fails in crashes and strong trends, where an oversold "
        "market keeps falling.",
        "breakout": "A breakout rule: it works when breakouts start new trends and suffers "
        "repeated small losses from false breakouts in quiet, sideways markets.",
        "pairs": "A relative-value rule: it works while the two series move together and "
        "their spread mean-reverts, and fails when their relationship breaks.",
        "general": "No market regime is stated for this rule; test it on rising, falling "
        "and sideways periods before trusting it.",
    },
    "zh": {
        "trend": "趋势跟随型规则：适合持续的单边趋势；在震荡市中均线反复交叉、频繁止损，"
        "且在拐点处进出场滞后。",
        "mean_reversion": "均值回归型规则：适合震荡市和上升趋势中的回调；"
        "在暴跌和强趋势中失效，超卖后还会继续下跌。",
        "breakout": "突破型规则：适合突破开启新趋势的行情；在平静的横盘市中会因假突破而多次小亏。",
        "pairs": "相对价值型规则：适合两者同步波动、价差均值回归的时期；两者关系破裂时失效。",
        "general": "该规则未说明适用行情；请先在上涨、下跌和震荡阶段分别检验再使用。",
    },
}
