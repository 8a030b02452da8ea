"""Golden cases of the execution model, computed by hand, and pinned runs on real samples.

The hand-computed cases use generic series (whole units, no costs) unless a market is
named, and 10,000 of cash. The sample runs trade an SMA(10/50) crossover with the default
next-open fills; their numbers are pinned to 1e-9 relative and change only in their own
commit, with the reason in the message.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.backtest import BacktestResult, run_signals
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol

REL = 1e-9
CASH = 10_000.0
FLAT = (100.0, 101.0, 99.0, 100.0)


def _bars(rows: Sequence[Sequence[float]], index: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    if index is None:
        index = pd.date_range("2024-01-01", periods=len(rows), freq="D", tz="UTC")
    data = np.array([list(r) + [1e6] * (5 - len(r)) for r in rows], dtype=np.float64)
    columns = ["open", "high", "low", "close", "volume"]
    return pd.DataFrame(data, index=index.rename("timestamp"), columns=columns)


def _at(bars: pd.DataFrame, *positions: int) -> pd.Series:
    values = np.zeros(len(bars), dtype=np.bool_)
    values[list(positions)] = True
    return pd.Series(values, index=bars.index)


def _run(
    bars: pd.DataFrame, entry: int, exit_: int | None = None, **options: object
) -> BacktestResult:
    exits = _at(bars) if exit_ is None else _at(bars, exit_)
    return run_signals(bars, _at(bars, entry), exits, cash=CASH, **options)  # type: ignore[arg-type]


def _only_trade(result: BacktestResult) -> pd.Series:
    assert len(result.trades) == 1
    return result.trades.iloc[0]


def test_golden_stop_hit_inside_the_bar_exits_at_the_stop() -> None:
    bars = _bars([FLAT, (100, 102, 98, 101), (101, 103, 94, 96), (96, 97, 95, 96)])

    trade = _only_trade(_run(bars, 0, stop_loss=0.05))

    assert (trade.entry_time, trade.entry_price, trade.quantity) == (bars.index[1], 100.0, 100.0)
    assert (trade.exit_time, trade.exit_price, trade.exit_reason) == (
        bars.index[2],
        95.0,
        "stop_loss",
    )
    assert trade.pnl == pytest.approx(-500.0, rel=REL)
    assert trade["return"] == pytest.approx(-0.05, rel=REL)
    assert trade.bars_held == 1


def test_golden_gap_through_the_stop_fills_at_the_open() -> None:
    bars = _bars([FLAT, (100, 102, 98, 101), (93, 94, 92, 93), (93, 94, 92, 93)])

    trade = _only_trade(_run(bars, 0, stop_loss=0.05))

    assert (trade.exit_time, trade.exit_price, trade.exit_reason) == (
        bars.index[2],
        93.0,
        "stop_loss",
    )
    assert trade.pnl == pytest.approx(-700.0, rel=REL)


def test_golden_stop_and_target_in_one_bar_exit_at_the_stop() -> None:
    bars = _bars([FLAT, (100, 101, 99, 100), (100, 106, 94, 100), FLAT])

    trade = _only_trade(_run(bars, 0, stop_loss=0.05, take_profit=0.05))

    assert (trade.exit_price, trade.exit_reason) == (95.0, "stop_loss")


def test_golden_target_inside_the_bar_exits_at_the_target() -> None:
    bars = _bars([FLAT, (100, 101, 99, 100), (101, 106, 100, 104), FLAT])

    trade = _only_trade(_run(bars, 0, stop_loss=0.05, take_profit=0.05))

    assert trade.exit_price == pytest.approx(105.0, rel=REL)
    assert trade.exit_reason == "take_profit"


@pytest.mark.parametrize(
    ("stops_first", "price", "reason"),
    [(False, 99.0, "signal"), (True, 95.0, "stop_loss")],
    ids=["pending-exit-first", "stops-first"],
)
def test_golden_pending_exit_against_a_stop_in_the_same_bar(
    stops_first: bool, price: float, reason: str
) -> None:
    bars = _bars([FLAT, (100, 101, 99, 100), (99, 100, 90, 92), (92, 93, 91, 92)])

    trade = _only_trade(_run(bars, 0, 1, stop_loss=0.05, stops_first=stops_first))

    assert (trade.exit_time, trade.exit_price, trade.exit_reason) == (bars.index[2], price, reason)


def test_golden_partial_fills_over_three_bars() -> None:
    bars = _bars([(100, 101, 99, 100, 400)] * 5)

    result = _run(bars, 0, max_volume_share=0.1)

    assert list(result.orders.quantity) == [40.0, 40.0, 20.0]
    assert list(result.orders.timestamp) == list(bars.index[1:4])
    assert list(result.positions["ASSET"]) == [0.0, 40.0, 80.0, 100.0, 100.0]
    trade = _only_trade(result)
    assert (trade.entry_time, trade.quantity, trade.exit_reason) == (bars.index[1], 100.0, "end")


def test_golden_a_share_lot_rounding_and_stamp_duty_on_the_sell() -> None:
    bars = _bars([(35, 35.5, 34.5, 35)] * 3 + [(36, 36.5, 35.5, 36)] * 2)

    result = run_signals(bars, _at(bars, 0), _at(bars, 2), symbol="600036.SH", cash=100_000)

    # 100_000 / 1.00026 / 35 = 2856.4 shares -> 28 lots. Buy: commission 98_000 * 0.00025
    # = 24.5 (over the 5 minimum) + levy 0.98. Sell: commission 25.2 + stamp duty 50.4 +
    # levy 1.008.
    buy, sell = result.orders.itertuples()
    assert (buy.quantity, buy.price, buy.fees) == (2_800.0, 35.0, pytest.approx(25.48, rel=REL))
    assert (sell.price, sell.fees) == (36.0, pytest.approx(76.608, rel=REL))
    trade = _only_trade(result)
    assert trade.pnl == pytest.approx(2_800.0 - 25.48 - 76.608, rel=REL)
    assert result.final_equity == pytest.approx(102_697.912, rel=REL)


def test_golden_t_plus_one_defers_a_same_day_exit_with_close_fills() -> None:
    stamps = [
        pd.Timestamp(f"2024-01-0{d} {h:02d}:00", tz="UTC") for d in (2, 3) for h in (2, 3, 5, 6)
    ]
    closes = [10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 10.7]
    bars = _bars([(c, c + 0.05, c - 0.05, c) for c in closes], index=pd.DatetimeIndex(stamps))

    result = run_signals(
        bars, _at(bars, 0), _at(bars, 1), symbol="600036.SH", fill="close", cash=100_000
    )

    trade = _only_trade(result)
    assert (trade.entry_time, trade.entry_price) == (bars.index[0], 10.0)
    assert (trade.exit_time, trade.exit_price) == (bars.index[4], 10.4)  # next session's open


def test_golden_limit_up_blocks_a_buy() -> None:
    bars = _bars([(10, 10, 10, 10), (11, 11, 11, 11), (11.5, 11.8, 11.2, 11.6), (11.6,) * 4])

    result = run_signals(bars, _at(bars, 0), _at(bars), symbol="600036.SH", cash=100_000)

    # Bar 1 opens at the limit-up price (10 * 1.1): no seller; the order waits for bar 2.
    trade = _only_trade(result)
    assert (trade.entry_time, trade.entry_price, trade.quantity) == (bars.index[2], 11.5, 8_600.0)


def test_golden_hong_kong_board_lot() -> None:
    bars = _bars([(60, 61, 59, 60)] * 3)

    result = run_signals(bars, _at(bars, 0), _at(bars), symbol="1810.HK", cash=100_000)

    # 100_000 / 60 = 1666 shares -> 8 lots of 200 (Xiaomi); costs fit in the rest.
    assert result.orders.quantity.iloc[0] == 1_600.0
    notional = 96_000.0
    fees = notional * 0.0003 + notional * 0.001 + notional * 0.0000842
    assert result.orders.fees.iloc[0] == pytest.approx(fees, rel=REL)


def test_golden_trailing_stop_follows_the_highest_high() -> None:
    rows = [FLAT, (100, 110, 99, 108), (108, 112, 104, 110), (105, 106, 100, 101), FLAT]
    bars = _bars(rows)

    trade = _only_trade(_run(bars, 0, trailing_stop=0.10))

    # Highest high 112 after bar 2: the stop is 100.8, reached in bar 3.
    assert trade.exit_time == bars.index[3]
    assert trade.exit_price == pytest.approx(100.8, rel=REL)
    assert trade.exit_reason == "trailing_stop"
    assert trade.pnl == pytest.approx(100 * 0.8, rel=REL)


def test_golden_max_holding_bars_exits_at_the_next_open() -> None:
    bars = _bars([FLAT, (100, 101, 99, 100), (101, 102, 100, 101), (103, 104, 102, 103), FLAT])

    trade = _only_trade(_run(bars, 0, max_holding_bars=2))

    assert (trade.exit_time, trade.exit_price) == (bars.index[3], 103.0)
    assert (trade.bars_held, trade.exit_reason) == (2, "max_holding")


def test_golden_open_position_ends_at_the_last_close() -> None:
    bars = _bars([FLAT, (100, 101, 99, 100), (104, 106, 103, 105)])

    result = _run(bars, 0, fee_rate=0.001)

    trade = _only_trade(result)
    assert (trade.exit_time, trade.exit_price, trade.exit_reason) == (bars.index[2], 105.0, "end")
    assert trade.quantity == 99.0  # 10_000 / 1.001 / 100
    assert trade.fees == pytest.approx(99 * 100 * 0.001, rel=REL)  # the entry fee only
    assert result.final_equity == pytest.approx(CASH + trade.pnl, rel=REL)
    assert len(result.orders) == 1


def _sample_run(code: str, **options: object) -> BacktestResult:
    bars = SampleProvider().fetch_bars(Symbol.parse(code), timeframe=Timeframe.D1).bars
    fast, slow = bars.close.rolling(10).mean(), bars.close.rolling(50).mean()
    entries = (fast > slow) & (fast.shift() <= slow.shift())
    exits = (fast < slow) & (fast.shift() >= slow.shift())
    return run_signals(bars, entries, exits, **options)  # type: ignore[arg-type]


GOOG_TRADES = [
    ("2005-04-14", 193.27, "2005-08-12", 283.36, 516.0, 46240.498920000005, "signal"),
    ("2005-09-14", 308.73, "2006-02-02", 403.82, 473.0, 44640.53384999998, "signal"),
    ("2006-04-05", 408.2, "2006-05-19", 373.28, 467.0, -16672.591160000014, "signal"),
    ("2006-06-27", 405.71000000000004, "2006-07-28", 382.0, 428.0, -10485.019880000005, "signal"),
    ("2006-09-18", 410.0, "2006-12-22", 457.5, 398.0, 18559.735, "signal"),
    ("2007-01-16", 507.55, "2007-02-12", 460.68, 358.0, -17126.08633999999, "signal"),
    ("2007-04-09", 472.98, "2007-08-02", 513.72, 348.0, 13834.14839999999, "signal"),
    ("2007-09-14", 523.2, "2008-01-09", 630.04, 341.0, 36039.18515999997, "signal"),
    ("2008-04-22", 537.57, "2008-06-25", 544.97, 399.0, 2520.6665399999765, "signal"),
    ("2009-01-08", 318.28, "2009-03-09", 299.98, 682.0, -12902.253319999976, "signal"),
    ("2009-03-26", 353.13, "2010-01-22", 564.5, 578.0, 121641.46986000001, "signal"),
    ("2010-03-16", 561.83, "2010-04-28", 532.1, 580.0, -17877.879400000023, "signal"),
    ("2010-07-26", 489.09, "2010-08-25", 450.0, 629.0, -25178.297609999987, "signal"),
    ("2010-09-21", 509.68000000000006, "2010-12-06", 580.57, 555.0, 38738.86125000001, "signal"),
    ("2011-01-03", 596.48, "2011-03-04", 608.33, 539.0, 5737.757409999965, "signal"),
    ("2011-07-13", 537.0, "2011-08-22", 504.0, 609.0, -20730.969, "signal"),
    ("2011-10-18", 580.19, "2012-01-25", 577.51, 528.0, -2026.3056000000372, "signal"),
    ("2012-03-14", 615.0, "2012-04-23", 592.9, 495.0, -11537.4105, "signal"),
    ("2012-07-24", 615.0, "2012-10-26", 676.5, 476.0, 28659.246, "signal"),
    ("2012-12-18", 716.6, "2013-03-01", 806.1899999999999, 449.0, 39904.15659999997, "end"),
]


def test_golden_goog_sma_crossover_trade_list() -> None:
    result = _sample_run("GOOG", fee_rate=0.001)

    trades = [
        (
            t.entry_time.date().isoformat(),
            t.entry_price,
            t.exit_time.date().isoformat(),
            t.exit_price,
            t.quantity,
            t.pnl,
            t.exit_reason,
        )
        for t in result.trades.itertuples()
    ]
    assert len(trades) == len(GOOG_TRADES)
    for got, expected in zip(trades, GOOG_TRADES, strict=True):
        entry, entry_price, exit_, exit_price, quantity, pnl, reason = expected
        assert (got[0], got[2], got[6]) == (entry, exit_, reason)
        assert (got[1], got[3], got[5]) == pytest.approx((entry_price, exit_price, pnl), rel=REL)
        assert got[4] == quantity
    assert result.final_equity == pytest.approx(361_979.44617999985, rel=REL)


def test_golden_spx_sma_crossover_summary() -> None:
    result = _sample_run("SPX")

    trades = result.trades
    assert len(trades) == 67
    assert result.final_equity == pytest.approx(133_097.59853699995, rel=REL)
    assert trades.pnl.sum() == pytest.approx(33_097.598536999925, rel=REL)
    assert trades.quantity.sum() == 4_591.0
    assert trades.bars_held.sum() == 3_044
    first, last = trades.iloc[0], trades.iloc[-1]
    assert (first.entry_time.date().isoformat(), first.exit_time.date().isoformat()) == (
        "1999-06-29",
        "1999-08-05",
    )
    assert (first.entry_price, first.exit_price, first.quantity) == pytest.approx(
        (1331.349976, 1305.329956, 75.0), rel=REL
    )
    assert (last.entry_time.date().isoformat(), last.exit_time.date().isoformat()) == (
        "2018-05-15",
        "2018-10-12",
    )
    assert (last.entry_price, last.exit_price, last.quantity) == pytest.approx(
        (2718.590088, 2770.540039, 48.0), rel=REL
    )
    assert set(trades.exit_reason) == {"signal"}
