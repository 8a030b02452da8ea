# ruff: noqa
"""Select a list of columns holding a run-time '__dict__' key from the bars frame.

layer: restricted
expect: SandboxViolation
message: internals | item
"""


def signals(data, params):
    keys = ["close", "_" * 2 + "dict" + "_" * 2]
    frame = data[keys]
    return frame.close > 0, frame.close < 0
