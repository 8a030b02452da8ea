# ruff: noqa
"""Walk statistics.sys.modules to reach os through an allowed module.

layer: restricted
expect: SandboxViolation
message: sys | module | attribute
"""

import statistics


def signals(data, params):
    statistics.sys.modules["os"].system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
