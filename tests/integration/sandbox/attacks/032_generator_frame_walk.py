# ruff: noqa
"""Walk a generator's gi_frame.f_back.f_globals to the runner's globals.

layer: static
expect: SandboxViolation
message: gi_frame | frame | f_back
"""


def gen():
    yield 1


def signals(data, params):
    g = gen()
    frame = g.gi_frame.f_back
    frame.f_globals["__builtins__"]["open"](CANARY_FILE, "w")
    return data.close > 0, data.close < 0
