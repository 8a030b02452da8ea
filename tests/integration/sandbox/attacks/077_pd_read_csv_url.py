# ruff: noqa
"""Connect to the canary listener through pd.read_csv with an http URL.

layer: restricted
expect: SandboxViolation
message: read_csv
"""

import pandas as pd


def signals(data, params):
    pd.read_csv("http://127.0.0.1:" + str(CANARY_PORT) + "/bars.csv")
    return data.close > 0, data.close < 0
