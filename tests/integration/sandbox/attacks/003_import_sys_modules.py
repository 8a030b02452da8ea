# ruff: noqa
"""Import sys and fetch os from sys.modules to create the canary file.

layer: static
expect: SandboxViolation
message: import | sys
"""

import sys


def signals(data, params):
    sys.modules["os"].system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
