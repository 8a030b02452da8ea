# ruff: noqa
"""Call Series.to_sql by string inside an array, with a PostgreSQL URL on a Unix socket (no network namespace stops it).

layer: restricted
expect: SandboxViolation
message: to_sql | naming a method | import | not allowed
"""

import numpy as np


def signals(data, params):
    url = "postgresql+psycopg://postgres@/test?host=" + CANARY_SOCKET_DIR
    data.close.agg(np.array(["to_sql"]), name="stolen", con=url)
    return data.close > 0, data.close < 0
