# ruff: noqa
"""Loop forever behind a break that can never be reached.

layer: process
expect: SandboxViolation
message: time | cpu | limit
"""


def signals(data, params):
    x = 1
    while x > 0:
        x += 1
        if x < 0:
            break
    return data.close > 0, data.close < 0
