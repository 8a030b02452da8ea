"""Combine a trend helper and a range helper, with defaults taken from params.

params: {"trend": 50, "range_window": 14, "range_cap": 0.03}
"""

DEFAULTS = {"trend": 200, "range_window": 14, "range_cap": 0.05}


def setting(params, name):
    return params.get(name, DEFAULTS[name])


def average_range(data, window):
    daily = (data["high"] - data["low"]) / data["close"]
    return daily.rolling(window).mean()


def signals(data, params):
    trend = data["close"].rolling(setting(params, "trend")).mean()
    narrow = average_range(data, setting(params, "range_window")) < setting(params, "range_cap")
    entries = narrow & (data["close"] > trend)
    exits = data["close"] < trend
    return entries, exits
