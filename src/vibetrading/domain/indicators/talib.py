"""Indicator calculators backed by TA-Lib.

Each function takes the bar fields (``close``, ``high``...) as float64 arrays and the
resolved parameters, and returns one float64 array per output, NaN during the warm-up.
Conventions follow SEMANTICS.md: Bollinger bands use the population standard deviation
(TA-Lib's STDDEV, ddof=0), ROC is a fraction (ROCR - 1), EMA is TA-Lib's (SMA seed).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import talib

from vibetrading.domain.indicators.info import FloatArray

__all__ = [
    "adx",
    "atr",
    "bbands",
    "cci",
    "ema",
    "macd",
    "mfi",
    "momentum",
    "obv",
    "roc",
    "rsi",
    "safe_divide",
    "sma",
    "volume_sma",
    "williams_r",
    "wma",
]

Data = Mapping[str, np.ndarray]
Params = Mapping[str, float]


def _field(data: Data, name: str) -> FloatArray:
    return np.ascontiguousarray(data[name], dtype=np.float64)


def _period(params: Params, name: str = "period") -> int:
    return int(params[name])


def safe_divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Return numerator / denominator with NaN wherever the denominator is zero or NaN."""
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def sma(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the simple moving average of close over `period` bars (this one included)."""
    return {"value": talib.SMA(_field(data, "close"), _period(params))}


def ema(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the exponential moving average of close, alpha = 2 / (period + 1)."""
    return {"value": talib.EMA(_field(data, "close"), _period(params))}


def wma(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the linearly weighted moving average of close over `period` bars."""
    return {"value": talib.WMA(_field(data, "close"), _period(params))}


def volume_sma(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the simple moving average of volume over `period` bars, this one included."""
    return {"value": talib.SMA(_field(data, "volume"), _period(params))}


def rsi(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return Wilder's relative strength index of close, 0 to 100."""
    return {"value": talib.RSI(_field(data, "close"), _period(params))}


def macd(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return MACD: DIF = EMA(fast) - EMA(slow), signal = EMA(DIF), histogram = DIF - signal."""
    line, signal, histogram = talib.MACD(
        _field(data, "close"),
        fastperiod=_period(params, "fast"),
        slowperiod=_period(params, "slow"),
        signalperiod=_period(params, "signal"),
    )
    return {"macd": line, "signal": signal, "histogram": histogram}


def bbands(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return Bollinger bands: SMA +/- `std` population standard deviations, %b, bandwidth.

    %b = (close - lower) / (upper - lower); bandwidth = (upper - lower) / middle; both NaN
    where their denominator is zero.
    """
    close = _field(data, "close")
    width = float(params["std"])
    upper, middle, lower = talib.BBANDS(
        close, timeperiod=_period(params), nbdevup=width, nbdevdn=width
    )
    spread = upper - lower
    return {
        "upper": upper,
        "middle": middle,
        "lower": lower,
        "percent_b": safe_divide(close - lower, spread),
        "bandwidth": safe_divide(spread, middle),
    }


def atr(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return Wilder's average true range, in price units."""
    high, low, close = (_field(data, name) for name in ("high", "low", "close"))
    return {"value": talib.ATR(high, low, close, _period(params))}


def adx(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return Wilder's ADX with the +DI and -DI lines, each 0 to 100."""
    high, low, close = (_field(data, name) for name in ("high", "low", "close"))
    period = _period(params)
    return {
        "adx": talib.ADX(high, low, close, period),
        "plus_di": talib.PLUS_DI(high, low, close, period),
        "minus_di": talib.MINUS_DI(high, low, close, period),
    }


def cci(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the commodity channel index (typical price, 0.015 mean-deviation scale)."""
    high, low, close = (_field(data, name) for name in ("high", "low", "close"))
    return {"value": talib.CCI(high, low, close, _period(params))}


def obv(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return on-balance volume, starting from the first bar's volume."""
    return {"value": talib.OBV(_field(data, "close"), _field(data, "volume"))}


def mfi(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the money flow index, 0 to 100."""
    high, low, close, volume = (_field(data, n) for n in ("high", "low", "close", "volume"))
    return {"value": talib.MFI(high, low, close, volume, _period(params))}


def roc(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return the `period`-bar return as a fraction: close / close[period bars ago] - 1."""
    return {"value": talib.ROCR(_field(data, "close"), _period(params)) - 1.0}


def momentum(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return close - close[period bars ago], in price units."""
    return {"value": talib.MOM(_field(data, "close"), _period(params))}


def williams_r(data: Data, params: Params) -> dict[str, FloatArray]:
    """Return Williams %R, -100 (at the low of the window) to 0 (at its high)."""
    high, low, close = (_field(data, name) for name in ("high", "low", "close"))
    return {"value": talib.WILLR(high, low, close, _period(params))}
