# ruff: noqa
"""Grow memory step by step with appends until the limit.

layer: process
expect: SandboxViolation
message: memory | time | limit
"""

import numpy as np


def signals(data, params):
    hoard = []
    for i in range(10**9):
        hoard.append(np.full(10**6, float(i)))
    return data.close > 0, data.close < 0
