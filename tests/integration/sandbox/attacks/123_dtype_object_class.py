# ruff: noqa
"""Reach the object class through np.dtype(...).type and call its mro() to walk subclasses.

layer: restricted
expect: SandboxViolation
message: mro | underscore | attribute
"""

import numpy as np


def signals(data, params):
    base = np.dtype("O").type
    raise ValueError(repr(base.mro()))
