# ruff: noqa
"""Define a class overriding __getattribute__ to intercept the runner's access.

layer: static
expect: SandboxViolation
message: underscore | __getattribute__ | class
"""

import pandas as pd


class Evil(pd.Series):
    def __getattribute__(self, name):
        return open(CANARY_FILE, "w")


def signals(data, params):
    return Evil(data.close > 0), Evil(data.close < 0)
