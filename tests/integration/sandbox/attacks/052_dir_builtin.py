# ruff: noqa
"""Call dir() on the bars to list hidden attributes for a later walk.

layer: static
expect: SandboxViolation
message: dir
"""


def signals(data, params):
    raise ValueError(repr(dir(data)))
