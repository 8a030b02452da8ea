# ruff: noqa
"""Use DataFrame.query with @-locals to call to_pickle inside pandas' evaluator.

layer: restricted
expect: SandboxViolation
message: query
"""


def signals(data, params):
    path = CANARY_FILE
    data.query("@data.to_pickle(@path) == 1")
    return data.close > 0, data.close < 0
