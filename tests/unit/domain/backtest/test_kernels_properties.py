"""Accounting invariants of the execution kernel on random bars, signals and options."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vibetrading.domain.backtest import (
    BacktestResult,
    event_kernels,
    fast_kernels,
    fill_kernels,
    run_signals,
)
from vibetrading.domain.backtest import kernels as nb

REL = 1e-9
Draw = Callable[[st.SearchStrategy[Any]], Any]
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _frame(draw: Draw, index: pd.DatetimeIndex, price: float) -> pd.DataFrame:
    n = len(index)
    moves = draw(st.lists(st.floats(-0.08, 0.08), min_size=n, max_size=n))
    gaps = draw(st.lists(st.floats(-0.04, 0.04), min_size=n, max_size=n))
    spreads = draw(st.lists(st.floats(0.0, 0.05), min_size=2 * n, max_size=2 * n))
    volumes = draw(st.lists(st.sampled_from([0.0, 50.0, 5e3, 1e7]), min_size=n, max_size=n))
    close = price * np.exp(np.cumsum(moves))
    open_ = np.concatenate([[price], close[:-1]]) * np.exp(gaps)
    high = np.maximum(open_, close) * (1 + np.array(spreads[:n]))
    low = np.minimum(open_, close) * (1 - np.array(spreads[n:]))
    data = {"open": open_, "high": high, "low": low, "close": close, "volume": volumes}
    return pd.DataFrame(data, index=index.rename("timestamp"))


def _signal(draw: Draw, index: pd.DatetimeIndex, chance: float = 0.25) -> pd.Series:
    values = draw(
        st.lists(st.floats(0, 1), min_size=len(index), max_size=len(index)).map(
            lambda xs: np.array(xs) < chance
        )
    )
    return pd.Series(values, index=index)


@st.composite
def daily_bars(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 40))
    index = pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")
    return _frame(draw, index, draw(st.sampled_from([1.0, 10.0, 250.0])))


OPTIONS = st.fixed_dictionaries(
    {
        "fill": st.sampled_from(["next_open", "close"]),
        "fee_rate": st.sampled_from([0.0, 0.001, 0.02]),
        "stop_loss": st.sampled_from([None, 0.02, 0.1]),
        "take_profit": st.sampled_from([None, 0.03, 0.5]),
        "trailing_stop": st.sampled_from([None, 0.04]),
        "stops_first": st.booleans(),
        "max_volume_share": st.sampled_from([None, 0.01, 0.5]),
        "max_holding_bars": st.sampled_from([None, 1, 3]),
        "order_type": st.sampled_from(["market", "market", "limit", "stop", "stop_limit"]),
        "limit_offset": st.sampled_from([0.0, 0.01]),
        "stop_offset": st.sampled_from([0.0, 0.01]),
        "cash": st.sampled_from([1_000.0, 100_000.0]),
    }
)
SIZES = st.sampled_from(
    [
        (1.0, "percent"),
        (0.3, "percent"),
        (2_000.0, "cash"),
        (5.0, "quantity"),
        (0.2, "volatility_target"),
    ]
)


def _marks(result: BacktestResult, bars: dict[str, pd.DataFrame]) -> pd.DataFrame:
    closes = {c: b["close"].reindex(result.equity.index).ffill() for c, b in bars.items()}
    return pd.DataFrame(closes).fillna(0.0)


def _assert_accounting(result: BacktestResult, bars: dict[str, pd.DataFrame]) -> None:
    value = result.cash + (result.positions * _marks(result, bars)).sum(axis=1)
    np.testing.assert_allclose(result.equity, value, rtol=REL, atol=REL * result.initial_cash)
    profit = result.trades.pnl.sum()
    gain = result.final_equity - result.initial_cash
    assert profit == pytest.approx(gain, rel=REL, abs=1e-7 * result.initial_cash)
    assert (result.orders.fees >= 0).all()
    assert (result.trades.fees >= 0).all()


def _assert_fills_inside_bars(result: BacktestResult, bars: dict[str, pd.DataFrame]) -> None:
    for order in result.orders.itertuples():
        bar = bars[order.symbol].loc[order.timestamp]
        assert bar.low <= order.price <= bar.high


@PROPERTY_SETTINGS
@given(bars=daily_bars(), data=st.data(), options=OPTIONS, size=SIZES)
def test_simulate_long_accounting_invariants_hold(
    bars: pd.DataFrame, data: st.DataObject, options: dict[str, Any], size: tuple[float, str]
) -> None:
    entries, exits = _signal(data.draw, bars.index), _signal(data.draw, bars.index)

    result = run_signals(bars, entries, exits, size=size[0], size_type=size[1], **options)  # type: ignore[arg-type]

    _assert_accounting(result, {"ASSET": bars})
    _assert_fills_inside_bars(result, {"ASSET": bars})
    assert (result.cash >= 0).all()
    assert (result.positions["ASSET"] >= 0).all()


@PROPERTY_SETTINGS
@given(bars=daily_bars(), data=st.data(), options=OPTIONS)
def test_simulate_both_directions_accounting_invariants_hold(
    bars: pd.DataFrame, data: st.DataObject, options: dict[str, Any]
) -> None:
    signals = [_signal(data.draw, bars.index) for _ in range(4)]
    options["take_profit"] = None if options["take_profit"] == 0.5 else options["take_profit"]

    result = run_signals(
        bars,
        signals[0],
        signals[1],
        direction="both",
        short_entries=signals[2],
        short_exits=signals[3],
        **options,
    )

    _assert_accounting(result, {"ASSET": bars})
    _assert_fills_inside_bars(result, {"ASSET": bars})


@st.composite
def shanghai_hourly_bars(draw: st.DrawFn) -> pd.DataFrame:
    days = draw(st.integers(1, 5))
    hours = [2, 3, 5, 6]  # 10:00, 11:00, 13:00 and 14:00 in Shanghai
    stamps = [
        pd.Timestamp("2024-03-04", tz="UTC") + pd.Timedelta(days=d, hours=h)
        for d in range(days)
        for h in hours
    ]
    return _frame(draw, pd.DatetimeIndex(stamps), draw(st.sampled_from([3.0, 40.0])))


@PROPERTY_SETTINGS
@given(bars=shanghai_hourly_bars(), data=st.data(), options=OPTIONS)
def test_simulate_a_share_lots_and_t_plus_one_respected(
    bars: pd.DataFrame, data: st.DataObject, options: dict[str, Any]
) -> None:
    entries, exits = _signal(data.draw, bars.index), _signal(data.draw, bars.index)

    result = run_signals(bars, entries, exits, symbol="600036.SH", **options)

    buys = result.orders[result.orders.side == "buy"]
    assert (buys.quantity % 100 == 0).all()
    _assert_t_plus_one(result.orders)
    _assert_accounting(result, {"600036.SH": bars})
    assert (result.cash >= 0).all()


def _assert_t_plus_one(orders: pd.DataFrame) -> None:
    # Units sold in a session never exceed the units held when the session began.
    sessions = orders.timestamp.dt.tz_convert("Asia/Shanghai").dt.date
    position, sellable, current = 0.0, 0.0, None
    for side, quantity, session in zip(orders.side, orders.quantity, sessions, strict=True):
        if session != current:
            current, sellable = session, position
        if side == "buy":
            position += quantity
        else:
            assert quantity <= sellable + 1e-9
            sellable -= quantity
            position -= quantity


@st.composite
def two_symbols(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    n = draw(st.integers(3, 30))
    index = pd.date_range("2024-01-01", periods=n, freq="D", tz="UTC")
    frames = {}
    for code in ("A", "B"):
        keep = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        keep[draw(st.integers(0, n - 1))] = True
        frames[code] = _frame(draw, index[np.array(keep)], draw(st.sampled_from([5.0, 80.0])))
    return frames


@PROPERTY_SETTINGS
@given(frames=two_symbols(), data=st.data(), options=OPTIONS)
def test_simulate_multi_asset_trades_only_on_own_bars(
    frames: dict[str, pd.DataFrame], data: st.DataObject, options: dict[str, Any]
) -> None:
    entries = {c: _signal(data.draw, f.index, 0.4) for c, f in frames.items()}
    exits = {c: _signal(data.draw, f.index) for c, f in frames.items()}

    result = run_signals(frames, entries, exits, size_type="equal_weight", **options)

    for order in result.orders.itertuples():
        assert order.timestamp in frames[order.symbol].index
    _assert_accounting(result, frames)
    _assert_fills_inside_bars(result, frames)
    assert (result.cash >= 0).all()


@given(
    notional=st.floats(0, 1e9),
    quantity=st.floats(0, 1e7),
    is_buy=st.booleans(),
    rates=st.lists(st.floats(0, 0.01), min_size=7, max_size=7),
)
def test_order_cost_nb_never_negative(
    notional: float, quantity: float, is_buy: bool, rates: list[float]
) -> None:
    params = np.zeros(nb.N_PARAMS)
    params[: len(rates)] = rates

    cost = nb.order_cost_nb(notional, quantity, is_buy, params)

    assert cost >= 0
    assert cost == pytest.approx(nb.order_cost_nb.py_func(notional, quantity, is_buy, params))


@given(
    cash=st.floats(0, 1e8),
    price=st.floats(0.01, 1e5),
    lot=st.sampled_from([1.0, 100.0, 1e-6]),
    minimum=st.sampled_from([0.0, 5.0]),
    rate=st.sampled_from([0.0, 0.00025, 0.01]),
)
def test_affordable_quantity_nb_never_overspends(
    cash: float, price: float, lot: float, minimum: float, rate: float
) -> None:
    params = np.zeros(nb.N_PARAMS)
    params[nb.P_COMMISSION_RATE] = rate
    params[nb.P_COMMISSION_MIN] = minimum

    quantity = nb.affordable_quantity_nb(cash, price, params, lot)

    assert quantity == nb.affordable_quantity_nb.py_func(cash, price, params, lot)
    spent = quantity * price + nb.order_cost_nb(quantity * price, quantity, True, params)
    assert spent <= cash * (1 + 1e-9)
    assert quantity >= 0
    more = quantity + lot
    assert more * price + nb.order_cost_nb(more * price, more, True, params) > cash * (1 - 1e-9)


@contextmanager
def _interpreted_kernels() -> Iterator[None]:
    # Run every kernel as plain Python: the same code, without numba, so that coverage sees
    # it and the compiled results can be compared with the interpreted ones.
    with pytest.MonkeyPatch.context() as patch:
        for module in (nb, fill_kernels, event_kernels, fast_kernels):
            for name in dir(module):
                kernel = getattr(module, name)
                if name.endswith("_nb") and hasattr(kernel, "py_func"):
                    patch.setattr(module, name, kernel.py_func)
        yield


def _assert_same_results(compiled: BacktestResult, python: BacktestResult) -> None:
    pd.testing.assert_series_equal(compiled.equity, python.equity)
    pd.testing.assert_frame_equal(compiled.positions, python.positions)
    pd.testing.assert_frame_equal(compiled.orders, python.orders)
    pd.testing.assert_frame_equal(compiled.trades, python.trades)


MARKETS = st.sampled_from([(None, "both"), ("AAPL", "both"), ("600036.SH", "long")])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bars=st.one_of(daily_bars(), shanghai_hourly_bars()),
    data=st.data(),
    options=OPTIONS,
    market=MARKETS,
    size=SIZES,
)
def test_simulate_nb_interpreted_matches_compiled(
    bars: pd.DataFrame,
    data: st.DataObject,
    options: dict[str, Any],
    market: tuple[str | None, str],
    size: tuple[float, str],
) -> None:
    symbol, direction = market
    signals = [_signal(data.draw, bars.index) for _ in range(4)]
    shorts = {"short_entries": signals[2], "short_exits": signals[3]}
    if direction == "both" and options["take_profit"] == 0.5:
        options["take_profit"] = None
    kwargs: dict[str, Any] = dict(
        options, symbol=symbol, direction=direction, size=size[0], size_type=size[1]
    )
    kwargs.update(shorts if direction == "both" else {})

    compiled = run_signals(bars, signals[0], signals[1], **kwargs)
    with _interpreted_kernels():
        python = run_signals(bars, signals[0], signals[1], **kwargs)

    _assert_same_results(compiled, python)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=two_symbols(), data=st.data(), options=OPTIONS)
def test_simulate_nb_interpreted_matches_compiled_multi_asset(
    frames: dict[str, pd.DataFrame], data: st.DataObject, options: dict[str, Any]
) -> None:
    entries = {c: _signal(data.draw, f.index, 0.4) for c, f in frames.items()}
    exits = {c: _signal(data.draw, f.index) for c, f in frames.items()}
    options["size_type"] = "equal_weight"

    compiled = run_signals(frames, entries, exits, **options)
    with _interpreted_kernels():
        python = run_signals(frames, entries, exits, **options)

    _assert_same_results(compiled, python)


def _rows(rows: Sequence[Sequence[float]], index: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    if index is None:
        index = pd.date_range("2024-01-01", periods=len(rows), freq="D", tz="UTC")
    data = [list(r) + [1e6] * (5 - len(r)) for r in rows]
    return pd.DataFrame(data, index=index, columns=["open", "high", "low", "close", "volume"])


_FLAT = (10.0, 10.1, 9.9, 10.0)
_HOURS = pd.DatetimeIndex(
    [pd.Timestamp(f"2024-01-0{d} {h:02d}:00", tz="UTC") for d in (2, 3) for h in (2, 3, 5, 6)]
)
SCENARIOS: dict[str, tuple[pd.DataFrame, list[int], list[int], dict[str, Any]]] = {
    "limit-up-and-down": (
        _rows([_FLAT, (11.0,) * 4, (11.5, 11.8, 11.2, 11.6), (10.4,) * 4, (9.5, 9.6, 9.4, 9.5)]),
        [0],
        [2],
        {"symbol": "600036.SH"},
    ),
    "t-plus-one-stop-and-exit": (
        _rows([_FLAT] * 2 + [(10.0, 10.1, 8.0, 9.0)] + [_FLAT] * 5, index=_HOURS),
        [0],
        [1],
        {"symbol": "600036.SH", "fill": "close", "stop_loss": 0.05},
    ),
    "stops-first": (
        _rows([_FLAT, _FLAT, (9.9, 10.0, 9.0, 9.2), _FLAT]),
        [0],
        [1],
        {"stop_loss": 0.05, "take_profit": 0.5, "stops_first": True},
    ),
    "stop-limit-gap": (
        _rows([_FLAT, (10.6, 10.7, 10.5, 10.6), (10.5, 10.6, 10.2, 10.3)]),
        [0],
        [],
        {"order_type": "stop_limit", "stop_offset": 0.02, "limit_offset": 0.01},
    ),
    "many-partial-fills": (
        _rows([(10.0, 10.1, 9.9, 10.0, 100.0)] * 300),
        [0, 250],
        [120],
        {"max_volume_share": 0.1, "cash": 10_000.0},
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_simulate_nb_interpreted_matches_compiled_on_market_scenarios(scenario: str) -> None:
    bars, entry_at, exit_at, options = SCENARIOS[scenario]
    entries = pd.Series(np.isin(np.arange(len(bars)), entry_at), index=bars.index)
    exits = pd.Series(np.isin(np.arange(len(bars)), exit_at), index=bars.index)

    compiled = run_signals(bars, entries, exits, **options)
    with _interpreted_kernels():
        python = run_signals(bars, entries, exits, **options)

    _assert_same_results(compiled, python)
    assert len(compiled.orders) > 0


BUY, SELL = 1, -1
BAR = (100.0, 104.0, 97.0)  # open, high, low


@pytest.mark.parametrize(
    ("order_type", "side", "limit", "stop", "expected"),
    [
        (nb.MARKET, BUY, np.nan, np.nan, 100.0),
        (nb.LIMIT, BUY, 98.0, np.nan, 98.0),
        (nb.LIMIT, BUY, 101.0, np.nan, 100.0),
        (nb.LIMIT, BUY, 96.0, np.nan, np.nan),
        (nb.LIMIT, SELL, 103.0, np.nan, 103.0),
        (nb.LIMIT, SELL, 99.0, np.nan, 100.0),
        (nb.STOP, BUY, np.nan, 102.0, 102.0),
        (nb.STOP, BUY, np.nan, 99.0, 100.0),
        (nb.STOP, BUY, np.nan, 105.0, np.nan),
        (nb.STOP, SELL, np.nan, 98.0, 98.0),
        (nb.STOP, SELL, np.nan, 101.0, 100.0),
        (nb.STOP, SELL, np.nan, 96.0, np.nan),
        (nb.STOP_LIMIT, BUY, 103.0, 102.0, 102.0),
        (nb.STOP_LIMIT, BUY, 101.0, 102.0, np.nan),
        (nb.STOP_LIMIT, BUY, 98.0, 99.0, 98.0),
        (nb.STOP_LIMIT, SELL, 97.5, 98.0, 98.0),
        (nb.STOP_LIMIT, SELL, 99.0, 98.0, np.nan),
        (nb.STOP_LIMIT, SELL, 102.0, 101.0, 102.0),
        (nb.STOP_LIMIT, SELL, 97.5, 96.0, np.nan),
    ],
    ids=[
        "market",
        "buy-limit-inside",
        "buy-limit-above-open",
        "buy-limit-missed",
        "sell-limit-inside",
        "sell-limit-below-open",
        "buy-stop-inside",
        "buy-stop-gap",
        "buy-stop-missed",
        "sell-stop-inside",
        "sell-stop-gap",
        "sell-stop-missed",
        "buy-stop-limit-at-stop",
        "buy-stop-limit-waits",
        "buy-stop-limit-gap",
        "sell-stop-limit-at-stop",
        "sell-stop-limit-waits",
        "sell-stop-limit-gap",
        "sell-stop-limit-missed",
    ],
)
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "interpreted"])
def test_fill_price_nb_follows_the_order_type_rules(
    order_type: int, side: int, limit: float, stop: float, expected: float, compiled: bool
) -> None:
    kernel = nb.fill_price_nb if compiled else nb.fill_price_nb.py_func

    price = kernel(order_type, side, limit, stop, *BAR)

    np.testing.assert_equal(price, expected)


@pytest.mark.parametrize(
    ("direction", "bar", "levels", "expected"),
    [
        (1, (100.0, 104.0, 97.0), (95.0, 105.0, np.nan), (np.nan, -1)),
        (1, (100.0, 104.0, 94.0), (95.0, 105.0, np.nan), (95.0, nb.REASON_STOP_LOSS)),
        (1, (100.0, 106.0, 94.0), (95.0, 105.0, np.nan), (95.0, nb.REASON_STOP_LOSS)),
        (1, (100.0, 106.0, 99.0), (95.0, 105.0, np.nan), (105.0, nb.REASON_TAKE_PROFIT)),
        (1, (107.0, 108.0, 106.0), (95.0, 105.0, np.nan), (107.0, nb.REASON_TAKE_PROFIT)),
        (1, (93.0, 94.0, 92.0), (95.0, 105.0, 96.0), (93.0, nb.REASON_TRAILING_STOP)),
        (1, (100.0, 101.0, 95.5), (95.0, np.nan, 96.0), (96.0, nb.REASON_TRAILING_STOP)),
        (-1, (100.0, 106.0, 99.0), (105.0, 95.0, np.nan), (105.0, nb.REASON_STOP_LOSS)),
        (-1, (100.0, 101.0, 94.0), (105.0, 95.0, np.nan), (95.0, nb.REASON_TAKE_PROFIT)),
        (-1, (93.0, 94.0, 92.0), (105.0, 95.0, np.nan), (93.0, nb.REASON_TAKE_PROFIT)),
    ],
    ids=[
        "long-untouched",
        "long-stop",
        "long-stop-before-target",
        "long-target",
        "long-target-gap",
        "long-trailing-gap",
        "long-trailing-stricter",
        "short-stop",
        "short-target",
        "short-target-gap",
    ],
)
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "interpreted"])
def test_stop_exit_nb_reads_the_bar_conservatively(
    direction: int,
    bar: tuple[float, float, float],
    levels: tuple[float, float, float],
    expected: tuple[float, int],
    compiled: bool,
) -> None:
    kernel = nb.stop_exit_nb if compiled else nb.stop_exit_nb.py_func

    price, reason = kernel(direction, *bar, *levels)

    np.testing.assert_equal((price, reason), expected)


@pytest.mark.parametrize(
    ("size_type", "size", "expected"),
    [(nb.SIZE_PERCENT, 0.5, 500.0), (nb.SIZE_CASH, 2_550.0, 200.0), (nb.SIZE_QUANTITY, 345, 300.0)],
    ids=["percent", "cash", "quantity"],
)
def test_target_quantity_nb_rounds_down_to_lots(
    size_type: int, size: float, expected: float
) -> None:
    for kernel in (nb.target_quantity_nb, nb.target_quantity_nb.py_func):
        assert kernel(size_type, size, 10.0, 10_000.0, 100.0) == expected
