# ruff: noqa
"""Burn CPU with sum(range(10**12)).

layer: process
expect: SandboxViolation
message: time | cpu | limit
"""


def signals(data, params):
    total = sum(range(10**12))
    return data.close > total, data.close < 0
