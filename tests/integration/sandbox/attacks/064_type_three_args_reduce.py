# ruff: noqa
"""Build a class with type(name, bases, dict) whose __reduce__ key is computed, to smuggle a pickle payload back to the parent.

layer: static
expect: SandboxViolation
message: type
"""

import pandas as pd


def signals(data, params):
    key = "_" * 2 + "reduce" + "_" * 2
    payload = type("P", (pd.Series,), {key: lambda self: (print, ("breach",))})
    return payload(data.close > 0), payload(data.close < 0)
