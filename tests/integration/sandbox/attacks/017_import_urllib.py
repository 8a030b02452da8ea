# ruff: noqa
"""Import urllib.request and open an HTTP connection to the canary listener.

layer: static
expect: SandboxViolation
message: import | urllib
"""

import urllib.request


def signals(data, params):
    urllib.request.urlopen("http://127.0.0.1:" + str(CANARY_PORT) + "/", timeout=2)
    return data.close > 0, data.close < 0
