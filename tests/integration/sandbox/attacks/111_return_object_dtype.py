# ruff: noqa
"""Return object-dtype Series of strings instead of booleans.

layer: output
expect: StrategyError
message: bool | dtype
"""

import pandas as pd


def signals(data, params):
    text = pd.Series(["yes"] * len(data), index=data.index, dtype="object")
    return text, text
