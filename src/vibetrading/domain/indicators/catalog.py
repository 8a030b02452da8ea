"""The indicators VibeTrading knows: names in English and Chinese, parameters, outputs, maths.

Defaults and readings follow SEMANTICS.md. Aliases are matched after ``normalize_name``
(case, width and separators ignored), so "Moving Average", "moving_average" and
"movingaverage" are one alias; no alias belongs to two indicators.
"""

# Chinese text keeps its full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

from vibetrading.domain.indicators import custom
from vibetrading.domain.indicators import talib as ta
from vibetrading.domain.indicators.info import Calculator, IndicatorInfo, ParamInfo, WarmupRule

__all__ = ["INDICATORS"]

_PERIOD_ALIASES = (
    "length", "n", "window", "timeperiod", "lookback", "days", "bars", "周期", "天数", "日数",
)  # fmt: skip


def _period(default: int) -> ParamInfo:
    return ParamInfo("period", default, 1, 1000, _PERIOD_ALIASES)


def _minus(offset: int) -> WarmupRule:
    return lambda p: int(p["period"]) - offset


def _average(
    name: str,
    title: str,
    title_zh: str,
    aliases: tuple[str, ...],
    default: int,
    function: Calculator,
) -> IndicatorInfo:
    return IndicatorInfo(
        name=name, title=title, title_zh=title_zh, aliases=aliases, params=(_period(default),),
        outputs=("value",), default_output="value", output_aliases={},
        value_range=(None, None), inputs=("close",), is_price_scale=True,
        calculator=function, warmup_rule=_minus(1),
        description=f"the {title.lower()} of the close over the period (default {default} bars)",
        description_zh=f"收盘价在周期内的{title_zh}（默认{default}根K线）",
    )  # fmt: skip


def _oscillator(
    name: str,
    title: str,
    title_zh: str,
    aliases: tuple[str, ...],
    params: tuple[ParamInfo, ...],
    function: Calculator,
    *,
    inputs: tuple[str, ...],
    value_range: tuple[float | None, float | None] = (None, None),
    warmup: WarmupRule | None = None,
    is_price_scale: bool = False,
    description: str = "",
    description_zh: str = "",
) -> IndicatorInfo:
    return IndicatorInfo(
        name=name, title=title, title_zh=title_zh, aliases=aliases, params=params,
        outputs=("value",), default_output="value", output_aliases={},
        value_range=value_range, inputs=inputs, is_price_scale=is_price_scale,
        calculator=function,
        warmup_rule=warmup or _minus(0),
        description=description, description_zh=description_zh,
    )  # fmt: skip


_HLC = ("high", "low", "close")

_MOVING_AVERAGES = (
    _average(
        "sma", "Simple moving average", "简单移动平均线",
        ("sma", "simple moving average", "moving average", "ma", "average",
         "rolling mean", "均线", "移动平均线", "移动平均", "简单移动平均", "简单移动平均线",
         "平均线", "均价线", "MA线"),
        20, ta.sma,
    ),
    _average(
        "ema", "Exponential moving average", "指数移动平均线",
        ("ema", "exponential moving average", "exponential average", "exp moving average",
         "指数移动平均", "指数移动平均线", "指数平均线", "指数均线", "EMA均线", "EXPMA"),
        20, ta.ema,
    ),
    _average(
        "wma", "Weighted moving average", "加权移动平均线",
        ("wma", "weighted moving average", "linear weighted moving average", "lwma",
         "加权移动平均", "加权移动平均线", "加权均线"),
        20, ta.wma,
    ),
)  # fmt: skip

