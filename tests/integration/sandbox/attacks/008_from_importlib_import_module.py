# ruff: noqa
"""Pull import_module out of importlib with a from-import.

layer: static
expect: SandboxViolation
message: import | importlib
"""

from importlib import import_module


def signals(data, params):
    import_module("os").system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
