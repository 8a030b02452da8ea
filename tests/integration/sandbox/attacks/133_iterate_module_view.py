# ruff: noqa
"""Iterate over the pandas view to list its members, hidden readers included.

layer: restricted
expect: SandboxViolation
message: module | iterat
"""

import pandas as pd


def signals(data, params):
    names = [name for name in pd if name.startswith("read")]
    raise ValueError(str(names))
