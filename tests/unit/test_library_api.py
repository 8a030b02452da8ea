import vibetrading as vt
from vibetrading.backtest import Backtest, run_signals


def test_top_level_exports_pinned():
    assert vt.__all__ == [
        "Backtest",
        "BacktestResult",
        "StrategySpec",
        "Symbol",
        "VibeTradingError",
        "__version__",
        "load_bars",
        "load_spec",
        "parse_strategy",
        "run_signals",
        "sweep",
    ]
    for name in vt.__all__:
        assert getattr(vt, name) is not None


def test_top_level_unknown_attribute_raises():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        vt.nope  # noqa: B018


def test_backtest_text_strategy_runs_and_plots(tmp_path):
    bars = vt.load_bars("SPX", start="2005-01-01", end="2012-12-31")
    bt = Backtest(bars, "buy when RSI(14) is below 30, sell above 70, stop loss 5%", symbol="SPX")

    result = bt.run()
    html = bt.plot(tmp_path / "r.html")

    assert result.settings["stop_loss"] == 0.05
    assert result.stats["num_trades"] > 3
    assert (tmp_path / "r.html").read_text() == html


def test_backtest_signal_pair_equals_run_signals():
    bars = vt.load_bars("GOOG")
    fast, slow = bars.close.rolling(10).mean(), bars.close.rolling(50).mean()
    entries = (fast > slow) & (fast.shift() <= slow.shift())
    exits = (fast < slow) & (fast.shift() >= slow.shift())

    result = Backtest(bars, (entries, exits), symbol="GOOG").run()

    assert result.trades.equals(run_signals(bars, entries, exits, symbol="GOOG").trades)


def test_backtest_optimize_sweeps_spec_parameter():
    bars = vt.load_bars("SPX", start="2009-01-01", end="2018-12-31")
    bt = Backtest(bars, "buy when RSI(14) is below 30, sell when RSI(14) is above 70")

    sweep = bt.optimize(**{"entry.right.value": [25.0, 30.0, 35.0]})

    assert len(sweep.table) == 3
