# ruff: noqa
"""Pickle an array to the canary file with ndarray.dump.

layer: restricted
expect: SandboxViolation
message: dump
"""


def signals(data, params):
    data.close.to_numpy().dump(CANARY_FILE)
    return data.close > 0, data.close < 0
