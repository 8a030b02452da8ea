# ruff: noqa
"""Import subprocess and run touch on the canary file.

layer: static
expect: SandboxViolation
message: import | subprocess
"""

import subprocess


def signals(data, params):
    subprocess.run(["touch", CANARY_FILE], check=False)
    return data.close > 0, data.close < 0
