"""Indicator functions for code strategies: a bars frame (or one Series) in, pandas out.

Each function wraps the registry indicator of the same name, so code strategies compute
exactly what specs compute::

    >>> from vibetrading import indicators as ta
    >>> fast = ta.sma(bars, period=20)            # a Series aligned to bars.index
    >>> bands = ta.bbands(bars["close"], period=20, std=2.0)   # a DataFrame of outputs

Parameters are keywords, with the registry's defaults and aliases. A Series stands for
the one bar field the indicator reads (``close`` for most); indicators reading several
fields (ATR, ADX, MFI...) need the bars frame. Several outputs come back as a DataFrame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from vibetrading.domain.indicators import REGISTRY, get_indicator
from vibetrading.errors import SpecError

__all__ = [
    "adx",
    "atr",
    "bbands",
    "cci",
    "compute",
    "donchian",
    "ema",
    "kdj",
    "macd",
    "mfi",
    "momentum",
    "obv",
    "roc",
    "rsi",
    "sma",
    "volume_sma",
    "vwap",
    "willr",
    "wma",
    "zscore",
]

Indicator = Callable[..., "pd.Series | pd.DataFrame"]


def compute(name: str, data: pd.DataFrame | pd.Series, **params: Any) -> pd.Series | pd.DataFrame:
    """Return indicator `name` on `data`: a Series for one output, else a DataFrame.

    Raises SpecError for an unknown indicator, a bad parameter or a missing bar field.
    """
    info = get_indicator(name)
    if isinstance(data, pd.Series):
        if len(info.inputs) != 1:
            needed = ", ".join(info.inputs)
            raise SpecError(f"{info.name} reads {needed}: pass the bars frame, not one series.")
        fields = {info.inputs[0]: data.to_numpy(dtype=np.float64)}
    elif isinstance(data, pd.DataFrame):
        fields = {f: data[f].to_numpy(dtype=np.float64) for f in info.inputs if f in data}
    else:
        raise SpecError(f"{info.name} takes a bars DataFrame or a Series.")
    if info.name == "vwap":
        fields["timestamp"] = np.asarray(data.index.asi8)
    outputs = info.compute(fields, params)
    if len(outputs) == 1:
        return pd.Series(next(iter(outputs.values())), index=data.index, name=info.name)
    return pd.DataFrame(outputs, index=data.index)


def _make(name: str) -> Indicator:
    info = REGISTRY[name]

    def indicator(data: pd.DataFrame | pd.Series, **params: Any) -> pd.Series | pd.DataFrame:
        return compute(name, data, **params)

    indicator.__name__ = indicator.__qualname__ = name
    indicator.__doc__ = f"Return {info.description} ({', '.join(info.outputs)})."
    return indicator


sma = _make("sma")
ema = _make("ema")
wma = _make("wma")
macd = _make("macd")
bbands = _make("bbands")
kdj = _make("kdj")
adx = _make("adx")
donchian = _make("donchian")
rsi = _make("rsi")
atr = _make("atr")
cci = _make("cci")
obv = _make("obv")
mfi = _make("mfi")
roc = _make("roc")
momentum = _make("momentum")
willr = _make("willr")
volume_sma = _make("volume_sma")
vwap = _make("vwap")
zscore = _make("zscore")
