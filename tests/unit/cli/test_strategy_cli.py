import json

import pytest
from typer.testing import CliRunner

from vibetrading.cli.main import app
from vibetrading.domain.strategy import load_spec
from vibetrading.testing import make_bars

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_strategy_parse_json_is_spec_plus_report_and_loads_back():
    result = run(
        "strategy",
        "parse",
        "buy when RSI(14) is below 30 and sell above 70 with a 5% stop",
        "--format",
        "json",
    )

    document = json.loads(result.stdout)
    assert result.exit_code == 0
    assert document["risk"]["stop_loss"] == 0.05
    assert {"assumptions", "unparsed", "warnings", "errors"} <= set(document)
    assert load_spec(result.stdout).entry.kind == "compare"


def test_strategy_parse_chinese_text_output():
    result = run("strategy", "parse", "5日均线上穿20日均线买入，跌破20日均线卖出，止损百分之五")

    assert result.exit_code == 0
    assert "止损5%" in result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("buy when RSI is above 80 and RSI is below 20", "can never hold"),
        ("hello world", "No usable trading rule"),
    ],
    ids=["contradiction", "nothing-usable"],
)
def test_strategy_parse_invalid_text_exits_nonzero_with_errors(text, message):
    result = run("strategy", "parse", text, "--format", "json")

    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert any(message in error for error in document["errors"])


def test_strategy_signals_writes_zero_one_rows(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(
        run(
            "strategy",
            "parse",
            "buy when close crosses above the 5-day moving average",
            "--format",
            "json",
        ).stdout
    )
    data = tmp_path / "bars.csv"
    make_bars(60).to_csv(data)
    out = tmp_path / "signals.csv"

    result = run("strategy", "signals", str(spec), "--data", str(data), "--out", str(out))

    lines = out.read_text().splitlines()
    assert result.exit_code == 0
    assert lines[0] == "timestamp,entry,exit"
    assert len(lines) == 61
    assert {line.split(",")[1] for line in lines[1:]} <= {"0", "1"}
    assert {line.split(",")[2] for line in lines[1:]} == {"0"}  # no rule exit: all false


def test_strategy_explain_with_symbol_counts_signals(tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(
        run("strategy", "parse", "buy when RSI(14) crosses below 30", "--format", "json").stdout
    )

    result = run("strategy", "explain", str(spec), "--symbol", "SPX")

    assert result.exit_code == 0
    assert "became true 51 times (2.6 a year)" in result.stdout


def test_strategy_schema_is_json_schema():
    schema = json.loads(run("strategy", "schema").stdout)

    assert schema["title"] == "StrategySpec"
    assert "risk" in schema["properties"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_strategy_templates_lists_each_concept(lang):
    result = run("strategy", "templates", "--lang", lang)

    for name in ("momentum", "mean_reversion", "breakout", "volatility", "pairs"):
        assert name in result.stdout
