# ruff: noqa
"""Walk pd.io.common.os to reach os.system without importing os.

layer: restricted
expect: SandboxViolation
message: io
"""

import pandas as pd


def signals(data, params):
    pd.io.common.os.system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
