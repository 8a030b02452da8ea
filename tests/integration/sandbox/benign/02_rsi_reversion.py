"""Buy when Wilder's RSI falls below the oversold level, sell when it rises above overbought.

params: {"period": 14, "oversold": 30, "overbought": 70}
"""

import pandas as pd


def rsi(close, period):
    change = close.diff()
    gain = change.clip(lower=0.0)
    loss = -change.clip(upper=0.0)
    alpha = 1.0 / period
    average_gain = gain.ewm(alpha=alpha, adjust=False, min_periods=period).mean()
    average_loss = loss.ewm(alpha=alpha, adjust=False, min_periods=period).mean()
    strength = average_gain / average_loss
    return 100.0 - 100.0 / (1.0 + strength)


def signals(data, params):
    value = rsi(data["close"], params["period"])
    entries = value < params["oversold"]
    exits = value > params["overbought"]
    return pd.Series(entries, index=data.index), pd.Series(exits, index=data.index)
