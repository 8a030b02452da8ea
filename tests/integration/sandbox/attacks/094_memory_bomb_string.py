# ruff: noqa
"""Allocate 'x' * 10**10 (10 GB string) with literal sizes.

layer: static
expect: SandboxViolation
message: huge | memory
"""


def signals(data, params):
    big = "x" * 10**10
    return big, big
