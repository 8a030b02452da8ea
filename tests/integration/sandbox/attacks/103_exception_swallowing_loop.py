# ruff: noqa
"""Catch every exception in a retry loop so in-process limits cannot stop it.

layer: process
expect: SandboxViolation
message: time | cpu | limit
"""


def signals(data, params):
    attempts = 0
    while attempts >= 0:
        try:
            attempts += 1
            sum(range(10**7))
        except BaseException:
            attempts += 1
    return data.close > 0, data.close < 0