_MACD = IndicatorInfo(
    name="macd", title="Moving average convergence divergence", title_zh="平滑异同移动平均线",
    aliases=("macd", "moving average convergence divergence", "平滑异同移动平均线",
             "平滑异同移动平均", "指数平滑异同移动平均线", "异同移动平均线"),
    params=(
        ParamInfo("fast", 12, 1, 1000, ("fast_period", "fastperiod", "short", "short_period",
                                        "快线周期", "短周期")),
        ParamInfo("slow", 26, 2, 1000, ("slow_period", "slowperiod", "long", "long_period",
                                        "慢线周期", "长周期")),
        ParamInfo("signal", 9, 1, 1000, ("signal_period", "signalperiod", "dea_period",
                                         "信号周期")),
    ),
    outputs=("macd", "signal", "histogram"), default_output="macd",
    output_aliases={
        "macd": ("dif", "diff", "macd line", "line", "fast line", "快线", "DIF线", "MACD线"),
        "signal": ("dea", "signal line", "slow line", "慢线", "DEA线", "信号线"),
        "histogram": ("hist", "macd histogram", "柱", "柱子", "柱状线", "红柱", "绿柱",
                      "MACD柱", "能量柱"),
    },
    value_range=(None, None), inputs=("close",), is_price_scale=True,
    calculator=ta.macd,
    warmup_rule=lambda p: max(int(p["fast"]), int(p["slow"])) - 1 + int(p["signal"]) - 1,
    description="the gap between a fast and a slow EMA (DIF, default 12 and 26) and its "
    "EMA (DEA, 9)",
    description_zh="快慢两条指数均线之差（DIF，默认12与26）及其指数均线（DEA，默认9）",
)  # fmt: skip

_BBANDS = IndicatorInfo(
    name="bbands", title="Bollinger bands", title_zh="布林带",
    aliases=("bbands", "bollinger", "bollinger bands", "bollinger band", "bb", "boll",
             "布林带", "布林线", "布林通道", "布林", "布林轨道", "保力加通道"),
    params=(
        _period(20),
        ParamInfo("std", 2.0, 0.1, 10.0, ("stddev", "std_dev", "nbdev", "k", "num_std",
                                          "deviations", "multiplier", "width", "标准差",
                                          "倍数")),
    ),
    outputs=("upper", "middle", "lower", "percent_b", "bandwidth"), default_output="middle",
    output_aliases={
        "upper": ("upper band", "top", "top band", "upperband", "上轨", "上轨线", "布林上轨"),
        "middle": ("middle band", "mid", "middle line", "basis", "中轨", "中轨线", "布林中轨"),
        "lower": ("lower band", "bottom", "bottom band", "lowerband", "下轨", "下轨线",
                  "布林下轨"),
        "percent_b": ("%b", "pct_b", "percent b", "b", "%B指标", "百分比b"),
        "bandwidth": ("band width", "bb width", "squeeze", "带宽", "布林带宽", "开口"),
    },
    value_range=(None, None), inputs=("close",), is_price_scale=True,
    output_ranges={"bandwidth": (0.0, None)}, unitless_outputs=("percent_b", "bandwidth"),
    calculator=ta.bbands, warmup_rule=lambda p: int(p["period"]) - 1,
    description="an SMA with bands some population standard deviations above and below "
    "(default 20 bars, 2)",
    description_zh="简单均线及其上下若干倍（总体）标准差的轨道（默认20日、2倍）",
)  # fmt: skip

_KDJ = IndicatorInfo(
    name="kdj", title="KDJ stochastic oscillator", title_zh="随机指标",
    aliases=("kdj", "stochastic", "stochastics", "stochastic oscillator", "stoch", "kd",
             "随机指标", "随机震荡指标", "KDJ指标", "KD指标", "随机"),
    params=(
        ParamInfo("period", 9, 1, 1000, ("n", "rsv_period", "fastk_period", "length", "周期")),
        ParamInfo("k_smooth", 3, 1, 100, ("m1", "slowk_period", "k_period", "k平滑")),
        ParamInfo("d_smooth", 3, 1, 100, ("m2", "slowd_period", "d_period", "d平滑")),
    ),
    outputs=("k", "d", "j"), default_output="k",
    output_aliases={
        "k": ("%k", "k line", "k value", "slowk", "K值", "K线值"),
        "d": ("%d", "d line", "d value", "slowd", "D值"),
        "j": ("%j", "j line", "j value", "J值"),
    },
    value_range=(0.0, 100.0), output_ranges={"j": (None, None)},
    inputs=_HLC, is_price_scale=False,
    calculator=custom.kdj, warmup_rule=lambda p: int(p["period"]) - 1,
    description="where the close sits in the recent high-low range (default 9 bars), "
    "smoothed twice into K and D; J = 3K - 2D",
    description_zh="收盘价在近期高低区间（默认9日）中的位置，经两次平滑得到K、D，J=3K-2D",
)  # fmt: skip

