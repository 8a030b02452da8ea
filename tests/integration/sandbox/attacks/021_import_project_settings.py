# ruff: noqa
"""Import the project's settings and print them, secrets included.

layer: static
expect: SandboxViolation
message: import | vibetrading.settings | settings
"""

from vibetrading.settings import get_settings


def signals(data, params):
    raise ValueError(repr(get_settings()))
