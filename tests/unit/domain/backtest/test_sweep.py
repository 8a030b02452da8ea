import numpy as np
import pandas as pd
import pytest
import talib

from vibetrading.domain.backtest import run_signals
from vibetrading.domain.backtest._sweep_inputs import symbol_params
from vibetrading.domain.backtest.stats import compute_stats
from vibetrading.domain.backtest.sweep import (
    METRICS,
    CrossoverGrid,
    SweepSettings,
    crossover_pairs,
    sweep_crossover,
)
from vibetrading.domain.backtest.sweep_kernels import EMA, SMA, moving_average_nb, sweep_signals_nb
from vibetrading.domain.backtest.sweep_spec import sweep_spec
from vibetrading.domain.strategy import Risk, StrategySpec
from vibetrading.domain.strategy.compile import compile_signals
from vibetrading.domain.strategy.expr import compare, crosses_above, crosses_below, indicator
from vibetrading.errors import ConfigError, DataError, SpecError
from vibetrading.testing import make_bars

TOLERANCE = {"rel": 1e-9, "abs": 1e-12}


def crossover_signals(bars, fast, slow, kind="sma"):
    average = talib.SMA if kind == "sma" else talib.EMA
    close = bars["close"].to_numpy()
    quick = pd.Series(average(close, fast), index=bars.index)
    slow_line = pd.Series(average(close, slow), index=bars.index)
    entries = (quick.shift() <= slow_line.shift()) & (quick > slow_line)
    exits = (quick.shift() >= slow_line.shift()) & (quick < slow_line)
    return entries, exits


def engine_stats(bars, entries, exits, **options):
    result = run_signals(bars, entries, exits, periods_per_year=252, **options)
    return result, compute_stats(result)


def assert_same_metrics(row, stats):
    for name in METRICS:
        expected = np.nan if stats[name] is None else stats[name]
        assert row[name] == pytest.approx(expected, nan_ok=True, **TOLERANCE), name


@pytest.fixture(scope="module")
def bars():
    return make_bars(1200, seed=11)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"fee_rate": 0.001, "stop_loss": 0.05, "take_profit": 0.1},
        {"fill": "close"},
        {"fill": "close", "stop_loss": 0.02, "trailing_stop": 0.03, "fee_rate": 0.002},
        {"trailing_stop": 0.04, "slippage_bps": 5.0},
        {"direction": "short", "stop_loss": 0.03, "take_profit": 0.5},
        {"symbol": "0700.HK"},
        {"symbol": "AAPL"},
    ],
    ids=["plain", "fees-stops", "close", "close-stops", "trailing-slippage", "short", "hk", "us"],
)
@pytest.mark.parametrize("kind", ["sma", "ema"])
def test_sweep_crossover_columns_match_run_signals_and_compute_stats(bars, options, kind):
    result = sweep_crossover(bars, fast=[5, 12], slow=[30, 60], indicator=kind, **options)

    assert len(result) == 4
    for _, row in result.table.iterrows():
        entries, exits = crossover_signals(bars, row["fast"], row["slow"], kind)
        _, stats = engine_stats(bars, entries, exits, **options)
        assert_same_metrics(row, stats)


@pytest.mark.parametrize("kind", [SMA, EMA], ids=["sma", "ema"])
@pytest.mark.parametrize("window", [1, 2, 7, 50])
def test_moving_average_nb_any_window_equals_talib_bit_for_bit(kind, window):
    close = make_bars(400, seed=2)["close"].to_numpy()
    expected = (talib.SMA if kind == SMA else talib.EMA)(close, max(window, 2))

    actual = moving_average_nb(close, window, kind)

    if window == 1:
        assert np.array_equal(actual, close)
    else:
        assert np.array_equal(actual, expected, equal_nan=True)


def test_moving_average_nb_series_shorter_than_window_is_all_nan():
    close = np.array([1.0, 2.0, 3.0])

    out = moving_average_nb(close, 5, SMA)

    assert np.isnan(out).all()


def test_sweep_crossover_keep_returns_equals_engine_returns(bars):
    result = sweep_crossover(bars, fast=[10], slow=[50], fee_rate=0.001, keep_returns=True)

    entries, exits = crossover_signals(bars, 10, 50)
    engine, _ = engine_stats(bars, entries, exits, fee_rate=0.001)
    returns = result.returns["ASSET"][0]
    np.testing.assert_allclose(returns.to_numpy(), engine.returns.to_numpy(), rtol=1e-12)
    assert returns.index.equals(bars.index)


