"""Buy a breakout above the previous N-day high, sell a break below the previous M-day low.

params: {"entry_days": 55, "exit_days": 20}
"""


def signals(data, params):
    highest = data["high"].rolling(params["entry_days"]).max().shift(1)
    lowest = data["low"].rolling(params["exit_days"]).min().shift(1)
    entries = data["close"] > highest
    exits = data["close"] < lowest
    return entries, exits
