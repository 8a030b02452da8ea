import sys
import types

import pytest

from vibetrading.adapters.sandbox.restricted import (
    GuardState,
    ModuleView,
    SandboxAccessError,
    compile_strategy,
    module_views,
    restricted_globals,
)


def run(source, state=None):
    state = state or GuardState()
    code, checks = compile_strategy(source)
    assert code is not None, checks
    namespace = restricted_globals(state)
    exec(code, namespace)  # noqa: S102 - restricted code under test
    return namespace, state


def test_compile_strategy_refuses_underscore_names_with_line():
    code, checks = compile_strategy("x = 1\ny = x.__class__")

    assert code is None
    assert checks[0].name == "restricted compile"
    assert checks[0].line == 2
    assert "__class__" in checks[0].message


def test_compile_strategy_benign_code_passes():
    code, checks = compile_strategy("def signals(d, p):\n    return d, d")

    assert code is not None
    assert checks[0].passed


@pytest.mark.parametrize(
    "name",
    ["load", "save", "fromfile", "memmap", "lib", "ctypeslib", "testing", "f2py", "get_include"],
)
def test_numpy_view_hides_file_and_internal_members(name):
    with pytest.raises((AttributeError, SandboxAccessError)):
        getattr(module_views()["numpy"], name)


@pytest.mark.parametrize(
    "name", ["read_csv", "read_pickle", "to_pickle", "eval", "set_option", "options", "io", "api"]
)
def test_pandas_view_hides_file_and_option_members(name):
    with pytest.raises((AttributeError, SandboxAccessError)):
        getattr(module_views()["pandas"], name)


def test_module_view_exposes_allowlisted_members_only():
    numpy = module_views()["numpy"]

    assert numpy.mean([1.0, 3.0]) == 2.0
    assert numpy.random.default_rng(1).integers(0, 10) < 10
    assert "load" not in dir(numpy)
    assert repr(numpy) == "<module view numpy>"
    with pytest.raises(SandboxAccessError):
        numpy._members  # noqa: B018
    with pytest.raises(SandboxAccessError):
        numpy.mean = None


def test_guards_refuse_file_method_even_when_caught(tmp_path):
    target = tmp_path / "canary.pkl"
    source = f"""
import pandas as pd
def attempt():
    s = pd.Series([1.0])
    try:
        getattr(s, "to_pickle")({str(target)!r})
    except Exception:
        return "swallowed"
result = attempt()
"""

    namespace, state = run(source)

    assert namespace["result"] == "swallowed"
    assert state.breach is not None
    assert "to_pickle" in state.breach[0]
    assert not target.exists()


def test_guards_refuse_method_named_by_string(tmp_path):
    target = tmp_path / "canary.pkl"
    source = f"""
import pandas as pd
s = pd.Series([1.0, 2.0])
s.agg(["sum", "to_pickle"], 0, {str(target)!r})
"""

    with pytest.raises(SandboxAccessError, match="naming a method by string"):
        run(source)
    assert not target.exists()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import os", "import of 'os'"),
        ("import numpy as np\nnp.x = 1", "cannot be changed"),
        ("import math\ndef f():\n    return 1\nf.x = 2", "cannot be changed"),
        ("x = getattr(1, 2)", "must be strings"),
        (
            "import numpy\nx = numpy.linalg.norm([3.0, 4.0])\ny = numpy.linalg.nothing",
            "no attribute",
        ),
        ("import vibetrading\nx = vibetrading.settings", "not available"),
        ("from numpy import f2py", "not available"),
        ("import pandas as pd\npd.Series([1.0]).agg(pd.Index(['sum']))", "not arrays"),
        ("import pandas as pd\npd.Series([1.0]).agg({'a': 'sum'}.values())", "plain strings"),
    ],
    ids=[
        "import-os",
        "set-module",
        "set-function",
        "nonstring-getattr",
        "submodule-member",
        "vibetrading-settings",
        "from-numpy-f2py",
        "dispatch-index",
        "dispatch-values",
    ],
)
def test_guards_refuse_hostile_access(source, message):
    with pytest.raises((SandboxAccessError, AttributeError), match=message):
        run(source)


def test_guards_allow_ordinary_pandas_work():
    source = """
import pandas as pd
import numpy as np
import math, statistics
from vibetrading.indicators import sma
import vibetrading.indicators
frame = pd.DataFrame({"close": np.arange(30.0)})
frame["fast"] = frame["close"].rolling(3).mean()
frame.loc[0, "fast"] = 0.0
total = 0
for i, v in enumerate([1, 2, 3]):
    total += v
a, (b, c) = 1, (2, 3)
has = hasattr(frame, "close") and not hasattr(frame, "nothing_here")
mean = statistics.mean([1, 2, 3]) + math.sqrt(4)
value = sma(frame, period=5).iloc[-1]
value2 = vibetrading.indicators.ema(frame["close"], period=5).iloc[-1]
print("total", total)
"""

    namespace, state = run(source)

    assert namespace["total"] == 6
    assert namespace["has"] is True
    assert namespace["mean"] == 4.0
    assert namespace["value"] == 27.0
    assert state.breach is None
    assert state.printed == "total 6\n"


def test_print_past_the_cap_is_an_output_flood():
    state = GuardState(max_output_bytes=10)

    with pytest.raises(SandboxAccessError, match="output flood"):
        run("for i in range(100):\n    print(i)", state)
    assert state.truncated


