# ruff: noqa
"""Call exec() on a string that writes the canary file.

layer: static
expect: SandboxViolation
message: exec
"""


def signals(data, params):
    exec("open(" + repr(CANARY_FILE) + ", 'w').write('x')")
    return data.close > 0, data.close < 0
