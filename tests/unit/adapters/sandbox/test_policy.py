import pytest

from vibetrading.adapters.sandbox.policy import CHECK_NAMES, static_checks

BENIGN = """
import numpy as np
import pandas as pd
from vibetrading import indicators as ta


def signals(data, params):
    fast = ta.sma(data, period=params.get("fast", 10))
    entries = data["close"] > fast
    i = 0
    while True:
        i += 1
        if i > 3:
            break
    return entries, ~entries
"""


def failures(source):
    return [(c.name, c.line) for c in static_checks(source) if not c.passed]


def test_static_checks_benign_code_passes_every_check():
    checks = static_checks(BENIGN)

    assert all(c.passed for c in checks)
    assert [c.name for c in checks] == list(CHECK_NAMES)


@pytest.mark.parametrize(
    ("source", "name", "line"),
    [
        ("import os", "imports", 1),
        ("from subprocess import run", "imports", 1),
        ("from . import x", "imports", 1),
        ("from numpy import *", "imports", 1),
        ("from numpy import f2py", "imports", 1),
        ("from vibetrading import settings", "imports", 1),
        ("import vibetrading\nx = vibetrading.bootstrap", "attributes", 2),
        ("x = 1\nimport numpy.lib", "imports", 2),
        ("x = ().__class__", "dunder access", 1),
        ("x = __builtins__", "builtins", 1),
        ("x = __loader_x", "dunder access", 1),
        ("from numpy import _core", "dunder access", 1),
        ("y = 1\nx = eval('1')", "builtins", 2),
        ("x = open('f')", "builtins", 1),
        ("x = globals()", "builtins", 1),
        ("n = 'a'\nx = getattr(1, n)", "builtins", 2),
        ("x = getattr(1, '__class__')", "dunder access", 1),
        ("x = '__subclasses__'", "dunder access", 1),
        ("import pandas as pd\nx = pd.read_csv('f')", "attributes", 2),
        ("def f(d):\n    return d.to_pickle('x')", "attributes", 2),
        ("import numpy as np\nnp.save('x', 1)", "attributes", 2),
        ("def f(g):\n    return g.gi_frame", "attributes", 2),
        ("class A:\n    pass", "statements", 1),
        ("def f():\n    global x", "statements", 2),
        ("async def f():\n    pass", "statements", 1),
        ("while True:\n    x = 1", "loops", 1),
        ("while 1:\n    def g():\n        return 1", "loops", 1),
        ("x = 10 ** 10 ** 10", "complexity", 1),
        ("x = 'a' * 10 ** 9", "complexity", 1),
        ("x = [0] * 10 ** 9", "complexity", 1),
        ("x = 1 << 10 ** 9", "complexity", 1),
        ("x = 1", "signals function", None),
        ("def signals(data):\n    return data", "signals function", 1),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None,
)
def test_static_checks_hostile_code_reports_check_and_line(source, name, line):
    found = failures(source)

    assert (name, line) in found


def test_static_checks_syntax_error_reports_line():
    checks = static_checks("def signals(data, params):\n    return (")

    assert [(c.name, c.passed) for c in checks] == [("syntax", False)]
    assert checks[0].line is not None


def test_static_checks_oversized_file_is_refused():
    checks = static_checks("x = 1\n" * 40_000)

    assert checks[0].name == "complexity"
    assert not checks[0].passed


def test_static_checks_deep_nesting_is_refused():
    source = "def signals(data, params):\n    return " + "-" * 60 + "1"

    assert ("complexity", None) in failures(source)


def test_static_checks_too_many_nodes_is_refused():
    source = "def signals(data, params):\n" + "    x = [1, 2, 3, 4, 5, 6, 7, 8]\n" * 2500

    assert ("complexity", None) in failures(source)


def test_static_checks_each_finding_has_plain_message():
    checks = [c for c in static_checks("import os\nx = eval('1')") if not c.passed]

    assert all(c.message and "Traceback" not in c.message for c in checks)
