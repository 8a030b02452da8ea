# ruff: noqa
"""Sum an endless generator (loop hidden in a generator).

layer: process
expect: SandboxViolation
message: time | cpu | limit
"""


def naturals():
    n = 0
    while n >= 0:
        yield n
        n += 1


def signals(data, params):
    total = sum(x % 2 for x in naturals())
    return data.close > total, data.close < 0
