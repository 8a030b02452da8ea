# ruff: noqa
"""Call DataFrame.to_clipboard, which spawns xclip/xsel subprocesses.

layer: restricted
expect: SandboxViolation
message: to_clipboard
"""


def signals(data, params):
    data.to_clipboard()
    return data.close > 0, data.close < 0
