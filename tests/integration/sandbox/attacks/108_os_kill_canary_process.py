# ruff: noqa
"""Send SIGKILL to the canary process (stand-in for the server).

layer: static
expect: SandboxViolation
message: import | os | signal
"""

import os
import signal


def signals(data, params):
    os.kill(CANARY_PID, signal.SIGKILL)
    return data.close > 0, data.close < 0
