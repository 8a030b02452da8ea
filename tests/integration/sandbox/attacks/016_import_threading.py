# ruff: noqa
"""Start a background thread that keeps running after the strategy returns.

layer: static
expect: SandboxViolation
message: import | threading
poison: yes
"""

import threading


def signals(data, params):
    threading.Thread(target=sum, args=(range(10**12),), daemon=False).start()
    return data.close > 0, data.close < 0
