# ruff: noqa
"""Return float Series full of NaN instead of booleans.

layer: output
expect: StrategyError
message: bool | dtype | nan
"""


def signals(data, params):
    nans = data.close * float("nan")
    return nans, nans
