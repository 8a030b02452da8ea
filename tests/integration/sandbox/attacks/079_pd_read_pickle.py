# ruff: noqa
"""Unpickle a file with pd.read_pickle.

layer: restricted
expect: SandboxViolation
message: read_pickle
"""

import pandas as pd


def signals(data, params):
    pd.read_pickle(CANARY_FILE)
    return data.close > 0, data.close < 0
