# ruff: noqa
"""Print gigabytes of text to flood the parent's memory or logs.

layer: process
expect: SandboxViolation
message: output | print | time | limit
"""


def signals(data, params):
    line = "x" * 1_000_000
    for i in range(100_000):
        print(line)
    return data.close > 0, data.close < 0
