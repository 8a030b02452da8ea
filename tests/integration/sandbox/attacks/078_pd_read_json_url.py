# ruff: noqa
"""Connect to the canary listener through pd.read_json with an http URL.

layer: restricted
expect: SandboxViolation
message: read_json
"""

import pandas as pd


def signals(data, params):
    pd.read_json("http://127.0.0.1:" + str(CANARY_PORT) + "/bars.json")
    return data.close > 0, data.close < 0
