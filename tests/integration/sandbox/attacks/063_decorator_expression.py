# ruff: noqa
"""Use a decorator expression that reaches the decorated function's globals.

layer: static
expect: SandboxViolation
message: underscore | __globals__
"""


@(lambda f: f.__globals__["__builtins__"]["open"](CANARY_FILE, "w") and f)
def helper():
    return 1


def signals(data, params):
    return data.close > 0, data.close < 0