def test_module_view_is_a_module_view():
    assert isinstance(module_views()["vibetrading"].indicators, ModuleView)


def test_hidden_member_access_is_recorded_even_when_caught():
    source = """
try:
    from numpy import f2py
except Exception:
    pass
"""

    _, state = run(source)

    assert state.breach is not None
    assert "numpy.f2py" in state.breach[0]


def test_dispatch_accepts_numeric_arrays_and_functions():
    source = """
import numpy as np
import pandas as pd
s = pd.Series([1.0, 2.0, 3.0])
a = s.agg(["sum", "mean"])
b = s.apply(np.sqrt)
c = s.rolling(2).apply(lambda w: w.sum(), raw=True)
d = s.transform(lambda v: v + np.array([1.0, 1.0, 1.0]))
e = s.pipe(lambda v, k: v * k, np.float64(2.0))
"""

    namespace, state = run(source)

    assert namespace["a"]["sum"] == 6.0
    assert state.breach is None


def run_with(source, **values):
    state = GuardState()
    code, checks = compile_strategy(source)
    assert code is not None, checks
    namespace = restricted_globals(state)
    namespace.update(values)
    exec(code, namespace)  # noqa: S102 - restricted code under test
    return namespace, state


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "import pandas as pd\nk = '_' * 2 + 'class' + '_' * 2\nx = pd.Series([1.0])[k]",
            "internals",
        ),
        (
            "import pandas as pd\nk = '_' * 2 + 'dict'\nx = pd.DataFrame({'a': [1]})[[k]]",
            "internals",
        ),
        ("k = '_' * 2 + 'name' + '_' * 2\nx = [1, 2][k]", "internals"),
        ("import numpy as np\nx = np['mean']", "module"),
        ("import vibetrading.indicators as ta\nx = ta[0]", "module"),
        ("import numpy as np\nfor x in np:\n    pass", "module"),
        ("import math\nx = [v for v in math]", "module"),
    ],
    ids=[
        "series-dunder-key",
        "frame-dunder-key-list",
        "list-dunder-key",
        "module-item",
        "indicators-item",
        "module-iteration",
        "module-comprehension",
    ],
)
def test_guards_refuse_hostile_item_access_and_iteration(source, message):
    with pytest.raises(SandboxAccessError, match=message):
        run(source)


def test_guards_refuse_item_access_that_yields_a_frame():
    frame = sys._getframe()

    with pytest.raises(SandboxAccessError, match="frame"):
        run_with("x = holder[0]", holder=[frame])
    with pytest.raises(SandboxAccessError, match="frame"):
        run_with("x = holder['f']", holder={"f": (1, frame)})


def test_guards_refuse_iteration_that_yields_interpreter_internals():
    def tracebacks():
        try:
            raise ValueError("x")
        except ValueError as e:
            yield e.__traceback__

    with pytest.raises(SandboxAccessError, match="frame"):
        run_with("for x in holder:\n    pass", holder=[1, sys._getframe()])
    with pytest.raises(SandboxAccessError, match="traceback"):
        run_with("y = [x for x in gen]", gen=tracebacks())
    with pytest.raises(SandboxAccessError, match="module"):
        run_with("for i, m in enumerate(holder):\n    pass", holder=[sys])
    with pytest.raises(SandboxAccessError, match="code"):
        run_with("for x in holder:\n    pass", holder=(run_with.__code__,))


def test_guards_refuse_attribute_that_yields_a_code_object():
    holder = types.SimpleNamespace(code=run_with.__code__)

    with pytest.raises(SandboxAccessError, match="code object"):
        run_with("x = holder.code", holder=holder)


def test_guards_record_item_breach_even_when_caught():
    source = """
import pandas as pd
def attempt():
    try:
        return pd.Series([1.0])["_" * 2 + "class" + "_" * 2]
    except Exception:
        return "swallowed"
result = attempt()
"""

    namespace, state = run(source)

    assert namespace["result"] == "swallowed"
    assert state.breach is not None
    assert "internals" in state.breach[0]


def test_guards_allow_ordinary_items_iteration_and_type_hints():
    source = """
import numpy as np
import pandas as pd
frame = pd.DataFrame({"close": np.arange(5.0), "_tmp": np.ones(5)})
params = {"__weird": 2, "fast": 3}
values = [v * params["__weird"] for v in frame["close"]]
labels = [c for c in frame]
pairs = {k: v for k, v in params.items()}
chars = [c for c in "abc"] + [b for b in b"ab"]
total = sum(x for x in range(4))
tmp = frame["_tmp"].sum()
def gen():
    yield 1
    yield 2
gathered = [g for g in gen()]
def typed(data: pd.DataFrame, options: dict[str, float]) -> tuple[pd.Series, list[int]]:
    return data["close"], [1]
hinted = typed(frame, {})[1]
"""

    namespace, state = run(source)

    assert namespace["values"] == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert namespace["labels"] == ["close", "_tmp"]
    assert namespace["pairs"] == {"__weird": 2, "fast": 3}
    assert namespace["total"] == 6
    assert namespace["tmp"] == 5.0
    assert namespace["gathered"] == [1, 2]
    assert namespace["hinted"] == [1]
    assert state.breach is None
