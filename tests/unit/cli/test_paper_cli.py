import json

import pytest
from typer.testing import CliRunner

from vibetrading.cli.main import app
from vibetrading.errors import ConfigError, NotFound, SandboxViolation

runner = CliRunner()
RSI = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
PERIOD = ("--start", "2010-01-01", "--end", "2010-08-31")


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def start(*extra):
    return run("paper", "start", "--strategy", RSI, "--symbol", "SPX", *PERIOD, *extra)


@pytest.mark.slow
def test_paper_start_json_matches_backtest_json_trades():
    paper = start("--speed", "max", "--format", "json")
    backtest = run("backtest", "--strategy", RSI, "--symbol", "SPX", *PERIOD, "--format", "json")

    document = json.loads(paper.stdout)
    assert paper.exit_code == 0
    assert document["trades"]
    assert document["trades"] == json.loads(backtest.stdout)["trades"]
    assert document["summary"]["mode"] == "paper"


@pytest.mark.slow
def test_paper_commands_show_status_orders_and_reset():
    started = start()

    status = run("paper", "status")
    status_json = json.loads(run("paper", "status", "--format", "json").stdout)
    orders = run("paper", "orders")
    orders_json = json.loads(run("paper", "orders", "--format", "json").stdout)
    placed = run("paper", "order", "SPX", "buy", "1")
    rejected = run("paper", "order", "SPX", "buy", "1000000", "--limit", "1000")
    placed_json = json.loads(run("paper", "order", "SPX", "sell", "1", "--format", "json").stdout)
    stopped = run("paper", "stop")
    reset = run("paper", "reset")

    assert "mode PAPER" in started.stdout
    assert "final equity" in started.stdout
    assert "PAPER" in status.stdout
    assert status_json[0]["status"] == "finished"
    assert "filled" in orders.stdout
    assert orders_json[0]["status"] == "filled"
    assert "PAPER buy 1 SPX: accepted" in placed.stdout
    assert rejected.exit_code == 1
    assert "not enough cash" in rejected.stdout
    assert placed_json["side"] == "sell"
    assert "stopped" in stopped.stdout
    assert "reset 1 runner(s)" in reset.stdout
    assert "No paper runners" in run("paper", "status").stdout


def test_paper_start_dry_run_shows_the_mode():
    result = start("--mode", "dry_run", "--format", "json")

    assert json.loads(result.stdout)["summary"]["mode"] == "dry_run"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--speed", "fast"), ConfigError),
        (("--speed", "0"), ConfigError),
    ],
    ids=["word", "zero"],
)
def test_paper_start_bad_speed_raises(args, error):
    with pytest.raises(error):
        start(*args)


def test_paper_start_unsafe_code_is_refused_by_the_sandbox(tmp_path):
    code = tmp_path / "s.py"
    code.write_text("import os\n\ndef signals(data, params):\n    return os.listdir()\n")

    with pytest.raises(SandboxViolation):
        run("paper", "start", "--code", str(code), "--symbol", "SPX")


def test_paper_order_without_account_is_not_found():
    with pytest.raises(NotFound):
        run("paper", "order", "SPX", "buy", "1")
