# ruff: noqa
"""Spell '__class__' with \x5f escapes and pass it to getattr.

layer: static
expect: SandboxViolation
message: getattr | underscore
"""


def signals(data, params):
    cls = getattr(data, "\x5f\x5fclass\x5f\x5f")
    subs = getattr(getattr(cls, "\x5f\x5fbase\x5f\x5f"), "\x5f\x5fsubclasses\x5f\x5f")()
    raise ValueError(repr(subs))
