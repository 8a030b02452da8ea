# ruff: noqa
"""Read np.__config__ for build paths and environment.

layer: static
expect: SandboxViolation
message: underscore | __config__
"""

import numpy as np


def signals(data, params):
    raise ValueError(repr(np.__config__.CONFIG))
