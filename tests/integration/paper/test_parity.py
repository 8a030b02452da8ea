"""The promise: paper trading in replay gives the backtest's trades and final equity.

Same strategy, symbol, period and settings through ``BacktestService.run`` and through
the paper runner (``PaperTradingService.run`` at max speed, bar by bar, incremental
signals, the paper broker's fills): identical trades (times, prices, quantities, pnl,
exit reasons) and final equity. SPX is real bundled data; the Hong Kong and A-share
series are the demo provider's seeded synthetic bars (lots of 100, stamp duty, minimum
commissions, T+1 and price limits apply to them as to real ones).
"""

from __future__ import annotations

import pytest

from vibetrading.services.backtests import BacktestRequest
from vibetrading.services.paper import PaperRequest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RSI_STOP = "buy when RSI(14) is below 30 and sell above 70 with a 5% stop"
SMA_CROSS = "buy when SMA(10) crosses above SMA(30), sell when SMA(10) crosses below SMA(30)"
HOLD_FIVE = "buy when RSI(14) crosses below 30, hold 5 days then sell"
BRACKET = "buy when close crosses above the 5-day moving average, stop loss 3%, take profit 6%"
BREAKOUT = "buy when close crosses above the 20-day high, take profit 10%, trailing stop 5%"
HOLD_THREE = "buy when close crosses above the 5-day moving average, sell after 3 days"
CASES = [
    (RSI_STOP, "SPX", "2010-01-01", "2011-12-31"),
    (SMA_CROSS, "SPX", "2008-01-01", "2009-12-31"),
    (HOLD_FIVE, "SPX", "2010-01-01", "2011-12-31"),
    (BRACKET, "000001.SZ", "2020-01-01", "2021-06-30"),
    (BREAKOUT, "000001.SZ", "2020-01-01", "2021-12-31"),
    (HOLD_THREE, "0700.HK", "2020-01-01", "2020-12-31"),
    (RSI_STOP, "0700.HK", "2020-01-01", "2021-12-31"),
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
