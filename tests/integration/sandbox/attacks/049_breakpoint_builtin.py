# ruff: noqa
"""Call breakpoint() to drop into a debugger on the worker's stdin.

layer: static
expect: SandboxViolation
message: breakpoint
"""


def signals(data, params):
    breakpoint()
    return data.close > 0, data.close < 0
