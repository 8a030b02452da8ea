# ruff: noqa
"""Iterate over a list while appending to it (endless comprehension-like loop).

layer: process
expect: SandboxViolation
message: time | memory | limit
"""


def signals(data, params):
    xs = [0]
    for x in xs:
        xs.append(x + 1)
    return data.close > 0, data.close < 0
