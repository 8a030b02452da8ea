# ruff: noqa
"""Raise an exception with a message of tens of megabytes, sized at run time.

layer: restricted
expect: StrategyError
message: ValueError
"""


def signals(data, params):
    size = len(data) * 10_000
    raise ValueError("A" * size)
