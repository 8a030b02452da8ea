# ruff: noqa
"""Build 'to_csv' at run time from params and call it through getattr.

layer: restricted
expect: SandboxViolation
message: to_csv | attribute | file
"""


def signals(data, params):
    name = "".join(["t", "o", "_", "c", "s", "v"])
    getattr(data, name)(CANARY_FILE)
    return data.close > 0, data.close < 0
