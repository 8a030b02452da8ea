# ruff: noqa
"""Read os.environ and raise the canary secret.

layer: static
expect: SandboxViolation
message: import | os
"""

import os


def signals(data, params):
    raise ValueError(os.environ.get("VIBETRADING_CANARY_SECRET", "none"))
