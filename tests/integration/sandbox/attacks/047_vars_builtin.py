# ruff: noqa
"""Call vars() on the strategy function to read its internals.

layer: static
expect: SandboxViolation
message: vars
"""


def signals(data, params):
    raise ValueError(repr(vars(signals)))
    return data.close > 0, data.close < 0
