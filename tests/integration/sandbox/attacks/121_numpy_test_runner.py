# ruff: noqa
"""Call np.test(), numpy's exposed pytest runner, to import and run arbitrary test modules.

layer: process
expect: SandboxViolation
message: test | file | refused | not allowed | limit
"""

import numpy as np


def signals(data, params):
    np.test(
        label="full", verbose=2, extra_argv=["-p", "no:cacheprovider", "--basetemp", CANARY_FILE]
    )
    return data.close > 0, data.close < 0
