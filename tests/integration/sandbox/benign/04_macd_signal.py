"""Buy when MACD crosses above its signal line, sell when it crosses below.

params: {"fast": 12, "slow": 26, "signal": 9}
"""


def signals(data, params):
    close = data["close"]
    fast = close.ewm(span=params["fast"], adjust=False).mean()
    slow = close.ewm(span=params["slow"], adjust=False).mean()
    macd = fast - slow
    signal_line = macd.ewm(span=params["signal"], adjust=False).mean()
    above = macd > signal_line
    entries = above & ~above.shift(1, fill_value=False)
    exits = ~above & above.shift(1, fill_value=False)
    return entries, exits
