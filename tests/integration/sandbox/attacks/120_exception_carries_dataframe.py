# ruff: noqa
"""Raise an exception whose argument is the whole bars frame (large, unpicklable-by-policy payload).

layer: restricted
expect: StrategyError
message: ValueError
"""


def signals(data, params):
    raise ValueError(data, data.to_numpy())
