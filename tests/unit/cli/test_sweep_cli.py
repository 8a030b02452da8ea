import json

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from vibetrading.cli.sweep import heatmap_rows, parse_values, sweep
from vibetrading.domain.strategy import StrategySpec
from vibetrading.domain.strategy.expr import compare, crosses_above, crosses_below, indicator
from vibetrading.errors import ConfigError, SpecError
from vibetrading.testing import make_bars

app = typer.Typer()
app.command("sweep")(sweep)
app.command("noop")(lambda: None)  # two commands keep "sweep" a named subcommand
runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["sweep", *args], catch_exceptions=False)


@pytest.fixture
def bars_csv(tmp_path):
    path = tmp_path / "bars.csv"
    make_bars(900, start="2012-01-02", seed=5).to_csv(path)
    return str(path)


@pytest.fixture
def ma_spec_file(tmp_path):
    quick, slow = indicator("sma", period=10), indicator("sma", period=50)
    spec = StrategySpec(entry=crosses_above(quick, slow), exit=crosses_below(quick, slow))
    path = tmp_path / "spec.json"
    path.write_text(spec.to_json())
    return str(path)


def test_sweep_crossover_json_has_best_top_grid_and_overfitting(bars_csv):
    result = run(
        "--crossover", "sma", "--fast", "5:20:5", "--slow", "30:90:30", "--data", bars_csv,
        "--format", "json", "--top", "3",
    )  # fmt: skip

    document = json.loads(result.stdout)
    assert document["backtests"] == 12
    assert document["parameters"] == ["fast", "slow"]
    assert len(document["top"]) == 3
    assert document["top"][0] == document["best"]
    assert document["grid"]["rows"]["values"] == [5, 10, 15, 20]
    assert document["grid"]["columns"]["values"] == [30, 60, 90]
    assert {"deflated_sharpe", "pbo", "verdict", "trials"} <= set(document["overfitting"])
    assert document["overfitting"]["trials"] == 12


def test_sweep_crossover_table_shows_results_odds_and_heatmap(bars_csv):
    result = run("--crossover", "ema", "--fast", "5,10", "--slow", "30,60", "--data", bars_csv)

    assert result.exit_code == 0
    assert "top 10 of 4 backtests by sharpe" in result.stdout
    assert "deflated Sharpe" in result.stdout
    assert "PBO" in result.stdout
    assert "◆◆" in result.stdout
    assert any(shade in result.stdout for shade in "░▒▓█")


def test_sweep_walk_forward_prints_windows_and_in_vs_out_of_sample(bars_csv):
    result = run(
        "--crossover", "sma", "--fast", "5,10", "--slow", "30,60", "--data", bars_csv,
        "--walk-forward", "400:150",
    )  # fmt: skip

    assert "walk-forward (3 windows)" in result.stdout
    assert "in sample vs out of sample" in result.stdout


def test_sweep_walk_forward_json_has_windows_and_summary(bars_csv):
    result = run(
        "--crossover", "sma", "--fast", "5,10", "--slow", "30,60", "--data", bars_csv,
        "--walk-forward", "400:150", "--metric", "total_return", "--format", "json",
    )  # fmt: skip

    walk = json.loads(result.stdout)["walk_forward"]
    assert len(walk["windows"]) == 3
    assert [row["metric"] for row in walk["summary"]][:3] == ["total_return", "cagr", "sharpe"]


def test_sweep_spec_fast_slow_move_its_two_moving_averages(bars_csv, ma_spec_file):
    result = run(
        "--spec", ma_spec_file, "--fast", "5,10", "--slow", "10,50", "--data", bars_csv,
        "--format", "json",
    )  # fmt: skip

    document = json.loads(result.stdout)
    assert document["parameters"] == ["fast", "slow"]
    assert document["backtests"] == 3  # (10, 10) is dropped: fast must stay below slow
    assert {(row["fast"], row["slow"]) for row in document["top"]} == {(5, 10), (5, 50), (10, 50)}


def test_sweep_spec_param_grid_sweeps_any_path(bars_csv, tmp_path):
    rsi = indicator("rsi", period=14)
    spec = StrategySpec(entry=compare(rsi, "<", 30), exit=compare(rsi, ">", 70))
    path = tmp_path / "rsi.json"
    path.write_text(spec.to_json())

    result = run(
        "--spec", str(path), "--param", "entry.right.value=20:40:10", "--param",
        "entry.left.params.period=7,14", "--data", bars_csv, "--format", "json",
    )  # fmt: skip

    document = json.loads(result.stdout)
    assert document["backtests"] == 6
    assert document["parameters"] == ["entry.right.value", "entry.left.params.period"]


