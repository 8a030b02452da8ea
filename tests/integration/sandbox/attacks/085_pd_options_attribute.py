# ruff: noqa
"""Change pandas global options through the pd.options attribute tree.

layer: restricted
expect: SandboxViolation
message: options
poison: yes
"""

import pandas as pd


def signals(data, params):
    pd.options.mode.copy_on_write = False
    return data.close > 0, data.close < 0
