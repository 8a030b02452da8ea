"""Buy when the close sits two standard deviations below its rolling mean, exit at the mean.

params: {"window": 30, "entry_z": -2.0, "exit_z": 0.0}
"""


def zscore(series, window):
    mean = series.rolling(window).mean()
    deviation = series.rolling(window).std(ddof=0)
    return (series - mean) / deviation


def signals(data, params):
    score = zscore(data["close"], params["window"])
    entries = score < params["entry_z"]
    exits = score > params["exit_z"]
    return entries, exits
