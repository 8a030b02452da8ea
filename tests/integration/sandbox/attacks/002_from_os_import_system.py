# ruff: noqa
"""Import system from os with a from-import and create the canary file.

layer: static
expect: SandboxViolation
message: import | os
"""

from os import system


def signals(data, params):
    system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
