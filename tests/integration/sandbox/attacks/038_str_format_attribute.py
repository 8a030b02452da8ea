# ruff: noqa
"""Use '{0.__class__.__mro__}'.format(x) to read internals without attribute syntax.

layer: static
expect: SandboxViolation
message: format | underscore
"""


def signals(data, params):
    raise ValueError("{0.__class__.__init__.__globals__}".format(data))
