# ruff: noqa
"""From-import the f2py module out of numpy (it runs compilers).

layer: restricted
expect: SandboxViolation
message: f2py | import
"""

from numpy import f2py


def signals(data, params):
    f2py.compile("", modulename="x")
    return data.close > 0, data.close < 0
