# ruff: noqa
"""Allocate np.ones(10**11) (800 GB) at once.

layer: process
expect: SandboxViolation
message: memory
"""

import numpy as np


def signals(data, params):
    np.ones(10**11)
    return data.close > 0, data.close < 0
