import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.backtest import run_signals
from vibetrading.domain.strategy import Risk, StrategySpec
from vibetrading.domain.strategy.expr import compare, crosses_above, crosses_below, indicator
from vibetrading.errors import ConfigError, EmptyData, SpecError
from vibetrading.services.backtests import BacktestRequest, BacktestService
from vibetrading.services.market_data import MarketDataService
from vibetrading.testing import InMemoryBarStore, make_bars


@pytest.fixture
def service():
    market_data = MarketDataService(store=InMemoryBarStore(), providers={"sample": SampleProvider})
    return BacktestService(market_data)


def sma_cross_signals(bars):
    fast, slow = bars["close"].rolling(10).mean(), bars["close"].rolling(50).mean()
    entry = (fast > slow) & (fast.shift() <= slow.shift())
    exit_ = (fast < slow) & (fast.shift() >= slow.shift())
    return pd.DataFrame({"entry": entry, "exit": exit_})


def rsi_spec(**risk):
    rsi = indicator("rsi", period=14)
    return StrategySpec(
        universe=["SPX"],
        entry=compare(rsi, "<", 30),
        exit=compare(rsi, ">", 70),
        risk=Risk(**risk),
    )


def test_backtest_signals_on_symbol_match_engine_directly(service):
    bars = service.market_data.load_bars("SPX", start="2009-01-01", end="2018-12-31")
    signals = sma_cross_signals(bars)

    outcome = service.run(
        BacktestRequest(signals=signals, symbols=("SPX",), start="2009-01-01", end="2018-12-31")
    )
    direct = run_signals(bars, signals["entry"], signals["exit"], symbol="SPX")

    pd.testing.assert_frame_equal(outcome.result.trades, direct.trades)
    assert outcome.stats["num_trades"] == len(direct.trades) > 10
    assert outcome.benchmark_label == "SPX buy & hold"


def test_backtest_spec_on_us_stock_benchmarked_against_spx(service):
    spec = rsi_spec(stop_loss=0.05)

    outcome = service.run(BacktestRequest(spec=spec, symbols=("GOOG",)))

    assert outcome.benchmark_label == "S&P 500 (SPX)"
    assert outcome.result.settings["stop_loss"] == 0.05
    assert set(outcome.result.trades["exit_reason"]) <= {"signal", "stop_loss", "end"}
    assert "RSI(14)" in " ".join(outcome.indicators)


def test_backtest_stop_flags_override_spec_risk(service):
    spec = rsi_spec(stop_loss=0.05, take_profit=0.2)

    outcome = service.run(BacktestRequest(spec=spec, stop_loss=0.02, symbols=("SPX",)))

    assert outcome.result.settings["stop_loss"] == 0.02
    assert outcome.result.settings["take_profit"] == 0.2


def test_backtest_spec_universe_used_when_no_symbol_given(service):
    spec = StrategySpec(
        universe=["GOOG"],
        entry=crosses_above(indicator("sma", period=10), indicator("sma", period=50)),
        exit=crosses_below(indicator("sma", period=10), indicator("sma", period=50)),
    )

    outcome = service.run(BacktestRequest(spec=spec))

    assert list(outcome.bars) == ["GOOG"]
    assert outcome.stats["num_trades"] > 5


def test_backtest_generic_bars_whole_units_no_costs(service):
    bars = make_bars(300)
    signals = sma_cross_signals(bars)

    outcome = service.run(BacktestRequest(signals=signals, bars=bars))

    trades = outcome.result.trades
    assert (trades["quantity"] == trades["quantity"].round()).all()
    assert trades["fees"].sum() == 0
    assert outcome.benchmark_label == "DATA buy & hold"


@pytest.mark.parametrize(
    "request_kwargs",
    [{}, {"strategy": "buy", "spec": rsi_spec(), "symbols": ("SPX",)}],
    ids=["none", "two"],
)
def test_backtest_strategy_sources_exactly_one(service, request_kwargs):
    with pytest.raises(ConfigError, match="exactly one strategy"):
        service.run(BacktestRequest(**request_kwargs))


def test_backtest_signals_without_common_dates_explained(service):
    signals = sma_cross_signals(make_bars(100, start="2030-01-01"))

    with pytest.raises(EmptyData, match="no timestamp in common"):
        service.run(BacktestRequest(signals=signals, symbols=("SPX",)))


def test_backtest_spec_that_can_never_hold_refused(service):
    spec = StrategySpec(entry=compare(indicator("rsi", period=14), ">", 120))

    with pytest.raises(SpecError, match="RSI"):
        service.run(BacktestRequest(spec=spec, symbols=("SPX",)))


def test_backtest_spec_without_exit_warns(service):
    spec = StrategySpec(entry=compare(indicator("rsi", period=14), "<", 30))

    outcome = service.run(BacktestRequest(spec=spec, symbols=("SPX",)))

    assert any("No exit" in warning for warning in outcome.warnings)


def test_backtest_that_never_enters_says_how_close_the_rule_came(service):
    spec = StrategySpec(
        universe=["SPX"],
        entry=compare(indicator("rsi", period=14), "<", 1),
        exit=compare(indicator("rsi", period=14), ">", 70),
    )

    outcome = service.run(BacktestRequest(spec=spec, symbols=("SPX",)))
    traded = service.run(BacktestRequest(spec=rsi_spec(), symbols=("SPX",)))

    assert outcome.stats["num_trades"] == 0
    [why] = [w for w in outcome.warnings if "never held on the data" in w]
    assert why.startswith("Entry never held on the data (5,031 bars, 1999-01-04 to 2018-12-31)")
    assert "'RSI(14) < 1' never held; its lowest value was" in why
    assert not any("never held" in w for w in traded.warnings)
