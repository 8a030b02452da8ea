"""Cross-check the execution kernel against vectorbt (close fills) and backtesting.py.

Market orders filled at the signal bar's close, all cash in, whole units: vectorbt with
``size=np.inf`` and ``size_granularity=1`` trades exactly like ``run_signals(fill="close")``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.backtest import BacktestResult, run_signals
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol

vbt = pytest.importorskip("vectorbt")

pytestmark = pytest.mark.slow

REL = 1e-9
CASH = 100_000.0


def _crossover(code: str) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    bars = SampleProvider().fetch_bars(Symbol.parse(code), timeframe=Timeframe.D1).bars
    fast, slow = bars.close.rolling(10).mean(), bars.close.rolling(50).mean()
    entries = (fast > slow) & (fast.shift() <= slow.shift())
    exits = (fast < slow) & (fast.shift() >= slow.shift())
    return bars, entries, exits


def _vectorbt(bars: pd.DataFrame, entries: pd.Series, exits: pd.Series, **options: Any) -> Any:
    return vbt.Portfolio.from_signals(
        bars.close,
        entries,
        exits,
        init_cash=CASH,
        size=np.inf,
        size_granularity=1,
        freq="1D",
        **options,
    )


def _assert_same_trades(ours: BacktestResult, theirs: Any) -> None:
    records = theirs.trades.records  # raw records: the readable frame warns on pandas 3
    index = ours.equity.index
    assert len(ours.trades) == len(records)
    np.testing.assert_array_equal(ours.trades.quantity, records["size"])
    np.testing.assert_array_equal(ours.trades.entry_time, index[records["entry_idx"]])
    np.testing.assert_array_equal(ours.trades.exit_time, index[records["exit_idx"]])
    for column, theirs_column in (
        ("entry_price", "entry_price"),
        ("exit_price", "exit_price"),
        ("pnl", "pnl"),
        ("return", "return"),
    ):
        np.testing.assert_allclose(ours.trades[column], records[theirs_column], rtol=REL)


@pytest.mark.parametrize("code", ["SPX", "GOOG"])
@pytest.mark.parametrize("fee_rate", [0.0, 0.001], ids=["no-fees", "fees"])
def test_vectorbt_parity_sma_crossover_close_fills(code: str, fee_rate: float) -> None:
    bars, entries, exits = _crossover(code)

    ours = run_signals(bars, entries, exits, fill="close", cash=CASH, fee_rate=fee_rate)
    theirs = _vectorbt(bars, entries, exits, fees=fee_rate)

    np.testing.assert_allclose(ours.equity, theirs.value(), rtol=REL)
    _assert_same_trades(ours, theirs)


@pytest.mark.parametrize(
    ("ours_stops", "theirs_stops"),
    [
        ({"stop_loss": 0.03}, {"sl_stop": 0.03}),
        ({"take_profit": 0.05}, {"tp_stop": 0.05}),
        ({"trailing_stop": 0.04}, {"sl_stop": 0.04, "sl_trail": True}),
        ({"stop_loss": 0.03, "take_profit": 0.05}, {"sl_stop": 0.03, "tp_stop": 0.05}),
    ],
    ids=["stop-loss", "take-profit", "trailing-stop", "stop-and-target"],
)
def test_vectorbt_parity_stops_with_close_fills(
    ours_stops: dict[str, Any], theirs_stops: dict[str, Any]
) -> None:
    bars, entries, exits = _crossover("GOOG")

    ours = run_signals(bars, entries, exits, fill="close", cash=CASH, fee_rate=0.001, **ours_stops)
    theirs = _vectorbt(
        bars, entries, exits, fees=0.001, open=bars.open, high=bars.high, low=bars.low,
        **theirs_stops,
    )  # fmt: skip

    assert set(ours.trades.exit_reason) - {"signal", "end"}  # the stops did fire
    np.testing.assert_allclose(ours.equity, theirs.value(), rtol=REL)
    _assert_same_trades(ours, theirs)


def test_backtesting_py_parity_next_open_fills() -> None:
    backtesting = pytest.importorskip("backtesting")
    bars, entries, exits = _crossover("GOOG")
    enter, leave = entries.to_numpy(), exits.to_numpy()

    class Crossover(backtesting.Strategy):  # type: ignore[misc, name-defined]
        def init(self) -> None:
            pass

        def next(self) -> None:
            i = len(self.data) - 1
            if self.position and leave[i]:
                self.position.close()
            elif not self.position and enter[i]:
                self.buy(size=0.9999)  # backtesting.py's all-in: 99.99% of the cash

    data = bars.rename(columns=str.capitalize).tz_localize(None)
    with warnings.catch_warnings():  # backtesting.py warns on pandas 3 and prints progress
        warnings.simplefilter("ignore")
        stats = backtesting.Backtest(data, Crossover, cash=CASH, finalize_trades=True).run()
    ours = run_signals(bars, entries, exits, cash=CASH, size=0.9999)

    theirs = stats["_trades"]
    assert len(theirs) == len(ours.trades)
    # backtesting.py closes the last open trade at the last open, we value it at the close.
    closed = slice(0, len(theirs) - 1)
    np.testing.assert_array_equal(ours.trades.quantity[closed], theirs["Size"][closed])
    np.testing.assert_allclose(ours.trades.pnl[closed], theirs["PnL"][closed], rtol=REL)
    np.testing.assert_allclose(
        ours.equity.iloc[:-1], stats["_equity_curve"]["Equity"].iloc[:-1], rtol=REL
    )
