# ruff: noqa
"""Read to_csv through a match statement's class pattern, which looks attributes up natively.

layer: static
expect: SandboxViolation
message: match
"""

import pandas as pd


def signals(data, params):
    match data:
        case pd.DataFrame(to_csv=writer):
            writer(CANARY_FILE)
    return data.close > 0, data.close < 0
