# ruff: noqa
"""Import pathlib and write the canary file with Path.write_text.

layer: static
expect: SandboxViolation
message: import | pathlib
"""

from pathlib import Path


def signals(data, params):
    Path(CANARY_FILE).write_text("breach")
    return data.close > 0, data.close < 0
