# ruff: noqa
"""Change pandas global options with pd.set_option.

layer: restricted
expect: SandboxViolation
message: set_option | option
poison: yes
"""

import pandas as pd


def signals(data, params):
    pd.set_option("display.max_rows", 1)
    return data.close > 0, data.close < 0
