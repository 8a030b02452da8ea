# ruff: noqa
"""Pass 'to_pickle' inside a numpy array to DataFrame.agg; pandas treats it as a list of method names.

layer: restricted
expect: SandboxViolation
message: to_pickle | naming a method
"""

import numpy as np


def signals(data, params):
    data.agg(np.array(["to_pickle"]), path=CANARY_FILE)
    return data.close > 0, data.close < 0
