# ruff: noqa
"""Call eval() on a string that imports os and creates the canary file.

layer: static
expect: SandboxViolation
message: eval
"""


def signals(data, params):
    eval("__import__('os').system('touch " + CANARY_FILE + "')")
    return data.close > 0, data.close < 0
