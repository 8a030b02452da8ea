import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from vibetrading.cli.main import app
from vibetrading.testing import make_bars

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_data_show_spx_2008_csv_exact_rows():
    result = run(
        "data", "show", "SPX", "--start", "2008-01-01", "--end", "2008-12-31", "--format", "csv"
    )

    lines = result.stdout.strip().splitlines()
    assert result.exit_code == 0
    assert lines[0] == "timestamp,open,high,low,close,volume"
    assert len(lines) == 254
    assert lines[1].split(",")[4] == "1447.160034"
    assert lines[-1].split(",")[4] == "903.25"
    assert lines[1] == "2008-01-02,1467.969971,1471.77002,1442.069946,1447.160034,3452650000"


def test_data_show_table_has_chart_title_and_rows():
    result = run("data", "show", "GOOG", "--start", "2010-01-01", "--end", "2010-03-31")

    assert result.exit_code == 0
    assert "GOOG · Alphabet · 1d · 61 bars · source sample" in result.stdout
    assert "█" in result.stdout
    assert "2010-01-04" in result.stdout


def test_data_show_json_carries_provenance():
    result = run(
        "data", "show", "BTC-USD", "--timeframe", "1M", "--start", "2024-10-01", "--format", "json"
    )

    document = json.loads(result.stdout)
    assert document["symbol"] == "BTC/USD"
    assert document["timeframe"] == "1M"
    assert document["synthetic"] is False
    assert [bar["timestamp"] for bar in document["bars"]] == [
        "2024-10-01",
        "2024-11-01",
        "2024-12-01",
    ]


def test_data_show_intraday_table_in_exchange_time():
    result = run("data", "show", "EURUSD", "--timeframe", "1h", "--start", "2018-02-07")

    assert result.exit_code == 0
    assert "times in UTC" in result.stdout


def test_data_list_json_names_every_sample():
    result = run("data", "list", "--format", "json")

    rows = {row["symbol"]: row for row in json.loads(result.stdout)}
    assert {"SPX", "IXIC", "VIX", "GOOG", "EURUSD", "BTC/USD"} <= set(rows)
    assert rows["SPX"]["bars"] == 5031
    assert rows["EURUSD"]["timeframe"] == "1h"


def test_data_list_table_renders():
    result = run("data", "list")

    assert "Market data available offline" in result.stdout
    assert "SPX" in result.stdout


def test_data_import_then_show_round_trip(tmp_path):
    csv = tmp_path / "mine.csv"
    bars = make_bars(30, start="2024-01-02")
    bars.rename_axis("Date").to_csv(csv)

    imported = run("data", "import", str(csv), "--symbol", "my_data")
    shown = run("data", "show", "my_data", "--format", "csv")

    assert imported.exit_code == 0
    assert "imported 30 1d bars of MY_DATA (no market rules" in imported.stdout
    assert "'Date' -> timestamp" in imported.stdout
    assert len(shown.stdout.strip().splitlines()) == 31


def test_data_import_market_symbol_names_its_sessions(tmp_path):
    csv = tmp_path / "aapl.csv"
    make_bars(30, start="2024-01-02").to_csv(csv)

    imported = run("data", "import", str(csv), "--symbol", "aapl")

    assert "imported 29 1d bars of AAPL (US market, XNYS sessions)" in imported.stdout
    assert "dropped 1 bar(s) outside the market's sessions" in imported.stdout


def test_data_fetch_demo_labelled_synthetic():
    result = run(
        "data",
        "fetch",
        "0700.HK",
        "--provider",
        "demo",
        "--start",
        "2024-01-01",
        "--end",
        "2024-03-31",
    )
    shown = run("data", "show", "0700.HK", "--start", "2024-01-01")

    assert result.exit_code == 0
    assert "SYNTHETIC" in result.stdout
    assert "SYNTHETIC DATA" in shown.stdout


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "vibetrading.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("data", "show", "APPL"), 3, "Did you mean: AAPL"),
        (("data", "show", "BTC"), 3, "ambiguous"),
        (("data", "show", "SPX", "--timeframe", "2d"), 2, "Unknown timeframe"),
        (("data", "show", "SPX", "--start", "2030-01-01"), 3, "sample holds 1999-01-04"),
        (("data", "import", "/nonexistent.csv", "--symbol", "X"), 3, "No such file"),
        (("data", "fetch", "AAPL", "--provider", "nope"), 2, "Unknown provider"),
    ],
    ids=["typo", "ambiguous", "timeframe", "range", "missing-file", "provider"],
)
def test_cli_errors_one_line_no_traceback(args, code, message):
    result = cli(*args)

    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr
