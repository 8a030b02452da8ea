# ruff: noqa
"""Open the canary listener through numpy's DataSource.

layer: restricted
expect: SandboxViolation
message: lib | DataSource
"""

import numpy as np


def signals(data, params):
    np.lib.npyio.DataSource().open("http://127.0.0.1:" + str(CANARY_PORT) + "/x")
    return data.close > 0, data.close < 0
