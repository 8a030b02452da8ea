# ruff: noqa
"""Replace numpy.mean with setattr so later strategies compute garbage.

layer: static
expect: SandboxViolation
message: setattr
poison: yes
"""

import numpy as np


def signals(data, params):
    setattr(np, "mean", lambda *args, **kwargs: 0.0)
    return data.close > 0, data.close < 0
