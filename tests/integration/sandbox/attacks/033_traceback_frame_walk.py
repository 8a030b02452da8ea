# ruff: noqa
"""Catch an exception and walk e.__traceback__.tb_frame to the caller's globals.

layer: static
expect: SandboxViolation
message: underscore | __traceback__ | tb_frame
"""


def signals(data, params):
    try:
        1 / 0
    except ZeroDivisionError as e:
        frame = e.__traceback__.tb_frame.f_back
        frame.f_builtins["open"](CANARY_FILE, "w")
    return data.close > 0, data.close < 0
