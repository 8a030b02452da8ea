# ruff: noqa
"""Read a private attribute of the close Series by a computed name inside a pandas Index passed to agg.

layer: restricted
expect: SandboxViolation
message: underscore | naming a method | internals
"""

import pandas as pd


def signals(data, params):
    name = "_" * 2 + "dict" + "_" * 2
    raise ValueError(repr(data.close.agg(pd.Index([name]))))
