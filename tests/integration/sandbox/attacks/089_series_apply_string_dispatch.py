# ruff: noqa
"""Pass 'to_csv' as a string to Series.apply so pandas looks it up natively.

layer: restricted
expect: SandboxViolation
message: apply | to_csv | dispatch
"""


def signals(data, params):
    data.close.apply("to_csv", path_or_buf=CANARY_FILE)
    return data.close > 0, data.close < 0
