# ruff: noqa
"""Use __init_subclass__ to run code when a subclass is created.

layer: static
expect: SandboxViolation
message: underscore | __init_subclass__ | class
"""


class Base:
    def __init_subclass__(cls, **kwargs):
        open(CANARY_FILE, "w")


class Child(Base):
    pass


def signals(data, params):
    return data.close > 0, data.close < 0
