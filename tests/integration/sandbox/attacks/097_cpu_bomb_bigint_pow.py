# ruff: noqa
"""Burn CPU computing 3 ** (10**9), a 200 MB integer, with a literal exponent.

layer: static
expect: SandboxViolation
message: huge | power | exponent
"""


def signals(data, params):
    huge = 3 ** (10**9)
    return data.close > huge % 7, data.close < 0
