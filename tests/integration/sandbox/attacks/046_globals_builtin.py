# ruff: noqa
"""Call globals() to reach __builtins__ and the real open().

layer: static
expect: SandboxViolation
message: globals
"""


def signals(data, params):
    globals()["__builtins__"]["open"](CANARY_FILE, "w")
    return data.close > 0, data.close < 0
