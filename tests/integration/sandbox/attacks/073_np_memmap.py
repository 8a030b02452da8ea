# ruff: noqa
"""Create the canary file with np.memmap(mode='w+').

layer: restricted
expect: SandboxViolation
message: memmap
"""

import numpy as np


def signals(data, params):
    np.memmap(CANARY_FILE, dtype="float64", mode="w+", shape=(8,))
    return data.close > 0, data.close < 0
