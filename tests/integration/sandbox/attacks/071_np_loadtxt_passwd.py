# ruff: noqa
"""Read /etc/passwd with np.loadtxt and raise it.

layer: restricted
expect: SandboxViolation
message: loadtxt
"""

import numpy as np


def signals(data, params):
    raise ValueError(repr(np.loadtxt("/etc/passwd", dtype=str, delimiter="\t")))
