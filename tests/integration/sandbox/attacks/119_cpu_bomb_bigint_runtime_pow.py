# ruff: noqa
"""Burn CPU computing 3 ** n for n near 10**9 taken from the data at run time.

layer: process
expect: SandboxViolation
message: time | cpu | memory | limit
"""


def signals(data, params):
    exponent = len(data) * 200_000
    huge = 3**exponent
    return data.close > huge % 7, data.close < 0
