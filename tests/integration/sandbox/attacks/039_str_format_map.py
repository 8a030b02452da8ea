# ruff: noqa
"""Use str.format_map with a dunder attribute walk in the template.

layer: static
expect: SandboxViolation
message: format_map | format | underscore
"""


def signals(data, params):
    raise ValueError("{x.__class__.__mro__}".format_map({"x": data}))
