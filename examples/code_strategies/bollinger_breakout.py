"""Bollinger breakout: buy when the close breaks above the upper band, sell below the middle.

Run it in the sandbox:
    vibetrading backtest --code examples/code_strategies/bollinger_breakout.py --symbol SPX
"""

import pandas as pd

from vibetrading import indicators as ta


def signals(data, params):
    bands = ta.bbands(data, period=params.get("period", 20), std=params.get("std", 2.0))
    close = data["close"]
    above = close > bands["upper"]
    below = close < bands["middle"]
    entries = above & ~above.shift(1, fill_value=False)
    exits = pd.Series(below, index=data.index).fillna(False)
    return entries, exits
