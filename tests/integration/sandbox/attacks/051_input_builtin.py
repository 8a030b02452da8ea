# ruff: noqa
"""Call input() to block on the worker's stdin forever.

layer: static
expect: SandboxViolation
message: input
"""


def signals(data, params):
    input("wait")
    return data.close > 0, data.close < 0
