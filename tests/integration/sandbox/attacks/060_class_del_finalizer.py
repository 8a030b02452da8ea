# ruff: noqa
"""Define __del__ so code runs after the sandbox thinks the strategy finished.

layer: static
expect: SandboxViolation
message: underscore | __del__ | class
poison: yes
"""


class Later:
    def __del__(self):
        open(CANARY_FILE, "w")


KEEP = Later()


def signals(data, params):
    return data.close > 0, data.close < 0
