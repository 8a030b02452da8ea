# ruff: noqa
"""Pass a lambda as metaclass so the class statement calls arbitrary code.

layer: static
expect: SandboxViolation
message: class | metaclass
"""

import pandas as pd


class Evil(metaclass=lambda name, bases, namespace: pd.DataFrame.to_csv):
    pass


def signals(data, params):
    Evil(data, CANARY_FILE)
    return data.close > 0, data.close < 0
