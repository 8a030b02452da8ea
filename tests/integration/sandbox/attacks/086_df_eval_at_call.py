# ruff: noqa
"""Use DataFrame.eval with @-locals to call to_csv inside pandas' own evaluator.

layer: restricted
expect: SandboxViolation
message: eval
"""


def signals(data, params):
    path = CANARY_FILE
    data.eval("@data.to_csv(@path)")
    return data.close > 0, data.close < 0
