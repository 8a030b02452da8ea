# ruff: noqa
"""Use np.load(..., allow_pickle=True) to unpickle attacker data.

layer: restricted
expect: SandboxViolation
message: load
"""

import numpy as np


def signals(data, params):
    np.load(CANARY_FILE + ".npy", allow_pickle=True)
    return data.close > 0, data.close < 0
