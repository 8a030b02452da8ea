# ruff: noqa
"""Build '__class__' by concatenation and pass it to getattr.

layer: static
expect: SandboxViolation
message: getattr | underscore | computed
"""


def signals(data, params):
    cls = getattr(data, "__cla" + "ss__")
    raise ValueError(repr(getattr(cls, "__m" + "ro__")))
