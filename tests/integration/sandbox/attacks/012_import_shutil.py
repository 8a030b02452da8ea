# ruff: noqa
"""Import shutil and copy /etc/passwd onto the canary file.

layer: static
expect: SandboxViolation
message: import | shutil
"""

import shutil


def signals(data, params):
    shutil.copyfile("/etc/passwd", CANARY_FILE)
    return data.close > 0, data.close < 0
