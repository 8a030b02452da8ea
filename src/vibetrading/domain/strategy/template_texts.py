"""The words of the strategy templates, in English and Chinese.

``TEXTS[name]`` holds the titles and, per language, the explanation and the metadata
fields; ``{placeholders}`` are the template's parameters (``str.format``).
"""

# Chinese text keeps its full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

__all__ = ["TEXTS"]

TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "momentum": {
        "titles": {
            "title": "Momentum (trend following)",
            "title_zh": "动量策略（趋势跟随）",
            "description": "Hold while the past return is positive and price is above its "
            "long average.",
            "description_zh": "过去收益为正且价格在长期均线之上时持有。",
        },
        "en": {
            "explanation": "Buy {symbol} when its {lookback}-bar return is above "
            "{threshold:.0%} and the close is above its {trend}-bar SMA; sell when the return "
            "turns negative or the close drops below the SMA. A {trailing_stop:.0%} trailing "
            "stop protects gains.",
            "market_conditions": "Works in long, persistent trends; loses in choppy, range-bound "
            "markets and at sharp reversals, where it buys late and sells late.",
            "risk_assumptions": "Long only. A {trailing_stop:.0%} trailing stop below the best "
            "close since entry; the whole equity per trade unless sized otherwise.",
            "signal_frequency": "Few trades: a handful per year on daily bars, each held for "
            "weeks to months.",
            "indicator_interpretation": "ROC({lookback}) is the {lookback}-bar return as a "
            "fraction; above zero means price rose over that window. SMA({trend}) is the "
            "long-term trend line.",
        },
        "zh": {
            "explanation": "当{symbol}过去{lookback}根K线的收益率高于{threshold:.0%}且收盘价在"
            "{trend}日均线之上时买入；收益率转负或收盘价跌破均线时卖出。{trailing_stop:.0%}的"
            "移动止损用于保护利润。",
            "market_conditions": "适合持续的单边趋势；在震荡市和急剧反转时表现差，买得晚也卖得晚。",
            "risk_assumptions": "只做多。自入场后最高收盘价回撤{trailing_stop:.0%}即止损；"
            "默认每笔交易投入全部资金。",
            "signal_frequency": "交易很少：日线上每年几次，每次持有数周到数月。",
            "indicator_interpretation": "ROC({lookback})是过去{lookback}根K线的收益率（小数）；"
            "大于零表示该窗口内价格上涨。SMA({trend})是长期趋势线。",
        },
    },
    "mean_reversion": {
        "titles": {
            "title": "Mean reversion",
            "title_zh": "均值回归",
            "description": "Buy short-term weakness (RSI oversold or a touch of the lower "
            "Bollinger band) and sell the rebound.",
            "description_zh": "在短期超跌（RSI超卖或触及布林带下轨）时买入，反弹时卖出。",
        },
        "en": {
            "explanation": "Buy {symbol} on short-term weakness and sell the rebound. This is "
            "the {variant} variant: the rsi variant buys when RSI({period}) is below {oversold} "
            "and sells above {exit_level}; the bollinger variant buys a close at or below the "
            "lower band ({band_period}, {std}) and sells at the middle band. With a trend filter "
            "(trend={trend}, 0 for none) it buys only above the {trend}-bar SMA.",
            "market_conditions": "Works in range-bound markets and in pullbacks within an "
            "uptrend; fails in crashes and strong downtrends, where oversold gets more oversold.",
            "risk_assumptions": "Long only. A {stop_loss:.0%} stop-loss and an exit after at most "
            "{max_holding_bars} bars cap the damage when the rebound does not come.",
            "signal_frequency": "Several trades a year on daily bars, each lasting days.",
            "indicator_interpretation": "RSI below {oversold} reads as oversold; the Bollinger "
            "bands sit {std} standard deviations around a {band_period}-bar average, so a close "
            "below the lower band is an unusually low price.",
        },
        "zh": {
            "explanation": "{symbol}短期超跌时买入，反弹时卖出。当前为{variant}版本：rsi版本在"
            "RSI({period})低于{oversold}时买入、高于{exit_level}时卖出；bollinger版本在收盘价触及"
            "布林带（{band_period}，{std}）下轨时买入、回到中轨时卖出。设置趋势过滤（trend={trend}，"
            "0为不过滤）时，只在收盘价高于{trend}日均线时买入。",
            "market_conditions": "适合震荡市和上升趋势中的回调；"
            "在暴跌和强势下跌中失效，超卖之后还会更超卖。",
            "risk_assumptions": "只做多。{stop_loss:.0%}止损，并且最多持有{max_holding_bars}根K线，"
            "在反弹不来时限制亏损。",
            "signal_frequency": "日线上每年数次交易，每次持有数天。",
            "indicator_interpretation": "RSI低于{oversold}视为超卖；布林带为{band_period}日均线上下"
            "{std}倍标准差，收盘价低于下轨意味着价格异常偏低。",
        },
    },
    "breakout": {
        "titles": {
            "title": "Breakout (Donchian channel)",
            "title_zh": "突破策略（唐奇安通道）",
            "description": "Buy a close above the highest high of the previous N bars; sell a "
            "close below the lowest low of a shorter window.",
            "description_zh": "收盘价突破此前N日最高价时买入，跌破较短窗口最低价时卖出。",
        },
        "en": {
            "explanation": "Buy {symbol} when the close rises above the highest high of the "
            "previous {entry_period} bars (a new {entry_period}-day high); sell when it falls "
            "below the lowest low of the previous {exit_period} bars. The current bar is not "
            "part of either window.",
            "market_conditions": "Works when breakouts start new trends; suffers many small "
            "losses from false breakouts in sideways markets.",
            "risk_assumptions": "Long only. A {stop_loss:.0%} stop-loss below the entry price "
            "besides the channel exit.",
            "signal_frequency": "A few entries a year on daily bars; winners are held for "
            "weeks, losers cut within days.",
            "indicator_interpretation": "The Donchian channel's upper line is the highest high "
            "of the previous {entry_period} bars, its lower line the lowest low of the previous "
            "{exit_period} bars.",
        },
        "zh": {
            "explanation": "当{symbol}收盘价突破此前{entry_period}根K线的最高价（创{entry_period}"
            "日新高）时买入；跌破此前{exit_period}根K线的最低价时卖出。两个窗口都不含当根K线。",
            "market_conditions": "适合突破开启新趋势的行情；在横盘市中会因假突破而多次小亏。",
            "risk_assumptions": "只做多。除通道离场外，另设{stop_loss:.0%}止损。",
            "signal_frequency": "日线上每年数次入场；盈利单持有数周，亏损单几天内止损。",
            "indicator_interpretation": "唐奇安通道上轨为此前{entry_period}根K线的最高价，下轨为"
            "此前{exit_period}根K线的最低价。",
        },
    },
    "volatility": {
        "titles": {
            "title": "Volatility breakout (Bollinger squeeze)",
            "title_zh": "波动率突破（布林带收口）",
            "description": "After the Bollinger bands narrow to a multi-month low, buy a close "
            "above the upper band.",
            "description_zh": "布林带收窄到数月低点后，收盘价突破上轨时买入。",
        },
        "en": {
            "explanation": "Buy {symbol} when the close crosses above the upper Bollinger band "
            "({period}, {std}) within {squeeze_within} bars of a squeeze, i.e. the band width "
            "at its lowest of the previous {squeeze_lookback} bars; sell when the close crosses "
            "below the middle band.",
            "market_conditions": "Works when quiet periods end in a strong move up; fails when "
            "the breakout fades or the move after the squeeze is downward.",
            "risk_assumptions": "Long only. A {stop_loss:.0%} stop-loss below the entry price.",
            "signal_frequency": "Rare: a few entries a year at most on daily bars.",
            "indicator_interpretation": "Band width = (upper - lower) / middle measures "
            "volatility; a new low marks a squeeze, and a close above the upper band a breakout.",
        },
        "zh": {
            "explanation": "布林带（{period}，{std}）带宽创此前{squeeze_lookback}根K线"
            "新低（收口）后{squeeze_within}根K线内，{symbol}收盘价上穿上轨时买入；收盘价下穿中轨时卖出。",
            "market_conditions": "适合平静期之后出现的强势上涨；突破失败或收口后向下变盘时失效。",
            "risk_assumptions": "只做多。{stop_loss:.0%}止损。",
            "signal_frequency": "很少：日线上每年最多几次入场。",
            "indicator_interpretation": "带宽=(上轨-下轨)/中轨，衡量波动率；带宽创新低即收口，"
            "收盘价突破上轨即向上突破。",
        },
    },
    "pairs": {
        "titles": {
            "title": "Pairs trading (spread z-score)",
            "title_zh": "配对交易（价差Z分数）",
            "description": "Trade one symbol when its price ratio to a related symbol strays "
            "far from its recent mean.",
            "description_zh": "当一个品种与相关品种的价格比偏离近期均值过远时交易。",
        },
        "en": {
            "explanation": "Compute the ratio of {symbol}'s close to {other}'s and its "
            "{period}-bar z-score. Buy {symbol} when the z-score crosses below -{entry_z} "
            "(cheap against {other}) and sell when it crosses back above -{exit_z}; short "
            "{symbol} when it crosses above {entry_z} and cover below {exit_z}. Only "
            "{symbol} is traded; {other} is the reference leg.",
            "market_conditions": "Works while the two prices move together and their ratio "
            "mean-reverts; fails when the relationship breaks (a regime change).",
            "risk_assumptions": "Long and short. A {stop_loss:.0%} stop-loss and at most "
            "{max_holding_bars} bars per trade guard against a broken relationship. No hedge "
            "leg is held, so market moves are not neutralised.",
            "signal_frequency": "A few trades a year on daily bars, each lasting days to weeks.",
            "indicator_interpretation": "The z-score is how many standard deviations the ratio "
            "is from its {period}-bar mean; beyond +/-{entry_z} is read as stretched.",
        },
        "zh": {
            "explanation": "计算{symbol}与{other}收盘价之比及其{period}日Z分数。Z分数下穿-{entry_z}"
            "（{symbol}相对便宜）时买入，回升上穿-{exit_z}时卖出；上穿{entry_z}时做空{symbol}，"
            "下穿{exit_z}时平空。只交易{symbol}，{other}仅作参照。",
            "market_conditions": "适合两者同步波动、比值均值回归的时期；"
            "两者关系破裂（结构变化）时失效。",
            "risk_assumptions": "可多可空。{stop_loss:.0%}止损，"
            "每笔最多持有{max_holding_bars}根K线，防范关系破裂。没有对冲腿，不能抵消大盘波动。",
            "signal_frequency": "日线上每年数次交易，每次持有数天到数周。",
            "indicator_interpretation": "Z分数表示比值偏离其{period}日均值多少个标准差；超过"
            "±{entry_z}视为偏离过大。",
        },
    },
    "golden_cross": {
        "titles": {
            "title": "Golden cross",
            "title_zh": "均线金叉",
            "description": "Buy when the 50-day SMA crosses above the 200-day SMA; sell on the "
            "death cross.",
            "description_zh": "50日均线上穿200日均线（金叉）时买入，死叉时卖出。",
        },
        "en": {
            "explanation": "Buy {symbol} when its {fast}-bar SMA crosses above its {slow}-bar "
            "SMA (golden cross); sell when it crosses back below (death cross).",
            "market_conditions": "Works in long bull and bear markets; whipsaws in sideways "
            "markets, and signals late at turning points.",
            "risk_assumptions": "Long only. A {stop_loss:.0%} stop-loss below the entry price.",
            "signal_frequency": "Very rare: about one trade a year or less on daily bars.",
            "indicator_interpretation": "The {fast}-bar SMA is the medium-term trend, the "
            "{slow}-bar SMA the long-term trend; the fast one crossing above says the trend "
            "has turned up.",
        },
        "zh": {
            "explanation": "{symbol}的{fast}日均线上穿{slow}日均线（金叉）时买入；"
            "下穿（死叉）时卖出。",
            "market_conditions": "适合长期牛市或熊市；在横盘市中反复打脸，且在拐点处信号滞后。",
            "risk_assumptions": "只做多。{stop_loss:.0%}止损。",
            "signal_frequency": "非常少：日线上大约每年一次或更少。",
            "indicator_interpretation": "{fast}日均线代表中期趋势，{slow}日均线代表长期趋势；"
            "短期均线上穿长期均线说明趋势转强。",
        },
    },
}
