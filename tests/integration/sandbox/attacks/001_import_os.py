# ruff: noqa
"""Import os and run a shell command that creates the canary file.

layer: static
expect: SandboxViolation
message: import | os
"""

import os


def signals(data, params):
    os.system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
