"""MACD trend with a volatility filter, in plain numpy and pandas.

Buy when the MACD line crosses above its signal while the 20-bar volatility is below
its one-year median; sell when it crosses back below.
"""

import math

import numpy as np

from vibetrading.indicators import macd


def signals(data, params):
    lines = macd(data, fast=12, slow=26, signal=9)
    above = lines["macd"] > lines["signal"]
    returns = np.log(data["close"]).diff()
    volatility = returns.rolling(20).std() * math.sqrt(252)
    calm = volatility < volatility.rolling(252, min_periods=20).median()
    entries = above & ~above.shift(1, fill_value=False) & calm
    exits = ~above & above.shift(1, fill_value=False)
    return entries, exits
