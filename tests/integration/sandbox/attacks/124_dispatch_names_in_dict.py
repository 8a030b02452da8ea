# ruff: noqa
"""Hide 'to_pickle' inside a dict of aggregations passed to DataFrame.agg.

layer: restricted
expect: SandboxViolation
message: to_pickle | naming a method
"""


def signals(data, params):
    data.agg({"close": ["sum", "to_pickle"]}, path=CANARY_FILE)
    return data.close > 0, data.close < 0
