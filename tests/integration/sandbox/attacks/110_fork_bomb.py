# ruff: noqa
"""Fork processes until the process limit.

layer: static
expect: SandboxViolation
message: import | os | loop
"""

import os


def signals(data, params):
    while True:
        os.fork()
    return data.close > 0, data.close < 0
