"""Hold while the 60-day percentage change is positive and above the 20-day one.

params: {"long": 60, "short": 20, "threshold": 0.02}
"""


def signals(data, params):
    close = data["close"]
    long_change = close.pct_change(params["long"])
    short_change = close.pct_change(params["short"])
    entries = (long_change > params["threshold"]) & (short_change > 0)
    exits = long_change < 0
    return entries, exits
