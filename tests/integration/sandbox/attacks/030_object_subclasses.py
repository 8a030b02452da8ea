# ruff: noqa
"""Call object.__subclasses__() to find a class with a file-writing method.

layer: static
expect: SandboxViolation
message: underscore | __subclasses__ | object
"""


def signals(data, params):
    names = [cls.__name__ for cls in object.__subclasses__()]
    raise ValueError(",".join(names))
