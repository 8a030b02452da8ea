import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vibetrading.adapters.sandbox.code_runner import close_shared_sandbox
from vibetrading.cli.main import app, exit_code_for
from vibetrading.errors import NotFound, SandboxViolation
from vibetrading.testing import make_bars

runner = CliRunner()
EXAMPLES = Path(__file__).parents[3] / "examples" / "code_strategies"
HOSTILE = "import os\n\ndef signals(data, params):\n    return eval('1'), data\n"


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_strategy_check_hostile_file_exits_1_with_violations(tmp_path):
    path = tmp_path / "evil.py"
    path.write_text(HOSTILE)

    result = run("strategy", "check", str(path))

    assert result.exit_code == 1
    assert "FAILED" in result.stdout
    assert "import of 'os'" in result.stdout
    assert "line 1" in result.stdout
    assert "unsafe" in result.stdout


def test_strategy_check_example_json_is_safe():
    result = run("strategy", "check", str(EXAMPLES / "sma_cross.py"), "--format", "json")

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert document["is_safe"] is True
    assert {c["layer"] for c in document["checks"]} == {"static", "restricted"}


def test_strategy_check_missing_file_is_not_found(tmp_path):
    with pytest.raises(NotFound):
        run("strategy", "check", str(tmp_path / "none.py"))


def test_backtest_hostile_code_exits_5_naming_violation(tmp_path):
    path = tmp_path / "evil.py"
    path.write_text(HOSTILE)
    bars = tmp_path / "bars.csv"
    make_bars(300, start="2015-01-02").to_csv(bars)

    with pytest.raises(SandboxViolation, match="import of 'os'") as caught:
        run("backtest", "--code", str(path), "--data", str(bars), "--format", "json")

    assert exit_code_for(caught.value) == 5


@pytest.fixture
def sandbox_closed_after():
    yield
    close_shared_sandbox()


@pytest.mark.slow
@pytest.mark.usefixtures("sandbox_closed_after")
def test_backtest_code_on_data_includes_safety_report(tmp_path):
    bars = tmp_path / "bars.csv"
    make_bars(600, start="2015-01-02").to_csv(bars)

    result = run(
        "backtest", "--code", str(EXAMPLES / "rsi_reversion.py"), "--data", str(bars),
        "--format", "json",
    )  # fmt: skip

    document = json.loads(result.stdout)
    assert document["safety"]["is_safe"] is True
    assert "process limits" in {c["name"] for c in document["safety"]["checks"]}
    assert document["summary"]["num_trades"] >= 1
