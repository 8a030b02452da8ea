# ruff: noqa
"""Write the canary file with np.save.

layer: restricted
expect: SandboxViolation
message: save
"""

import numpy as np


def signals(data, params):
    np.save(CANARY_FILE, data.close.to_numpy())
    return data.close > 0, data.close < 0
