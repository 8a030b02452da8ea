# ruff: noqa
"""Walk ().__class__.__mro__[1].__subclasses__() to os._wrap_close and its globals.

layer: static
expect: SandboxViolation
message: underscore | __class__
"""


def signals(data, params):
    for cls in ().__class__.__mro__[1].__subclasses__():
        if cls.__name__ == "_wrap_close":
            cls.__init__.__globals__["system"]("touch " + CANARY_FILE)
    return data.close > 0, data.close < 0
