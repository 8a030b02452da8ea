# ruff: noqa
"""Pickle the bars to the canary file with DataFrame.to_pickle.

layer: restricted
expect: SandboxViolation
message: to_pickle
"""


def signals(data, params):
    data.to_pickle(CANARY_FILE)
    return data.close > 0, data.close < 0
