# ruff: noqa
"""Call open() directly to write the canary file.

layer: static
expect: SandboxViolation
message: open
"""


def signals(data, params):
    open(CANARY_FILE, "w").write("breach")
    return data.close > 0, data.close < 0
