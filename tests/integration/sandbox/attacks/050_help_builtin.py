# ruff: noqa
"""Call help() to start the interactive pager (reads modules and files).

layer: static
expect: SandboxViolation
message: help
"""


def signals(data, params):
    help("os")
    return data.close > 0, data.close < 0
