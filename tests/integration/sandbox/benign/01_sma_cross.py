"""Buy when the fast simple moving average crosses above the slow one, sell on the cross down.

params: {"fast": 10, "slow": 50}
"""


def signals(data, params):
    fast = data["close"].rolling(params["fast"]).mean()
    slow = data["close"].rolling(params["slow"]).mean()
    entries = (fast > slow) & (fast.shift(1) <= slow.shift(1))
    exits = (fast < slow) & (fast.shift(1) >= slow.shift(1))
    return entries, exits
