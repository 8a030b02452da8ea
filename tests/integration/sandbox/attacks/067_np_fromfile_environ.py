# ruff: noqa
"""Read /proc/self/environ with np.fromfile and raise it to leak secrets.

layer: restricted
expect: SandboxViolation
message: fromfile
"""

import numpy as np


def signals(data, params):
    raw = np.fromfile("/proc/self/environ", dtype=np.uint8)
    raise ValueError("".join(chr(int(c)) for c in raw))
