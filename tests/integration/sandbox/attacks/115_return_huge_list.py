# ruff: noqa
"""Return a ten-million-element list as the entries.

layer: output
expect: StrategyError
message: bool | series | type | list
"""


def signals(data, params):
    big = list(range(10**7))
    return big, big
