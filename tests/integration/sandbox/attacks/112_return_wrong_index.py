# ruff: noqa
"""Return Series on a shifted, shorter index.

layer: output
expect: StrategyError
message: index | values for
"""


def signals(data, params):
    entries = (data.close > 0).iloc[5:]
    return entries, entries
