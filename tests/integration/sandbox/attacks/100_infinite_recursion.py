# ruff: noqa
"""Recurse without a base case.

layer: restricted
expect: StrategyError
message: recursion
"""


def deeper(n):
    return deeper(n + 1) + 1


def signals(data, params):
    deeper(0)
    return data.close > 0, data.close < 0
