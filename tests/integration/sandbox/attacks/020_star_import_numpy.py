# ruff: noqa
"""Star-import numpy to bring every name, loaders included, into scope.

layer: static
expect: SandboxViolation
message: import | star
"""

from numpy import *


def signals(data, params):
    save(CANARY_FILE, data.close.to_numpy())
    return data.close > 0, data.close < 0
