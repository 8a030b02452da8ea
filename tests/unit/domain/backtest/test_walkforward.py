import numpy as np
import pandas as pd
import pytest
import talib

from vibetrading.domain.backtest import run_signals
from vibetrading.domain.backtest.stats import compute_stats
from vibetrading.domain.backtest.sweep import METRICS, CrossoverGrid, SweepSettings
from vibetrading.domain.backtest.walkforward import SUMMARY_METRICS, walk_forward
from vibetrading.errors import ConfigError
from vibetrading.testing import make_bars

FAST, SLOW = [5, 10, 20], [30, 60]


@pytest.fixture(scope="module")
def bars():
    return make_bars(1000, seed=21)


@pytest.fixture(scope="module")
def rolling(bars):
    return walk_forward(bars, fast=FAST, slow=SLOW, train_bars=400, test_bars=150, fee_rate=0.001)


def crossover_signals(bars, fast, slow):
    close = bars["close"].to_numpy()
    quick = pd.Series(talib.SMA(close, fast), index=bars.index)
    slow_line = pd.Series(talib.SMA(close, slow), index=bars.index)
    entries = (quick.shift() <= slow_line.shift()) & (quick > slow_line)
    exits = (quick.shift() >= slow_line.shift()) & (quick < slow_line)
    return entries, exits


def test_walk_forward_rolling_windows_follow_each_other(bars, rolling):
    windows = rolling.windows

    assert len(windows) == 4
    assert list(windows["test_start"]) == list(bars.index[[400, 550, 700, 850]])
    assert list(windows["train_start"]) == list(bars.index[[0, 150, 300, 450]])
    assert (windows["train_end"] < windows["test_start"]).all()
    assert len(rolling.equity) == 600


def test_walk_forward_anchored_train_windows_start_at_the_first_bar(bars):
    result = walk_forward(bars, fast=FAST, slow=SLOW, train_bars=400, test_bars=150, anchored=True)

    assert (result.windows["train_start"] == bars.index[0]).all()


def test_walk_forward_chooses_the_in_sample_best_pair(bars, rolling):
    grid = CrossoverGrid(bars, windows=[5, 10, 20, 30, 60])
    pairs = [(f, s) for f in FAST for s in SLOW]
    sharpe = METRICS.index("sharpe")

    for position, (_, window) in enumerate(rolling.windows.iterrows()):
        start = 400 + 150 * position
        metrics, _, _ = grid.run(
            SweepSettings(fee_rate=0.001), pairs, start=start - 400, stop=start
        )
        best = pairs[int(np.nanargmax(metrics[:, sharpe]))]
        assert (window["fast"], window["slow"]) == best
        assert window["in_sample"] == pytest.approx(np.nanmax(metrics[:, sharpe]))


def test_walk_forward_out_of_sample_equals_the_engine_on_the_test_window(bars, rolling):
    for position, (_, window) in enumerate(rolling.windows.iterrows()):
        test = slice(400 + 150 * position, 550 + 150 * position)
        entries, exits = crossover_signals(bars, int(window["fast"]), int(window["slow"]))

        result = run_signals(
            bars[test], entries[test], exits[test], fee_rate=0.001, periods_per_year=252
        )

        stats = compute_stats(result)
        expected = np.nan if stats["sharpe"] is None else stats["sharpe"]
        assert window["out_of_sample"] == pytest.approx(expected, rel=1e-9, nan_ok=True)
        assert window["total_return"] == pytest.approx(stats["total_return"], rel=1e-9)


def test_walk_forward_stitched_equity_compounds_the_test_windows(rolling):
    growth = np.prod(1 + rolling.windows["total_return"].to_numpy())

    assert rolling.equity.iloc[-1] == pytest.approx(100_000 * growth, rel=1e-12)
    assert rolling.summary.loc["total_return", "stitched"] == pytest.approx(growth - 1)
    assert rolling.summary.loc["num_trades", "stitched"] == rolling.windows["num_trades"].sum()


def test_walk_forward_summary_sets_in_and_out_of_sample_side_by_side(rolling):
    summary = rolling.summary

    assert list(summary.index) == list(SUMMARY_METRICS)
    assert list(summary.columns) == ["in_sample", "out_of_sample", "stitched"]
    assert summary.loc["sharpe", "in_sample"] == pytest.approx(rolling.windows["in_sample"].mean())
    assert rolling.efficiency == pytest.approx(
        rolling.windows["out_of_sample"].mean() / rolling.windows["in_sample"].mean()
    )


def test_walk_forward_spaced_steps_keep_only_traded_bars(bars):
    result = walk_forward(bars, fast=FAST, slow=SLOW, train_bars=300, test_bars=100, step_bars=200)

    assert len(result.windows) == 4
    assert len(result.equity) == 400
    assert result.equity.index.is_monotonic_increasing


def test_walk_forward_no_trade_in_sample_stays_flat():
    short = make_bars(300, seed=3)

    result = walk_forward(short, fast=[5], slow=[250], train_bars=200, test_bars=50)

    assert result.windows["fast"].isna().all()
    assert (result.equity == 100_000).all()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"train_bars": 400, "test_bars": 150, "step_bars": 100}, "overlap"),
        ({"train_bars": 900, "test_bars": 150}, "too few"),
        ({"train_bars": 0, "test_bars": 150}, "train_bars"),
        ({"train_bars": 400, "test_bars": 150, "metric": "sharp"}, "Unknown metric"),
    ],
    ids=["overlap", "too-few-bars", "zero-train", "metric"],
)
def test_walk_forward_bad_windows_raise_config_error(bars, options, message):
    with pytest.raises(ConfigError, match=message):
        walk_forward(bars, fast=FAST, slow=SLOW, **options)
