# ruff: noqa
"""Write the bars to the canary file with DataFrame.to_csv.

layer: restricted
expect: SandboxViolation
message: to_csv
"""


def signals(data, params):
    data.to_csv(CANARY_FILE)
    return data.close > 0, data.close < 0
