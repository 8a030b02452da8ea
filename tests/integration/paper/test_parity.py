"""The promise: paper trading in replay gives the backtest's trades and final equity.

Same strategy, symbol, period and settings through ``BacktestService.run`` and through
the paper runner (``PaperTradingService.run`` at max speed, bar by bar, incremental
signals, the paper broker's fills): identical trades (times, prices, quantities, pnl,
exit reasons) and final equity.

Real data: the bundled samples (SPX and NASDAQ indices, GOOG, EURUSD hourly, BTC/USD
monthly) and recorded provider payloads (``tests/fixtures/payloads``: AAPL around its
split from yfinance, 0700.HK hourly from yfinance, 600519.SH from akshare, with lots of
100, stamp duty, minimum commissions and T+1). The longer Hong Kong and A-share series
are the demo provider's seeded synthetic bars. One case runs a real code strategy
(``examples/code_strategies/sma_cross.py``) in the sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vibetrading.bootstrap_paper import build_simulated_broker
from vibetrading.services.backtests import BacktestRequest, BacktestService
from vibetrading.services.paper import PaperRequest, PaperTradingService
from vibetrading.testing.paper_fakes import InMemoryPaperRunnerRepository

EXAMPLES = Path(__file__).parents[3] / "examples" / "code_strategies"

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RSI_STOP = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
SMA_CROSS = "buy when SMA(10) crosses above SMA(30), sell when SMA(10) crosses below SMA(30)"
HOLD_FIVE = "buy when RSI(14) crosses below 30, hold 5 days then sell"
BRACKET = "buy when close crosses above the 5-day moving average, stop loss 3%, take profit 6%"
BREAKOUT = "buy when close crosses above the 20-day high, take profit 10%, trailing stop 5%"
HOLD_THREE = "buy when close crosses above the 5-day moving average, sell after 3 days"
SMA_FAST = "buy when SMA(3) crosses above SMA(6), sell when SMA(3) crosses below SMA(6)"
SHORT_HOLD = "buy when close crosses above the 2-day moving average, sell after 2 days"
CASES = [
    (RSI_STOP, "SPX", "2010-01-01", "2011-12-31"),
    (SMA_CROSS, "SPX", "2008-01-01", "2009-12-31"),
    (HOLD_FIVE, "SPX", "2010-01-01", "2011-12-31"),
    (BRACKET, "000001.SZ", "2020-01-01", "2021-06-30"),
    (BREAKOUT, "000001.SZ", "2020-01-01", "2021-12-31"),
    (HOLD_THREE, "0700.HK", "2020-01-01", "2020-12-31"),
    (RSI_STOP, "0700.HK", "2020-01-01", "2021-12-31"),
    (SMA_CROSS, "GOOG", "2008-01-01", "2009-12-31"),
    (RSI_STOP, "GOOG", "2010-01-01", "2012-12-31"),
    (BREAKOUT, "IXIC", "2003-01-01", "2004-12-31"),
    ("hourly: " + SMA_CROSS, "EURUSD", "2017-06-01", "2017-06-30"),
    ("on the monthly chart " + SMA_FAST, "BTC/USD", "2013-01-01", "2020-12-31"),
]
PAYLOAD_CASES = [
    (SHORT_HOLD, "AAPL", "1d"),
    (SHORT_HOLD, "600519.SH", "1d"),
    ("buy when close is above SMA(2), sell after 1 day", "600519.SH", "1d"),
    ("hourly: buy when close crosses above SMA(2), sell after 1 bar", "0700.HK", "1h"),
]


@pytest.mark.parametrize(
    ("text", "symbol", "start", "end"),
    CASES,
    ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_paper_replay_matches_backtest_trades_and_equity(
    paper, backtests, text, symbol, start, end
):
    backtest = backtests.run(
        BacktestRequest(strategy=text, symbols=(symbol,), start=start, end=end)
    )
    record = paper.start(PaperRequest(symbol=symbol, strategy=text, start=start, end=end))

    summary = paper.run(record.runner_id)

    expected = backtest.result.to_dict()["trades"]
    assert len(expected) > 0
    assert summary.trades == expected
    assert summary.final_equity == backtest.result.final_equity
    assert summary.bars == len(backtest.result.equity)


def test_paper_replay_json_trades_have_backtest_fields(paper, backtests):
    text = RSI_STOP
    backtest = backtests.run(
        BacktestRequest(strategy=text, symbols=("SPX",), start="2010-01-01", end="2010-12-31")
    )
    record = paper.start(
        PaperRequest(symbol="SPX", strategy=text, start="2010-01-01", end="2010-12-31")
    )

    document = paper.run(record.runner_id).to_dict()

    fields = set(backtest.result.to_dict()["trades"][0])
    assert all(set(trade) == fields for trade in document["trades"])
    assert document["summary"]["mode"] == "paper"


@pytest.mark.parametrize(
    ("text", "symbol", "timeframe"),
    PAYLOAD_CASES,
    ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(PAYLOAD_CASES)],
)
def test_paper_replay_matches_backtest_on_recorded_provider_data(recorded, text, symbol, timeframe):
    paper = PaperTradingService(recorded, InMemoryPaperRunnerRepository(), build_simulated_broker)
    backtest = BacktestService(recorded).run(
        BacktestRequest(strategy=text, symbols=(symbol,), cash=1_000_000.0)
    )
    record = paper.start(PaperRequest(symbol=symbol, strategy=text, cash=1_000_000.0))

    summary = paper.run(record.runner_id)

    expected = backtest.result.to_dict()["trades"]
    assert len(expected) > 0
    assert summary.trades == expected
    assert summary.final_equity == backtest.result.final_equity
    assert record.config["timeframe"] == timeframe


@pytest.fixture
def sandbox_closed_after():
    from vibetrading.adapters.sandbox.code_runner import close_shared_sandbox

    yield
    close_shared_sandbox()


@pytest.mark.usefixtures("sandbox_closed_after")
@pytest.mark.parametrize("symbol", ["SPX", "GOOG"])
def test_paper_replay_of_sandboxed_code_matches_backtest(market_data, symbol):
    from vibetrading.adapters.sandbox import SandboxCodeRunner

    code = (EXAMPLES / "sma_cross.py").read_text(encoding="utf-8")
    runner = SandboxCodeRunner()
    backtest = BacktestService(market_data, code_runner=runner).run(
        BacktestRequest(code=code, symbols=(symbol,), start="2004-09-01", end="2012-12-31")
    )
    paper = PaperTradingService(
        market_data, InMemoryPaperRunnerRepository(), build_simulated_broker, code_runner=runner
    )
    record = paper.start(
        PaperRequest(symbol=symbol, code=code, start="2004-09-01", end="2012-12-31")
    )

    summary = paper.run(record.runner_id)

    expected = backtest.result.to_dict()["trades"]
    assert len(expected) > 0
    assert summary.trades == expected
    assert summary.final_equity == backtest.result.final_equity
