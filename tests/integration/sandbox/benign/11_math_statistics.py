"""Use math and statistics: buy when the log return beats the median of recent log returns.

params: {"window": 10, "lookbacks": [5, 10, 20]}
"""

import math
import statistics

import pandas as pd


def signals(data, params):
    window = int(statistics.median(params["lookbacks"])) + params["window"]
    closes = data["close"].tolist()
    log_returns = [0.0] + [math.log(closes[i] / closes[i - 1]) for i in range(1, len(closes))]
    returns = pd.Series(log_returns, index=data.index)
    typical = returns.rolling(window).median()
    scale = math.sqrt(window)
    entries = returns > typical + 0.01 / scale
    exits = returns < typical - 0.01 / scale
    return entries, exits
