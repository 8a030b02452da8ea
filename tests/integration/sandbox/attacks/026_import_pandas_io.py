# ruff: noqa
"""Import pandas.io.common, which holds the real os module.

layer: static
expect: SandboxViolation
message: import | pandas.io | io
"""

import pandas.io.common as common


def signals(data, params):
    common.os.system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
