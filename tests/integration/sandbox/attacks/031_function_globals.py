# ruff: noqa
"""Read signals.__globals__['__builtins__'] to get the real open().

layer: static
expect: SandboxViolation
message: underscore | __globals__
"""


def signals(data, params):
    signals.__globals__["__builtins__"]["open"](CANARY_FILE, "w")
    return data.close > 0, data.close < 0
