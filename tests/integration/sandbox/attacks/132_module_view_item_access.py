# ruff: noqa
"""Index the numpy view like a mapping to reach a hidden member ('load').

layer: restricted
expect: SandboxViolation
message: module | item
"""

import numpy as np


def signals(data, params):
    loader = np["lo" + "ad"]
    loader(CANARY_FILE, allow_pickle=True)
    return data.close > 0, data.close < 0