def test_sweep_crossover_several_symbols_of_different_lengths_each_match(bars):
    short = make_bars(700, seed=4)
    universe = {"LONG": bars, "SHORT": short}
    calls = []

    result = sweep_crossover(
        universe, fast=[8], slow=[40], stop_loss=0.04, progress=lambda *a: calls.append(a)
    )

    assert calls == [(1, 2), (2, 2)]
    assert result.symbols == ["LONG", "SHORT"]
    for code, frame in universe.items():
        row = result.table[result.table["symbol"] == code].iloc[0]
        entries, exits = crossover_signals(frame, 8, 40)
        _, stats = engine_stats(frame, entries, exits, stop_loss=0.04)
        assert_same_metrics(row, stats)


def test_crossover_grid_window_equals_engine_on_the_slice(bars):
    grid = CrossoverGrid(bars, windows=[10, 40])

    metrics, _, _ = grid.run(SweepSettings(fee_rate=0.001), [(10, 40)], start=300, stop=900)

    entries, exits = crossover_signals(bars, 10, 40)
    window = slice(300, 900)
    _, stats = engine_stats(bars[window], entries[window], exits[window], fee_rate=0.001)
    row = pd.Series(metrics[0], index=METRICS)
    assert_same_metrics(row, stats)


def test_crossover_pairs_keep_fast_below_slow_only():
    pairs = crossover_pairs(range(5, 51, 5), range(20, 201, 10))

    assert len(pairs) == 174
    assert all(f < s for f, s in pairs)


def test_crossover_pairs_without_fast_below_slow_raise_config_error():
    with pytest.raises(ConfigError, match="fast < slow"):
        crossover_pairs([50], [20])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fast": [0], "slow": [10]}, "whole numbers"),
        ({"fast": [5], "slow": [10], "indicator": "wma"}, "indicator"),
        ({"fast": [5], "slow": [10], "stop_loss": 5.0}, "stop_loss"),
        ({"fast": [5], "slow": [10], "fill": "open"}, "fill"),
        ({"fast": [5], "slow": [10], "direction": "both"}, "direction"),
    ],
    ids=["window", "indicator", "stop", "fill", "direction"],
)
def test_sweep_crossover_bad_options_raise_config_error(bars, options, message):
    with pytest.raises(ConfigError, match=message):
        sweep_crossover(bars, **options)


def test_sweep_crossover_non_positive_prices_raise_data_error(bars):
    broken = bars.copy()
    broken.iloc[3, 0] = -1.0

    with pytest.raises(DataError, match="non-positive"):
        sweep_crossover(broken, fast=[5], slow=[10])


def test_sweep_result_best_top_and_grid_rank_by_metric(bars):
    result = sweep_crossover(bars, fast=[5, 10, 20], slow=[20, 50, 100])

    best = result.best("total_return")
    top = result.top(3, "total_return")
    grid = result.grid("total_return")

    assert best["total_return"] == result.table["total_return"].max()
    assert list(top["total_return"]) == sorted(top["total_return"], reverse=True)
    assert grid.shape == (3, 3)
    assert np.isnan(grid.loc[20, 20])
    assert grid.loc[5, 50] == pytest.approx(
        result.table.query("fast == 5 and slow == 50")["total_return"].iloc[0]
    )


def test_sweep_result_volatility_ranks_lowest_first(bars):
    result = sweep_crossover(bars, fast=[5, 10], slow=[20, 50])

    ranked = result.ranked("volatility")

    assert ranked["volatility"].iloc[0] == result.table["volatility"].min()


def test_sweep_result_unknown_metric_suggests_close_names(bars):
    result = sweep_crossover(bars, fast=[5], slow=[20])

    with pytest.raises(ConfigError, match="Did you mean: sharpe"):
        result.best("sharp")


def test_sweep_result_best_without_any_trade_raises_data_error():
    flat = make_bars(60, seed=1)

    result = sweep_crossover(flat, fast=[5], slow=[100])

    assert result.table["num_trades"].iloc[0] == 0
    with pytest.raises(DataError, match="none of them traded"):
        result.best("sharpe")


def test_sweep_crossover_a_share_symbol_notes_t_plus_one(bars):
    result = sweep_crossover(bars, fast=[5], slow=[20], symbol="600519.SH")

    assert any("T+1" in note for note in result.notes)
    assert any("price limits" in note for note in result.notes)


def ma_spec(fast=10, slow=50, **risk):
    quick, slow_line = indicator("sma", period=fast), indicator("sma", period=slow)
    return StrategySpec(
        entry=crosses_above(quick, slow_line),
        exit=crosses_below(quick, slow_line),
        risk=Risk(**risk),
    )


