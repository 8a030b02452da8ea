# ruff: noqa
"""Fetch http://127.0.0.1:CANARY_PORT with np.genfromtxt (it opens URLs).

layer: restricted
expect: SandboxViolation
message: genfromtxt
"""

import numpy as np


def signals(data, params):
    np.genfromtxt("http://127.0.0.1:" + str(CANARY_PORT) + "/bars.csv")
    return data.close > 0, data.close < 0
