# ruff: noqa
"""Spell eval with a full-width letter that NFKC-normalises to eval.

layer: static
expect: SandboxViolation
message: eval
"""


def signals(data, params):
    ｅval("__import__('os').system('touch " + CANARY_FILE + "')")
    return data.close > 0, data.close < 0
