# ruff: noqa
"""Use an f-string with !r on a dunder attribute chain.

layer: static
expect: SandboxViolation
message: underscore | __class__
"""


def signals(data, params):
    raise ValueError(f"{data.__class__.__mro__!r}")
