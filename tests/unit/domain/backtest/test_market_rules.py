"""Market rules in the backtester: lots, costs, T+1, price limits, shorting, partial fills."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import pytest

from vibetrading.domain.backtest import run_signals
from vibetrading.domain.trading import CostModel, Symbol

FrameFactory = Callable[..., pd.DataFrame]
SignalFactory = Callable[[pd.DataFrame, Sequence[int]], pd.Series]


def _shanghai_hours(days: int = 2) -> pd.DatetimeIndex:
    # 02:00, 03:00, 05:00 and 06:00 UTC are 10:00-14:00 in Shanghai, inside the sessions.
    stamps = [
        pd.Timestamp(f"2024-01-0{2 + d} {h:02d}:00", tz="UTC")
        for d in range(days)
        for h in (2, 3, 5, 6)
    ]
    return pd.DatetimeIndex(stamps, name="timestamp")


def test_a_share_buy_rounds_down_to_board_lots(
    flat_bars: pd.DataFrame, signal: SignalFactory
) -> None:
    result = run_signals(
        flat_bars, signal(flat_bars, [0]), signal(flat_bars, []), symbol="600036.SH"
    )

    assert result.orders.quantity.iloc[0] == 900.0  # 999 affordable shares -> 9 lots


def test_a_share_costs_match_the_cost_model(frame: FrameFactory, signal: SignalFactory) -> None:
    bars = frame([(35.0, 35.5, 34.5, 35.0)] * 3 + [(36.0, 36.5, 35.5, 36.0)] * 2)
    costs = Symbol.parse("600036.SH").costs

    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), symbol="600036.SH")

    buy, sell = result.orders.itertuples()
    assert buy.quantity == 2_800.0
    assert buy.fees == pytest.approx(costs.total(98_000.0, 2_800, is_buy=True), rel=1e-12)
    assert sell.fees == pytest.approx(costs.total(100_800.0, 2_800, is_buy=False), rel=1e-12)
    assert sell.fees - buy.fees > 100_800.0 * 0.0005 - 1  # stamp duty on the sell only


def test_hong_kong_buy_rounds_to_the_symbol_board_lot(
    flat_bars: pd.DataFrame, signal: SignalFactory
) -> None:
    result = run_signals(flat_bars, signal(flat_bars, [0]), signal(flat_bars, []), symbol="0005.HK")

    assert result.orders.quantity.iloc[0] == 800.0  # 0005.HK trades in lots of 400


def test_crypto_quantity_rounds_to_the_quantity_step(
    flat_bars: pd.DataFrame, signal: SignalFactory
) -> None:
    result = run_signals(
        flat_bars, signal(flat_bars, [0]), signal(flat_bars, []), symbol="BTC/USDT", cash=1_000
    )

    quantity = result.orders.quantity.iloc[0]
    assert quantity == pytest.approx(9.990009, abs=1e-12)  # 1_000 / 1.001 / 100 in 1e-6 steps


def test_us_commission_per_share_with_minimum(
    flat_bars: pd.DataFrame, signal: SignalFactory
) -> None:
    result = run_signals(
        flat_bars, signal(flat_bars, [0]), signal(flat_bars, []), symbol="AAPL", cash=100_000
    )

    order = result.orders.iloc[0]
    assert order.quantity == 999.0
    assert order.fees == pytest.approx(999 * 0.005)


def test_costs_option_replaces_the_market_cost_model(
    flat_bars: pd.DataFrame, signal: SignalFactory
) -> None:
    result = run_signals(
        flat_bars,
        signal(flat_bars, [0]),
        signal(flat_bars, []),
        symbol="AAPL",
        costs=CostModel(commission_min=7.0),
    )

    assert result.orders.fees.iloc[0] == 7.0


def test_fee_rate_replaces_the_commission_rate_only(
    flat_bars: pd.DataFrame, signal: SignalFactory
) -> None:
    result = run_signals(
        flat_bars,
        signal(flat_bars, [0]),
        signal(flat_bars, []),
        symbol="600036.SH",
        fee_rate=0.001,
        cash=100_000,
    )

    order = result.orders.iloc[0]
    assert order.fees == pytest.approx(order.quantity * 100 * (0.001 + 0.00001))


def test_t_plus_one_defers_a_same_session_exit_with_close_fills(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame([(10.0, 10.2, 9.8, 10.0)] * 8, index=_shanghai_hours())

    result = run_signals(
        bars, signal(bars, [0]), signal(bars, [1]), symbol="600036.SH", fill="close"
    )

    trade = result.trades.iloc[0]
    assert trade.entry_time == bars.index[0]
    assert trade.exit_time == bars.index[4]  # the next session's first open
    assert trade.exit_reason == "signal"


def test_t_plus_one_lets_the_next_session_sell_at_the_close(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame([(10.0, 10.2, 9.8, 10.0)] * 8, index=_shanghai_hours())

    result = run_signals(
        bars, signal(bars, [0]), signal(bars, [5]), symbol="600036.SH", fill="close"
    )

    assert result.trades.exit_time.iloc[0] == bars.index[5]


def test_t_plus_one_defers_a_stop_on_the_entry_day(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    rows = [(10.0, 10.1, 9.9, 10.0), (10.0, 10.1, 9.0, 9.2), (9.3, 9.5, 9.1, 9.4)]
    bars = frame(rows)

    result = run_signals(
        bars, signal(bars, [0]), signal(bars, []), symbol="600036.SH", stop_loss=0.05
    )

    trade = result.trades.iloc[0]
    assert trade.exit_reason == "stop_loss"
    assert trade.exit_time == bars.index[2]
    assert trade.exit_price == 9.3  # the next session's open


def test_t_plus_zero_market_stops_on_the_entry_day(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    rows = [(10.0, 10.1, 9.9, 10.0), (10.0, 10.1, 9.0, 9.2), (9.3, 9.5, 9.1, 9.4)]
    bars = frame(rows)

    result = run_signals(bars, signal(bars, [0]), signal(bars, []), stop_loss=0.05)

    assert result.trades.exit_time.iloc[0] == bars.index[1]
    assert result.trades.exit_price.iloc[0] == pytest.approx(9.5)


def test_limit_up_open_blocks_the_buy_until_a_later_bar(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    rows = [(10.0, 10.0, 10.0, 10.0), (11.0, 11.0, 11.0, 11.0), (11.5, 11.8, 11.2, 11.6)]
    bars = frame(rows)

    result = run_signals(bars, signal(bars, [0]), signal(bars, []), symbol="600036.SH")

    order = result.orders.iloc[0]
    assert order.timestamp == bars.index[2]
    assert order.price == 11.5


def test_limit_down_open_blocks_the_sell(frame: FrameFactory, signal: SignalFactory) -> None:
    rows = [(10.0, 10.1, 9.9, 10.0), (10.0, 10.1, 9.9, 10.0), (9.0, 9.0, 9.0, 9.0)]
    rows += [(8.5, 8.8, 8.4, 8.6)]
    bars = frame(rows)

    result = run_signals(bars, signal(bars, [0]), signal(bars, [1]), symbol="600036.SH")

    trade = result.trades.iloc[0]
    assert trade.exit_time == bars.index[3]
    assert trade.exit_price == 8.5


def test_price_limits_do_not_apply_outside_china(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    rows = [(10.0, 10.0, 10.0, 10.0), (11.0, 11.0, 11.0, 11.0), (11.5, 11.8, 11.2, 11.6)]
    bars = frame(rows)

    result = run_signals(bars, signal(bars, [0]), signal(bars, []), symbol="0700.HK")

    assert result.orders.timestamp.iloc[0] == bars.index[1]


def test_us_stock_may_be_sold_short(flat_bars: pd.DataFrame, signal: SignalFactory) -> None:
    result = run_signals(
        flat_bars, signal(flat_bars, [0]), signal(flat_bars, [3]), symbol="AAPL", direction="short"
    )

    assert result.trades.direction.iloc[0] == "short"


def test_volume_share_splits_an_order_over_bars(frame: FrameFactory, signal: SignalFactory) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0, 400.0)] * 6)

    result = run_signals(
        bars, signal(bars, [0]), signal(bars, []), cash=10_000, max_volume_share=0.1
    )

    assert list(result.orders.quantity) == [40.0, 40.0, 20.0]
    assert list(result.orders.timestamp) == list(bars.index[1:4])
    assert result.trades.quantity.iloc[0] == 100.0


def test_volume_share_exit_sells_the_rest_later(frame: FrameFactory, signal: SignalFactory) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0, 1_000.0)] * 3 + [(100, 101, 99, 100, 400)] * 4)

    result = run_signals(
        bars, signal(bars, [0]), signal(bars, [2]), cash=10_000, max_volume_share=0.1
    )

    sells = result.orders[result.orders.side == "sell"]
    assert list(sells.quantity) == [40.0, 40.0, 20.0]
    assert result.trades.exit_time.iloc[0] == bars.index[5]
    assert result.trades.exit_reason.iloc[0] == "signal"