_ADX = IndicatorInfo(
    name="adx", title="Average directional index", title_zh="平均趋向指标",
    aliases=("adx", "average directional index", "directional movement index", "dmi",
             "trend strength", "趋向指标", "平均趋向指标", "平均趋向指数", "动向指标", "趋势强度"),
    params=(_period(14),),
    outputs=("adx", "plus_di", "minus_di"), default_output="adx",
    output_aliases={
        "adx": ("adx line", "ADX线"),
        "plus_di": ("+di", "pdi", "di+", "plus di", "positive directional indicator", "上升方向线"),
        "minus_di": ("-di", "mdi", "di-", "minus di", "negative directional indicator",
                     "下降方向线"),
    },
    value_range=(0.0, 100.0), inputs=_HLC, is_price_scale=False,
    calculator=ta.adx, warmup_rule=lambda p: 2 * int(p["period"]) - 1,
    description="how strong the trend is, whatever its direction (above 25: trending)",
    description_zh="衡量趋势强弱而不论方向（高于25通常视为有趋势）",
)  # fmt: skip

_DONCHIAN = IndicatorInfo(
    name="donchian", title="Donchian channel", title_zh="唐奇安通道",
    aliases=("donchian", "donchian channel", "donchian channels", "price channel",
             "唐奇安通道", "唐奇安", "唐安奇通道", "通道突破", "价格通道"),
    params=(_period(20),),
    outputs=("upper", "middle", "lower"), default_output="upper",
    output_aliases={
        "upper": ("upper band", "high", "highest high", "top", "上轨", "通道上轨"),
        "middle": ("middle band", "mid", "中轨"),
        "lower": ("lower band", "low", "lowest low", "bottom", "下轨", "通道下轨"),
    },
    value_range=(None, None), inputs=("high", "low"), is_price_scale=True,
    calculator=custom.donchian, warmup_rule=lambda p: int(p["period"]),
    description="the highest high and lowest low of the N bars before the current one",
    description_zh="当前K线之前N根的最高价与最低价（不含当根）",
)  # fmt: skip

