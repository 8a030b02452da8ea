# ruff: noqa
"""Import numpy.testing, whose helpers touch files and processes.

layer: static
expect: SandboxViolation
message: import | testing
"""

import numpy.testing as npt


def signals(data, params):
    npt.assert_equal(1, 1)
    return data.close > 0, data.close < 0
