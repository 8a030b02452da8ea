import math

import numpy as np
import pandas as pd
import pytest

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.trading import CostModel, Symbol
from vibetrading.domain.trading import execution as ex
from vibetrading.domain.trading.enums import OrderSide, OrderType


def test_symbol_params_match_the_engine_layout():
    symbol = Symbol.parse("600519.SH")

    params = ex.symbol_params(symbol)

    assert params[nb.P_LOT] == 100
    assert params[nb.P_SELL_LOT] == 1
    assert params[nb.P_T_PLUS] == 1
    assert params[nb.P_PRICE_LIMIT] == pytest.approx(0.10)
    assert params[nb.P_TICK] == 0.01


def test_symbol_costs_apply_overrides_like_run_signals():
    symbol = Symbol.parse("AAPL")

    costs = ex.symbol_costs(symbol, fee_rate=0.001, slippage_bps=5)

    assert costs.commission_rate == 0.001
    assert costs.slippage_bps == 5
    assert ex.symbol_costs(symbol, costs=CostModel()) == CostModel()


def test_fill_rules_call_the_kernels():
    params = ex.symbol_params(
        Symbol.parse("AAPL"), CostModel(slippage_bps=10, commission_rate=0.001)
    )

    price = ex.bar_fill_price(OrderType.LIMIT, OrderSide.BUY, 99.0, None, 100.0, 101.0, 98.0)
    slipped = ex.slip_price(price, OrderSide.BUY, params)

    assert price == 99.0
    assert slipped == pytest.approx(99.0 * 1.001)
    assert ex.fill_cost(1000.0, 10, OrderSide.SELL, params) == pytest.approx(1.0)
    assert ex.affordable_quantity(1000.0, 100.0, params) == 9
    assert ex.target_quantity(10.0, 1000.0, params, equity_fraction=0.5) == 50
    assert ex.target_quantity(10.0, 1000.0, params, cash_amount=200.0) == 20
    assert ex.volume_cap(None, 10.0, 0.0, 1.0) == math.inf
    assert ex.volume_cap(0.1, 1000.0, 30.0, 1.0) == 70
    assert ex.is_lot_multiple(300, 100)
    assert not ex.is_lot_multiple(150, 100)


def test_price_limit_and_protective_exit():
    params = ex.symbol_params(Symbol.parse("600519.SH"))

    assert ex.is_price_limited(OrderSide.BUY, 11.0, 10.0, params)
    assert not ex.is_price_limited(OrderSide.SELL, 10.5, 10.0, params)
    hit = ex.protective_exit(
        1, (100.0, 101.0, 90.0), 100.0, 100.0, stop_loss=0.05, take_profit=None,
        trailing_stop=None,
    )  # fmt: skip
    assert hit == (95.0, "stop_loss")
    assert ex.protective_exit(1, (100.0, 101.0, 99.0), 100.0, 100.0, stop_loss=0.05,
                              take_profit=0.1, trailing_stop=0.5) is None  # fmt: skip


def test_market_state_unlocks_and_moves_the_limit_base_on_a_new_session():
    state = ex.MarketState()
    day1 = pd.Timestamp("2024-01-02 07:00", tz="UTC")
    state.start_bar(day1, 10.0, ex.session_id(day1, "Asia/Shanghai"))
    state.locked, state.last_close = 100.0, 10.5

    day2 = day1 + pd.Timedelta(days=1)
    state.start_bar(day2, 10.6, ex.session_id(day2, "Asia/Shanghai"))

    assert (state.locked, state.limit_reference, state.bar_count) == (0.0, 10.5, 2)
    assert ex.MarketState.from_dict(state.to_dict()) == state
    assert np.isnan(ex.MarketState().limit_reference)


@pytest.mark.parametrize(
    "timezone",
    ["America/New_York", "Europe/London", "Asia/Hong_Kong", "Asia/Shanghai", "UTC"],
    ids=lambda tz: tz.split("/")[-1],
)
def test_session_id_is_the_local_date_around_daylight_saving_changes(timezone):
    stamps = pd.date_range("1999-03-01", "1999-11-30", freq="59min", tz="UTC")
    stamps = stamps.append(pd.date_range("2024-03-09", "2024-03-12", freq="7min", tz="UTC"))

    days = [ex.session_id(t, timezone) for t in stamps]

    local = stamps.tz_convert(timezone).tz_localize(None)
    expected = (local - pd.Timestamp("1970-01-01")).days
    assert days == list(expected)
