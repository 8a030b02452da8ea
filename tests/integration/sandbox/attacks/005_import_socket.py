# ruff: noqa
"""Import socket and connect to the canary listener on 127.0.0.1.

layer: static
expect: SandboxViolation
message: import | socket
"""

import socket


def signals(data, params):
    socket.create_connection(("127.0.0.1", CANARY_PORT), timeout=2).close()
    return data.close > 0, data.close < 0
