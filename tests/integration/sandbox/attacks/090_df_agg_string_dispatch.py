# ruff: noqa
"""Pass 'to_pickle' as a string to DataFrame.agg so pandas looks it up natively.

layer: restricted
expect: SandboxViolation
message: agg | to_pickle | dispatch
"""


def signals(data, params):
    data.agg("to_pickle", path=CANARY_FILE)
    return data.close > 0, data.close < 0
