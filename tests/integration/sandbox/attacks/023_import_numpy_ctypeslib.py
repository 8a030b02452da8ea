# ruff: noqa
"""Import numpy.ctypeslib and load libc to call system().

layer: static
expect: SandboxViolation
message: import | ctypeslib
"""

import numpy.ctypeslib as npc


def signals(data, params):
    libc = npc.load_library("libc.so.6", "/lib/x86_64-linux-gnu")
    libc.system(("touch " + CANARY_FILE).encode())
    return data.close > 0, data.close < 0
