# ruff: noqa
"""Spell __class__ with full-width low lines that NFKC-normalise to underscores.

layer: static
expect: SandboxViolation
message: underscore | __class__
"""


def signals(data, params):
    raise ValueError(repr(data._＿class_＿._＿mro_＿))
