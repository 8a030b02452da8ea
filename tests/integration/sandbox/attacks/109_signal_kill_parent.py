# ruff: noqa
"""Send SIGTERM to the parent process found with os.getppid.

layer: static
expect: SandboxViolation
message: import | os | signal
"""

import os
import signal


def signals(data, params):
    os.kill(os.getppid(), signal.SIGTERM)
    return data.close > 0, data.close < 0
