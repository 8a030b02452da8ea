# ruff: noqa
"""Index __builtins__ as a dict to fetch the real open().

layer: static
expect: SandboxViolation
message: underscore | __builtins__
"""


def signals(data, params):
    __builtins__["open"](CANARY_FILE, "w")
    return data.close > 0, data.close < 0
