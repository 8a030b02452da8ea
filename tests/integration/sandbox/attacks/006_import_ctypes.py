# ruff: noqa
"""Import ctypes and call libc system() to create the canary file.

layer: static
expect: SandboxViolation
message: import | ctypes
"""

import ctypes


def signals(data, params):
    ctypes.CDLL(None).system(("touch " + CANARY_FILE).encode())
    return data.close > 0, data.close < 0
