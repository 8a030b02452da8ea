# ruff: noqa
"""Import open_memmap from numpy.lib.format and create the canary file.

layer: static
expect: SandboxViolation
message: import | numpy.lib | lib
"""

from numpy.lib.format import open_memmap


def signals(data, params):
    open_memmap(CANARY_FILE, mode="w+", dtype="float64", shape=(3,))
    return data.close > 0, data.close < 0
