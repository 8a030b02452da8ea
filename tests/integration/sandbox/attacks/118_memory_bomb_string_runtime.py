# ruff: noqa
"""Allocate a string of about 50 GB with the size computed at run time.

layer: process
expect: SandboxViolation
message: memory
"""


def signals(data, params):
    size = len(data) * 10**7
    big = "x" * size
    return big, big
