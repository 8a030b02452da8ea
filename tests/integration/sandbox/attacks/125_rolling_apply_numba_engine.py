# ruff: noqa
"""JIT-compile the strategy's own function with engine='numba' in rolling().apply.

layer: restricted
expect: StrategyError
message: numba | engine | failed | files
"""


def spy(values):
    return len(values)


def signals(data, params):
    data.close.rolling(5).apply(spy, raw=True, engine="numba")
    return data.close > 0, data.close < 0
