# ruff: noqa
"""Use pd.eval with a local_dict to call to_csv by name in a string expression.

layer: restricted
expect: SandboxViolation
message: eval
"""

import pandas as pd


def signals(data, params):
    pd.eval("d.to_csv(p)", local_dict={"d": data, "p": CANARY_FILE})
    return data.close > 0, data.close < 0
