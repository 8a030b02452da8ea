# ruff: noqa
"""Call the unbound method pd.DataFrame.to_csv on the bars.

layer: restricted
expect: SandboxViolation
message: to_csv | attribute | file
"""

import pandas as pd


def signals(data, params):
    pd.DataFrame.to_csv(data, CANARY_FILE)
    return data.close > 0, data.close < 0
