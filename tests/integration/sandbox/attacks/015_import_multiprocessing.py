# ruff: noqa
"""Start a multiprocessing.Process that creates the canary file.

layer: static
expect: SandboxViolation
message: import | multiprocessing
"""

import multiprocessing


def signals(data, params):
    proc = multiprocessing.Process(target=print, args=(CANARY_FILE,))
    proc.start()
    proc.join()
    return data.close > 0, data.close < 0
