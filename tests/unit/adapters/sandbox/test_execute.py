from pathlib import Path

import pytest

from vibetrading.adapters.sandbox.execute import clean_message, execute_strategy
from vibetrading.adapters.sandbox.report import passed
from vibetrading.errors import SandboxViolation, StrategyError
from vibetrading.testing import make_bars

EXAMPLES = sorted((Path(__file__).parents[4] / "examples" / "code_strategies").glob("*.py"))


@pytest.fixture(scope="module")
def bars():
    return make_bars(600, start="2015-01-02")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_execute_example_matches_direct_call(path, bars):
    source = path.read_text()
    namespace: dict = {}
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - our own example, unsandboxed
    entries, exits = namespace["signals"](bars.copy(), {})

    run = execute_strategy(source, bars, {})

    assert run.entries.tolist() == entries.tolist()
    assert run.exits.tolist() == exits.tolist()
    assert [c.name for c in run.checks][-1] == "output"


def test_execute_static_violation_carries_report(bars):
    with pytest.raises(SandboxViolation, match="imports") as caught:
        execute_strategy("import os\ndef signals(d, p):\n    return d, d", bars)

    assert caught.value.report.violations[0].line == 1


def test_execute_bug_names_user_line(bars):
    source = "def signals(data, params):\n    x = 1\n    return x / 0\n"

    with pytest.raises(StrategyError, match="line 3: ZeroDivisionError") as caught:
        execute_strategy(source, bars)

    assert not isinstance(caught.value, SandboxViolation)


def test_execute_caught_refusal_is_still_a_violation(bars):
    source = """
def signals(data, params):
    try:
        data.close.agg("to_" + "parquet")
    except Exception:
        pass
    return data.close > 0, data.close < 0
"""

    with pytest.raises(SandboxViolation, match="line 4") as caught:
        execute_strategy(source, bars)

    assert caught.value.report.violations[-1].name == "restricted access"


def test_execute_memory_error_is_a_violation(bars):
    source = "def signals(data, params):\n    raise MemoryError()\n"

    with pytest.raises(SandboxViolation, match="memory"):
        execute_strategy(source, bars)


def test_execute_bad_output_reports_output_check(bars):
    source = "def signals(data, params):\n    return data.close, data.close > 0\n"

    with pytest.raises(StrategyError, match="must be boolean") as caught:
        execute_strategy(source, bars, process_checks=[passed("process limits", "process", "ok")])

    assert caught.value.report.violations[-1].name == "output"


def test_execute_missing_signals_function_is_refused(bars):
    with pytest.raises(SandboxViolation, match="signals"):
        execute_strategy("signals = 1\n", bars)


def test_execute_captures_print_output(bars):
    source = (
        "def signals(data, params):\n    print('bars', len(data))\n"
        "    return data.close > 0, data.close < 0\n"
    )

    run = execute_strategy(source, bars, {"a": 1})

    assert run.output == "bars 600\n"


def test_clean_message_hides_server_paths():
    import sys

    assert sys.prefix not in clean_message(f"failed in {sys.prefix}/lib/x.py")
    assert len(clean_message("x" * 1000)) <= 400
