# ruff: noqa
"""Read /etc/passwd with pd.read_csv and raise its rows.

layer: restricted
expect: SandboxViolation
message: read_csv
"""

import pandas as pd


def signals(data, params):
    raise ValueError(pd.read_csv("/etc/passwd", sep=":", header=None).to_string())
