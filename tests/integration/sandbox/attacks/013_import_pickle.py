# ruff: noqa
"""Import pickle and unpickle a payload that calls os.system.

layer: static
expect: SandboxViolation
message: import | pickle
"""

import pickle


def signals(data, params):
    payload = b"cos\nsystem\n(S'touch " + CANARY_FILE.encode() + b"'\ntR."
    pickle.loads(payload)
    return data.close > 0, data.close < 0
