# ruff: noqa
"""Write the canary file with ndarray.tofile.

layer: restricted
expect: SandboxViolation
message: tofile
"""


def signals(data, params):
    data.close.to_numpy().tofile(CANARY_FILE)
    return data.close > 0, data.close < 0
