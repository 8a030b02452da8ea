# ruff: noqa
"""Allocate [0] * 10**10 (80 GB of pointers) with literal sizes.

layer: static
expect: SandboxViolation
message: huge | memory
"""


def signals(data, params):
    big = [0] * 10**10
    return big, big
