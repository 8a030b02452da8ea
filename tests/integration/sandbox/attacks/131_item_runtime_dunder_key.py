# ruff: noqa
"""Ask the bars frame for a column named '__class__' built at run time, to reach type internals.

layer: restricted
expect: SandboxViolation
message: internals | item
"""


def signals(data, params):
    key = "_" * 2 + "class" + "_" * 2
    kind = data[key]
    kind.mro()[-1].subclasses()
    return data.close > 0, data.close < 0
