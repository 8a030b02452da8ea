# ruff: noqa
"""Write the canary file through DataFrame.to_html(buf=path).

layer: restricted
expect: SandboxViolation
message: to_html
"""


def signals(data, params):
    data.to_html(buf=CANARY_FILE)
    return data.close > 0, data.close < 0
