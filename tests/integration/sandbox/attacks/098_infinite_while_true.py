# ruff: noqa
"""Loop forever with while True: pass.

layer: static
expect: SandboxViolation
message: loop | while
"""


def signals(data, params):
    while True:
        pass
    return data.close > 0, data.close < 0