_OSCILLATORS = (
    _oscillator(
        "rsi", "Relative strength index", "相对强弱指标",
        ("rsi", "relative strength index", "relative strength", "相对强弱", "相对强弱指标",
         "相对强弱指数", "强弱指标", "RSI指标"),
        (_period(14),), ta.rsi, inputs=("close",), value_range=(0.0, 100.0),
        description="Wilder's RSI, 0 to 100: above 70 is read as overbought, below 30 as oversold",
        description_zh="威尔德相对强弱指标，0到100：高于70视为超买，低于30视为超卖",
    ),
    _oscillator(
        "atr", "Average true range", "平均真实波幅",
        ("atr", "average true range", "true range", "真实波幅", "平均真实波幅",
         "平均真实波动幅度", "真实波动幅度", "波幅", "ATR指标"),
        (_period(14),), ta.atr, inputs=_HLC, value_range=(0.0, None), is_price_scale=True,
        description="Wilder's average true range, the typical bar size in price units",
        description_zh="威尔德平均真实波幅，以价格计的典型单根K线波动",
    ),
    _oscillator(
        "cci", "Commodity channel index", "顺势指标",
        ("cci", "commodity channel index", "顺势指标", "商品通道指数", "商品路径指标", "CCI指标"),
        (_period(14),), ta.cci, inputs=_HLC, warmup=_minus(1),
        description="how far the typical price is from its mean, in mean deviations / 0.015",
        description_zh="典型价格偏离其均值的程度（以平均偏差/0.015计）",
    ),
    _oscillator(
        "obv", "On-balance volume", "能量潮",
        ("obv", "on balance volume", "on-balance volume", "能量潮", "能量潮指标", "平衡交易量",
         "累积能量线"),
        (), ta.obv, inputs=("close", "volume"), warmup=lambda p: 0,
        description="running total of volume, added on up closes and subtracted on down closes",
        description_zh="累计成交量：收涨加、收跌减",
    ),
    _oscillator(
        "mfi", "Money flow index", "资金流量指标",
        ("mfi", "money flow index", "money flow", "资金流量指标", "资金流量", "资金流向指标",
         "MFI指标"),
        (_period(14),), ta.mfi, inputs=("high", "low", "close", "volume"),
        value_range=(0.0, 100.0),
        description="a volume-weighted RSI: above 80 overbought, below 20 oversold",
        description_zh="成交量加权的RSI：高于80超买，低于20超卖",
    ),
    _oscillator(
        "roc", "Rate of change", "变动率",
        ("roc", "rate of change", "n-day return", "n bar return", "percent change",
         "变动率", "变化率", "价格变动率", "涨幅", "收益率", "变动速率"),
        (_period(10),), ta.roc, inputs=("close",), value_range=(-1.0, None),
        description="the return over the last N bars as a fraction (0.05 = +5%)",
        description_zh="过去N根K线的收益率，以小数计（0.05即上涨5%）",
    ),
    _oscillator(
        "momentum", "Momentum", "动量",
        ("momentum", "mom", "mtm", "price momentum", "动量", "动量指标", "动能"),
        (_period(10),), ta.momentum, inputs=("close",), is_price_scale=True,
        description="the close minus the close N bars ago, in price units",
        description_zh="收盘价减去N根K线前的收盘价（价格单位）",
    ),
    _oscillator(
        "willr", "Williams %R", "威廉指标",
        ("willr", "williams %r", "williams r", "williams", "%r", "wr", "威廉指标", "威廉",
         "威廉超买超卖指标", "威廉%R"),
        (_period(14),), ta.williams_r, inputs=_HLC, value_range=(-100.0, 0.0), warmup=_minus(1),
        description="where the close sits in the recent range, -100 at the low and 0 at the high",
        description_zh="收盘价在近期区间中的位置，-100为最低、0为最高",
    ),
    _oscillator(
        "volume_sma", "Volume moving average", "成交量均线",
        ("volume_sma", "volume moving average", "volume ma", "average volume", "avg volume",
         "vma", "volume average", "mean volume", "成交量均线", "均量", "均量线", "平均成交量",
         "成交量平均", "量均线"),
        (_period(20),), ta.volume_sma, inputs=("volume",), value_range=(0.0, None),
        warmup=_minus(1),
        description="the average volume over the period, the current bar included",
        description_zh="包括当根在内的周期平均成交量",
    ),
    _oscillator(
        "vwap", "Volume-weighted average price", "成交量加权平均价",
        ("vwap", "volume weighted average price", "成交量加权平均价", "成交量加权均价",
         "量价加权均价", "加权均价"),
        (), custom.vwap, inputs=("high", "low", "close", "volume"), is_price_scale=True,
        warmup=lambda p: 0,
        description="the day's volume-weighted average of the typical price, reset every day",
        description_zh="当日典型价格的成交量加权平均，每日重置",
    ),
    _oscillator(
        "zscore", "Rolling z-score", "滚动Z分数",
        ("zscore", "z-score", "z score", "standard score", "spread z-score", "z值", "Z分数",
         "标准分数", "价差Z值"),
        (_period(20),), custom.zscore, inputs=("close",), warmup=_minus(1),
        description="how many standard deviations the series is from its rolling mean",
        description_zh="序列偏离其滚动均值多少个标准差",
    ),
)  # fmt: skip

INDICATORS: tuple[IndicatorInfo, ...] = (
    *_MOVING_AVERAGES,
    _MACD,
    _BBANDS,
    _KDJ,
    _ADX,
    _DONCHIAN,
    *_OSCILLATORS,
)
