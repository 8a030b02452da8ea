# ruff: noqa
"""Write the canary file with np.savetxt.

layer: restricted
expect: SandboxViolation
message: savetxt
"""

import numpy as np


def signals(data, params):
    np.savetxt(CANARY_FILE, data.close.to_numpy())
    return data.close > 0, data.close < 0
