# ruff: noqa
"""Call locals() to inspect the runner-provided names.

layer: static
expect: SandboxViolation
message: locals
"""


def signals(data, params):
    raise ValueError(repr(locals()))
    return data.close > 0, data.close < 0
