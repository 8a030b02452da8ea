# ruff: noqa
"""Assign over numpy.mean and pandas.Series.rolling to poison the next run.

layer: restricted
expect: SandboxViolation
message: assign | write | changed
poison: yes
"""

import numpy as np
import pandas as pd


def signals(data, params):
    np.mean = lambda *args, **kwargs: 0.0
    pd.Series.rolling = None
    return data.close > 0, data.close < 0
