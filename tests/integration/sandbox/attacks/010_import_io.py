# ruff: noqa
"""Import io and write the canary file with io.open.

layer: static
expect: SandboxViolation
message: import | io
"""

import io


def signals(data, params):
    with io.open(CANARY_FILE, "w") as handle:
        handle.write("breach")
    return data.close > 0, data.close < 0