def test_sweep_spec_columns_match_compiled_signals_through_the_engine(bars):
    spec = ma_spec(stop_loss=0.05)
    grid = {"entry.left.params.period": [5, 10], "entry.right.params.period": [30, 60]}

    result = sweep_spec(spec, bars, grid, fee_rate=0.001)

    assert len(result) == 4
    for _, row in result.table.iterrows():
        variant = ma_spec(
            row["entry.left.params.period"], row["entry.right.params.period"], stop_loss=0.05
        )
        signals = compile_signals(variant, bars)
        _, stats = engine_stats(
            bars, signals.entries, signals.exits, fee_rate=0.001, stop_loss=0.05
        )
        assert_same_metrics(row, stats)


def test_sweep_spec_ties_equal_indicators_in_entry_and_exit(bars):
    spec = ma_spec()

    tied = sweep_spec(spec, bars, {"entry.left.params.period": [7]})
    untied = sweep_spec(spec, bars, {"entry.left.params.period": [7]}, tie_equal_nodes=False)

    signals = compile_signals(ma_spec(7, 50), bars)
    _, stats = engine_stats(bars, signals.entries, signals.exits)
    assert_same_metrics(tied.table.iloc[0], stats)
    assert untied.table["total_return"].iloc[0] != tied.table["total_return"].iloc[0]


def test_sweep_spec_risk_path_varies_stops_per_column(bars):
    spec = ma_spec()

    result = sweep_spec(spec, bars, {"risk.stop_loss": [0.02, 0.2]})

    for _, row in result.table.iterrows():
        signals = compile_signals(spec, bars)
        _, stats = engine_stats(
            bars, signals.entries, signals.exits, stop_loss=row["risk.stop_loss"]
        )
        assert_same_metrics(row, stats)


def test_sweep_spec_rsi_threshold_path_sets_constants(bars):
    rsi = indicator("rsi", period=14)
    spec = StrategySpec(entry=compare(rsi, "<", 30), exit=compare(rsi, ">", 70))

    result = sweep_spec(spec, bars, {"entry.right.value": [25.0, 35.0]}, keep_returns=True)

    assert list(result.table["entry.right.value"]) == [25.0, 35.0]
    assert result.returns["ASSET"].shape == (len(bars), 2)


@pytest.mark.parametrize(
    ("grid", "error", "message"),
    [
        ({"entry.lft.params.period": [5]}, SpecError, "no 'entry.lft"),
        ({"sizing.value": [0.5]}, ConfigError, "Cannot sweep"),
        ({"entry.left.params.period": []}, ConfigError, "non-empty"),
        ({"entry.left.params.period": [0]}, SpecError, "SMA"),
    ],
    ids=["missing-path", "not-sweepable", "empty", "refused-value"],
)
def test_sweep_spec_bad_grid_raises(bars, grid, error, message):
    with pytest.raises(error, match=message):
        sweep_spec(ma_spec(), bars, grid)


def test_sweep_spec_both_directions_raise_config_error(bars):
    rsi = indicator("rsi", period=14)
    spec = StrategySpec(
        direction="both",
        entry=compare(rsi, "<", 30),
        exit=compare(rsi, ">", 70),
        short_entry=compare(rsi, ">", 70),
        short_exit=compare(rsi, "<", 30),
    )

    with pytest.raises(ConfigError, match="one side"):
        sweep_spec(spec, bars, {"entry.right.value": [30.0]})


def test_sweep_signals_nb_short_squeeze_keeps_negative_cash_like_the_engine():
    index = pd.date_range("2024-01-01", periods=80, freq="D", tz="UTC").as_unit("ns")
    close = np.r_[np.linspace(100.0, 90.0, 40), np.linspace(95.0, 400.0, 40)]
    bars = pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1e6},
        index=index,
    )
    entries, exits = np.arange(80) == 5, np.arange(80) == 75
    settings = SweepSettings(direction="short")

    metrics = sweep_signals_nb(
        *(bars[c].to_numpy() for c in ("open", "high", "low", "close")), 0, 80,
        entries[None, :], exits[None, :], symbol_params([None])[0], settings.config()[None, :],
        1.0, -1, 252.0, np.zeros((1, 0)),
    )  # fmt: skip

    engine, stats = engine_stats(
        bars, pd.Series(entries, index=index), pd.Series(exits, index=index), direction="short"
    )
    assert engine.cash.min() < 0
    assert_same_metrics(pd.Series(metrics[0], index=METRICS), stats)
