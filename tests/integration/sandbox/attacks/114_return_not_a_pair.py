# ruff: noqa
"""Return a single Series instead of (entries, exits).

layer: output
expect: StrategyError
message: tuple | pair | two
"""


def signals(data, params):
    return data.close > 0
