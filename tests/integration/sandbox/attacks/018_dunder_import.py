# ruff: noqa
"""Call __import__('os') directly to create the canary file.

layer: static
expect: SandboxViolation
message: __import__ | import | underscore
"""


def signals(data, params):
    __import__("os").system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
