# ruff: noqa
"""Call pd.test(), pandas' exposed pytest runner, with arguments that write files.

layer: process
expect: SandboxViolation
message: test | file | refused | not allowed | limit
"""

import pandas as pd


def signals(data, params):
    pd.test(extra_args=["--basetemp", CANARY_FILE, "--junitxml", CANARY_FILE])
    return data.close > 0, data.close < 0
