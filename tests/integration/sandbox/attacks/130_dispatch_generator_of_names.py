# ruff: noqa
"""Feed method names to Series.apply from a generator, which no container check inspects.

layer: restricted
expect: SandboxViolation
message: to_csv | naming a method | files
"""


def signals(data, params):
    names = (name for name in ["sum", "to_csv"])
    data.close.agg(list(names), CANARY_FILE)
    return data.close > 0, data.close < 0
