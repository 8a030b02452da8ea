# ruff: noqa
"""Import builtins and use the real open() to write the canary file.

layer: static
expect: SandboxViolation
message: import | builtins
"""

import builtins


def signals(data, params):
    builtins.open(CANARY_FILE, "w").write("breach")
    return data.close > 0, data.close < 0
