# ruff: noqa
"""Run a catastrophic regex in C through Series.str.contains.

layer: process
expect: SandboxViolation
message: time | cpu | limit
"""

import pandas as pd


def signals(data, params):
    # object dtype: pandas' default pyarrow strings use RE2, which never backtracks
    text = pd.Series(["a" * 64 + "!"], dtype="object")
    text.str.contains(r"^(a+)+$", regex=True)
    return data.close > 0, data.close < 0
