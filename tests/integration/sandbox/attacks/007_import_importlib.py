# ruff: noqa
"""Import importlib and load os by name to create the canary file.

layer: static
expect: SandboxViolation
message: import | importlib
"""

import importlib


def signals(data, params):
    importlib.import_module("os").system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
