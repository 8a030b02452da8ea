"""Buy a close below the lower Bollinger band, sell a close above the middle band.

params: {"window": 20, "width": 2.0}
"""


def signals(data, params):
    close = data["close"]
    middle = close.rolling(params["window"]).mean()
    spread = close.rolling(params["window"]).std()
    lower = middle - params["width"] * spread
    entries = close < lower
    exits = close > middle
    return entries, exits
