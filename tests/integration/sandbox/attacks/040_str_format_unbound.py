# ruff: noqa
"""Call the unbound str.format with a template built at run time.

layer: restricted
expect: SandboxViolation
message: format
"""


def signals(data, params):
    template = "{0." + "_" * 2 + "class" + "_" * 2 + "}"
    raise ValueError(str.format(template, data))
