# ruff: noqa
"""Use a relative import to reach a sibling module of the sandbox runner.

layer: static
expect: SandboxViolation
message: import
"""

from . import runner


def signals(data, params):
    runner.os.system("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
