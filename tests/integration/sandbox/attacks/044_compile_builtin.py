# ruff: noqa
"""Compile a code object at run time to dodge the static checks.

layer: static
expect: SandboxViolation
message: compile
"""


def signals(data, params):
    code = compile("open(" + repr(CANARY_FILE) + ", 'w')", "<x>", "exec")
    raise ValueError(repr(code))
    return data.close > 0, data.close < 0
