"""Golden statistics of buying and holding the bundled S&P 500 sample, 1999-2018.

The numbers are pinned to 1e-9 relative. Change them only in their own commit, with the
reason in the message: they move only when a formula in ``stats.py`` changes.
"""

from __future__ import annotations

import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.backtest.stats import STAT_KEYS, compute_metrics
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol

CASH = 100_000.0

GOLDEN: dict[str, float | int | str | None] = {
    "total_return": 1.0412426895121119,
    "cagr": 0.03639554326851768,
    "volatility": 0.19098207141371268,
    "sharpe": 0.28273922904460635,
    "sortino": 0.3986140298563961,
    "max_drawdown": -0.5677538775030553,
    "max_drawdown_duration": 1803,
    "max_drawdown_duration_days": 2623.0,
    "calmar": 0.06410443805083801,
    "win_rate": 1.0,
    "profit_factor": None,
    "expectancy": 104124.26895121118,
    "avg_win": 1.0412426895121119,
    "avg_loss": None,
    "best_trade": 1.0412426895121119,
    "worst_trade": 1.0412426895121119,
    "num_trades": 1,
    "avg_bars_held": 5030.0,
    "exposure": 1.0,
    "turnover": 0.12509081320964144,
    "alpha": -0.004306838862742857,
    "beta": 0.6693987025321307,
    "information_ratio": -0.2724513697682504,
    "benchmark_return": 2.0050404826670665,
    "start": "1999-01-04T00:00:00+00:00",
    "end": "2018-12-31T00:00:00+00:00",
    "final_equity": 204124.26895121118,
}


def _close(symbol: str) -> pd.Series:
    return SampleProvider().fetch_bars(Symbol.parse(symbol), timeframe=Timeframe.D1).bars["close"]


@pytest.fixture(scope="module")
def spx_buy_and_hold() -> dict[str, float | int | str | None]:
    """Statistics of holding SPX from the first to the last close, against the NASDAQ."""
    close = _close("SPX")
    equity = close / close.iloc[0] * CASH
    quantity = CASH / close.iloc[0]
    trades = pd.DataFrame(
        {
            "symbol": ["SPX"],
            "direction": ["long"],
            "entry_time": [close.index[0]],
            "entry_price": [close.iloc[0]],
            "exit_time": [close.index[-1]],
            "exit_price": [close.iloc[-1]],
            "quantity": [quantity],
            "pnl": [quantity * (close.iloc[-1] - close.iloc[0])],
            "return": [close.iloc[-1] / close.iloc[0] - 1.0],
            "bars_held": [len(close) - 1],
            "exit_reason": ["end"],
            "fees": [0.0],
        }
    )
    return compute_metrics(
        equity,
        trades,
        periods_per_year=252,
        benchmark=_close("IXIC"),
        positions_value=pd.Series(quantity, index=close.index),
    )


@pytest.mark.parametrize("key", STAT_KEYS, ids=STAT_KEYS)
def test_compute_metrics_spx_buy_and_hold_matches_golden(
    spx_buy_and_hold: dict[str, float | int | str | None], key: str
) -> None:
    expected = GOLDEN[key]

    value = spx_buy_and_hold[key]

    if isinstance(expected, float):
        assert value == pytest.approx(expected, rel=1e-9, abs=0.0)
    else:
        assert value == expected
