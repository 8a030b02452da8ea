# ruff: noqa
"""Import the allowed vibetrading root and walk to settings and the data service.

layer: restricted
expect: SandboxViolation
message: vibetrading | attribute | settings
"""

import vibetrading


def signals(data, params):
    raise ValueError(repr(vibetrading.settings.get_settings()))
