import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from vibetrading.cli.main import app
from vibetrading.domain.strategy import Risk, StrategySpec
from vibetrading.domain.strategy.expr import compare, indicator
from vibetrading.errors import SandboxViolation
from vibetrading.testing import make_bars

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def signals_csv(tmp_path):
    bars = make_bars(600, start="2010-01-04")
    fast, slow = bars["close"].rolling(10).mean(), bars["close"].rolling(50).mean()
    frame = pd.DataFrame(
        {
            "entry": ((fast > slow) & (fast.shift() <= slow.shift())).astype(int),
            "exit": ((fast < slow) & (fast.shift() >= slow.shift())).astype(int),
        },
        index=bars.index.strftime("%Y-%m-%d"),
    ).rename_axis("timestamp")
    path = tmp_path / "signals.csv"
    frame.to_csv(path)
    bars_path = tmp_path / "bars.csv"
    bars.to_csv(bars_path)
    return path, bars_path


def test_backtest_json_has_contract_fields(signals_csv):
    signals, bars = signals_csv

    result = run("backtest", "--signals", str(signals), "--data", str(bars), "--format", "json")

    document = json.loads(result.stdout)
    assert {"summary", "trades", "equity", "benchmark"} <= set(document)
    assert {"total_return", "cagr", "sharpe", "max_drawdown", "win_rate", "num_trades"} <= set(
        document["summary"]
    )
    trade = document["trades"][0]
    assert {
        "entry_time",
        "entry_price",
        "exit_time",
        "exit_price",
        "quantity",
        "pnl",
        "return",
        "bars_held",
        "exit_reason",
    } <= set(trade)
    assert document["summary"]["num_trades"] == len(document["trades"])


def test_backtest_table_shows_cards_chart_and_trades(signals_csv):
    signals, bars = signals_csv

    result = run("backtest", "--signals", str(signals), "--data", str(bars))

    assert result.exit_code == 0
    assert "total return" in result.stdout
    assert "trades" in result.stdout
    assert "█" in result.stdout


def test_backtest_spec_file_with_stop_flag_and_report(tmp_path):
    rsi = indicator("rsi", period=14)
    spec = StrategySpec(
        entry=compare(rsi, "<", 30), exit=compare(rsi, ">", 70), risk=Risk(stop_loss=0.1)
    )
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(spec.to_json(assumptions=["from a test"]))
    report = tmp_path / "report.html"

    result = run(
        "backtest",
        "--spec",
        str(spec_path),
        "--symbol",
        "SPX",
        "--start",
        "2005-01-01",
        "--end",
        "2012-12-31",
        "--stop-loss",
        "0.03",
        "--format",
        "json",
        "--report",
        str(report),
    )

    document = json.loads(result.stdout)
    assert document["spec"]["risk"]["stop_loss"] == 0.1
    assert "stop_loss" in {t["exit_reason"] for t in document["trades"]}
    assert report.read_text().startswith("<!DOCTYPE html>")


def test_backtest_hostile_code_strategy_refused_clearly(tmp_path):
    code = tmp_path / "s.py"
    code.write_text("import os\ndef signals(data, params):\n    return os.environ, data\n")

    with pytest.raises(SandboxViolation, match="import of 'os'"):
        run("backtest", "--code", str(code), "--symbol", "SPX")
