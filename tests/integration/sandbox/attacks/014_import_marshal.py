# ruff: noqa
"""Import marshal to load a code object from bytes.

layer: static
expect: SandboxViolation
message: import | marshal
"""

import marshal


def signals(data, params):
    code = marshal.loads(marshal.dumps(compile("open(CANARY_FILE, 'w')", "x", "exec")))
    return code, code
