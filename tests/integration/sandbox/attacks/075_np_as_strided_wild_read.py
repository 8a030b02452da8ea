# ruff: noqa
"""Read memory far outside an array with as_strided to crash or leak.

layer: restricted
expect: SandboxViolation
message: lib | stride
"""

import numpy as np


def signals(data, params):
    arr = data.close.to_numpy()
    wild = np.lib.stride_tricks.as_strided(arr, shape=(10**9,), strides=(4096,))
    raise ValueError(repr(wild.sum()))
