# ruff: noqa
"""Allocate a list of 10**11 pointers with the size computed at run time.

layer: process
expect: SandboxViolation
message: memory
"""


def signals(data, params):
    size = len(data) * 10**8
    big = [0] * size
    return big, big
