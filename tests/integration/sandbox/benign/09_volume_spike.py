"""Buy an up day on 1.5 times the 20-day average volume, sell a down day on heavy volume.

params: {"window": 20, "multiple": 1.5}
"""


def signals(data, params):
    volume = data["volume"]
    average = volume.rolling(params["window"]).mean()
    spike = volume > params["multiple"] * average
    up_day = data["close"] > data["open"]
    entries = spike & up_day
    exits = spike & ~up_day
    return entries, exits
