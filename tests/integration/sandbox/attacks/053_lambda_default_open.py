# ruff: noqa
"""Hide open() in a lambda default argument evaluated at definition time.

layer: static
expect: SandboxViolation
message: open
"""


def signals(data, params):
    writer = lambda handle=open(CANARY_FILE, "w"): handle.write("breach")
    writer()
    return data.close > 0, data.close < 0