def test_sweep_strategy_text_sweeps_the_parsed_spec(bars_csv):
    result = run(
        "--strategy", "buy when RSI(14) is below 30 and sell above 70",
        "--param", "entry.right.value=20:40:10", "--data", bars_csv, "--format", "json",
    )  # fmt: skip

    document = json.loads(result.stdout)
    assert document["backtests"] == 3
    assert document["parameters"] == ["entry.right.value"]


def test_sweep_strategy_text_that_yields_nothing_names_the_words(bars_csv):
    with pytest.raises(SpecError, match="Not understood: 'blah blah'"):
        run("--strategy", "blah blah", "--param", "entry.right.value=20:40:10", "--data", bars_csv)


def test_sweep_spec_without_two_moving_averages_raises_spec_error(bars_csv, tmp_path):
    rsi = indicator("rsi", period=14)
    path = tmp_path / "rsi.json"
    path.write_text(StrategySpec(entry=compare(rsi, "<", 30)).to_json())

    with pytest.raises(SpecError, match="two moving averages"):
        run("--spec", str(path), "--fast", "5", "--slow", "50", "--data", bars_csv)


def test_sweep_symbol_uses_bundled_real_data():
    result = run(
        "--crossover", "sma", "--fast", "10,20", "--slow", "50,100", "--symbol", "SPX",
        "--start", "2009-01-01", "--end", "2018-12-31", "--format", "json",
    )  # fmt: skip

    document = json.loads(result.stdout)
    assert document["best"]["symbol"] == "SPX"
    assert document["overfitting"]["observations"] > 2000


@pytest.mark.parametrize(
    "args",
    [
        ["--fast", "5", "--slow", "50"],
        ["--crossover", "sma", "--spec", "x.json", "--fast", "5", "--slow", "50"],
        ["--crossover", "sma", "--strategy", "buy when RSI < 30", "--fast", "5", "--slow", "50"],
        ["--crossover", "sma", "--fast", "5:1:1", "--slow", "50"],
        ["--crossover", "sma", "--fast", "5.5", "--slow", "50"],
        ["--crossover", "sma", "--fast", "5", "--slow", "50", "--walk-forward", "10"],
        ["--crossover", "sma", "--fast", "5", "--slow", "50", "--param", "nothing"],
    ],
    ids=[
        "no-strategy",
        "two-strategies",
        "crossover-and-text",
        "backwards-range",
        "fraction",
        "walk",
        "param",
    ],
)
def test_sweep_bad_arguments_raise_config_error(args, bars_csv):
    with pytest.raises(ConfigError):
        run(*args, "--data", bars_csv)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5:50:5", [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]),
        ("0.1:0.3:0.1", [0.1, 0.2, 0.3]),
        ("5,10,20", [5, 10, 20]),
        ("7", [7]),
    ],
    ids=["range", "decimal-range", "list", "one"],
)
def test_parse_values_ranges_and_lists_give_exact_values(text, expected):
    assert parse_values(text, "--x") == expected


def test_heatmap_rows_mark_best_and_leave_missing_cells_blank():
    grid = pd.DataFrame([[1.0, 2.0], [float("nan"), 3.0]], index=[5, 10], columns=[20, 30])
    grid.index.name, grid.columns.name = "fast", "slow"

    rows = heatmap_rows(grid, best=(10, 30))

    assert len(rows) == 3
    assert rows[2].plain.endswith("  ◆◆")
    assert rows[1].plain.endswith("░░▓▓")


def test_heatmap_labels_are_compact_and_never_run_together():
    grid = pd.DataFrame(
        [[1.0, 2.0, 3.0, 4.0, 5.0]] * 2, index=[20.0, 25.0], columns=[60.0, 65.0, 70.0, 75.0, 80.0]
    )
    wide = pd.DataFrame([[1.0] * 4], index=[5], columns=[100, 110, 120, 130])

    header = heatmap_rows(grid)[0].plain
    wide_header = heatmap_rows(wide)[0].plain

    assert header.split() == ["60", "70", "80"]
    assert heatmap_rows(grid)[1].plain.startswith("20 ")
    assert wide_header.split() == ["100", "120"]
