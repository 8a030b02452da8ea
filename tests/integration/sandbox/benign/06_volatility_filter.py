"""Follow the 100-day trend only while 20-day volatility of returns stays below a cap.

params: {"trend": 100, "vol_window": 20, "max_daily_vol": 0.015}
"""

import numpy as np


def signals(data, params):
    close = data["close"]
    returns = np.log(close).diff()
    volatility = returns.rolling(params["vol_window"]).std()
    trend = close.rolling(params["trend"]).mean()
    calm = volatility < params["max_daily_vol"]
    entries = calm & (close > trend)
    exits = (~calm) | (close < trend)
    return entries, exits
