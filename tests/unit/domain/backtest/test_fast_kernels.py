"""The lean kernel gives, bit for bit, what the general kernel gives on the runs it accepts."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.backtest import run_signals
from vibetrading.domain.backtest.result import expand_fills

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
SIGNAL_SETS = {
    "long": (True, True, False, False),
    "short": (False, False, True, True),
    "both": (True, True, True, True),
    "long-entries-short-exits": (True, False, False, True),
}


@st.composite
def lean_runs(draw: st.DrawFn) -> dict[str, Any]:
    """Random bars, signals, costs and options inside the domain of simulate_one_nb."""
    n = draw(st.integers(1, 60))
    price = draw(st.sampled_from([0.5, 20.0, 3_000.0]))
    moves = np.array(draw(st.lists(st.floats(-0.1, 0.1), min_size=n, max_size=n)))
    gaps = np.array(draw(st.lists(st.floats(-0.05, 0.05), min_size=n, max_size=n)))
    spread = np.array(draw(st.lists(st.floats(0.0, 0.06), min_size=2 * n, max_size=2 * n)))
    close = price * np.exp(np.cumsum(moves))
    open_ = np.concatenate([[price], close[:-1]]) * np.exp(gaps)
    high = np.maximum(open_, close) * (1 + spread[:n])
    low = np.minimum(open_, close) * (1 - spread[n:])
    chance = draw(st.sampled_from([0.05, 0.3, 0.6]))
    draws = np.array(draw(st.lists(st.floats(0, 1), min_size=4 * n, max_size=4 * n)))
    present = SIGNAL_SETS[draw(st.sampled_from(list(SIGNAL_SETS)))]
    signals = [
        (draws[k * n : (k + 1) * n] < chance) if is_there else None
        for k, is_there in enumerate(present)
    ]
    return {
        "bars": (open_, high, low, close),
        "signals": signals,
        "sizes": _sizes(draw, n),
        "params": _params(draw),
        "config": _config(draw),
    }


def _sizes(draw: st.DrawFn, n: int) -> FloatArray:
    kind = draw(st.sampled_from(["all-in", "part", "cash", "per-bar"]))
    if kind == "per-bar":  # volatility targeting: a weight per bar, NaN before the lookback
        weights = draw(st.lists(st.sampled_from([np.nan, 0.0, 0.2, 0.7, 1.0]), min_size=n))
        return np.array(weights[:n], dtype=np.float64)
    return np.array([{"all-in": 1.0, "part": 0.35, "cash": 2_500.0}[kind]])


def _params(draw: st.DrawFn) -> FloatArray:
    params = np.zeros(nb.N_PARAMS)
    params[nb.P_COMMISSION_RATE] = draw(st.sampled_from([0.0, 0.0005, 0.01]))
    params[nb.P_COMMISSION_PER_UNIT] = draw(st.sampled_from([0.0, 0.005]))
    params[nb.P_COMMISSION_MIN] = draw(st.sampled_from([0.0, 1.0, 25.0]))
    params[nb.P_STAMP_DUTY_BUY] = draw(st.sampled_from([0.0, 0.001]))
    params[nb.P_STAMP_DUTY_SELL] = draw(st.sampled_from([0.0, 0.0005]))
    params[nb.P_LEVY] = draw(st.sampled_from([0.0, 0.00003]))
    params[nb.P_SELL_FEE] = draw(st.sampled_from([0.0, 0.0002]))
    params[nb.P_SLIPPAGE] = draw(st.sampled_from([0.0, 0.0005, 0.01]))
    lot = draw(st.sampled_from([1.0, 100.0, 0.001]))
    params[nb.P_LOT] = lot
    params[nb.P_SELL_LOT] = draw(st.sampled_from([lot, min(lot, 1.0)]))
    params[nb.P_PRICE_LIMIT] = np.nan
    return params


def _config(draw: st.DrawFn) -> FloatArray:
    config = np.full(nb.N_CONFIG, np.nan)
    config[nb.C_INIT_CASH] = draw(st.sampled_from([1_000.0, 100_000.0]))
    config[nb.C_SIZE_TYPE] = draw(st.sampled_from([nb.SIZE_PERCENT, nb.SIZE_CASH]))
    config[nb.C_FILL_CLOSE] = draw(st.sampled_from([0.0, 1.0]))
    config[nb.C_STOPS_FIRST] = draw(st.sampled_from([0.0, 1.0]))
    config[nb.C_ORDER_TYPE] = nb.MARKET
    config[nb.C_LIMIT_OFFSET] = config[nb.C_STOP_OFFSET] = 0.0
    for index, values in (
        (nb.C_STOP_LOSS, [np.nan, 0.02, 0.1]),
        (nb.C_TAKE_PROFIT, [np.nan, 0.03, 0.5]),
        (nb.C_TRAILING_STOP, [np.nan, 0.04]),
        (nb.C_MAX_HOLDING, [np.nan, 1.0, 3.0]),
    ):
        config[index] = draw(st.sampled_from(values))
    return config


def _column(values: FloatArray | BoolArray) -> Any:
    return np.ascontiguousarray(values).reshape(-1, 1)


def _run_general(run: dict[str, Any], capacity: int) -> tuple[Any, ...]:
    open_, high, low, close = (_column(v) for v in run["bars"])
    n = len(close)
    le, lx, se, sx = (_column(np.zeros(n, np.bool_) if s is None else s) for s in run["signals"])
    return nb.simulate_nb(
        open_, high, low, close, np.full((n, 1), 1e9), np.ones((1, 1), np.bool_),
        np.zeros((1, 1), np.int64), np.zeros((1, 1)), le, lx, se, sx, _column(run["sizes"]),
        run["params"].reshape(1, -1), run["config"], capacity, capacity,
    )  # fmt: skip


def _run_lean(run: dict[str, Any], capacity: int, kernel: Any = nb.simulate_one_nb) -> Any:
    none = np.zeros(0, dtype=np.bool_)
    le, lx, se, sx = (none if s is None else s for s in run["signals"])
    open_, high, low, close = run["bars"]
    params, config = tuple(run["params"].tolist()), tuple(run["config"].tolist())
    return kernel(
        open_, high, low, close, le, lx, se, sx, run["sizes"], params, config, capacity, capacity
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(run=lean_runs())
def test_simulate_one_nb_matches_simulate_nb_bit_for_bit(run: dict[str, Any]) -> None:
    capacity = 2 * len(run["bars"][0]) + 8

    equity, cash, positions, orders, trades, is_complete = _run_general(run, capacity)
    lean_equity, lean_orders, lean_trades, lean_complete = _run_lean(run, capacity)

    assert is_complete
    assert lean_complete
    n = len(equity)
    np.testing.assert_array_equal(lean_equity, equity)
    np.testing.assert_array_equal(lean_orders[:, : nb.N_ORDER_FIELDS], orders)
    np.testing.assert_array_equal(lean_trades, trades)
    initial = run["config"][nb.C_INIT_CASH]
    np.testing.assert_array_equal(expand_fills(lean_orders, nb.O_CASH_AFTER, initial, n), cash)
    np.testing.assert_array_equal(
        expand_fills(lean_orders, nb.O_POSITION_AFTER, 0.0, n), positions[:, 0]
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(run=lean_runs())
def test_simulate_one_nb_interpreted_matches_compiled(run: dict[str, Any]) -> None:
    # run_signals interprets small runs in a process that has not started numba yet.
    capacity = 2 * len(run["bars"][0]) + 8

    compiled = _run_lean(run, capacity)
    interpreted = _run_lean(run, capacity, kernel=nb.simulate_one_nb.py_func)

    for ours, theirs in zip(interpreted, compiled, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(run=lean_runs(), capacity=st.integers(0, 16))
def test_simulate_one_nb_asks_for_room_when_simulate_nb_does(
    run: dict[str, Any], capacity: int
) -> None:
    general = _run_general(run, capacity)
    lean = _run_lean(run, capacity)

    assert lean[-1] == general[-1]


@pytest.mark.parametrize("capacity", [5, 6, 7], ids=["short-early", "short-late", "enough"])
def test_simulate_one_nb_asks_for_room_on_the_bar_simulate_nb_does(capacity: int) -> None:
    # Two fills by bar 2, then quiet bars: simulate_nb runs out of room at the top of bar 3.
    close = np.array([10.0, 10.0, 10.0, 10.0, 10.0])
    run: dict[str, Any] = {
        "bars": (close, close * 1.01, close * 0.99, close),
        "signals": [np.arange(5) == 0, np.arange(5) == 1, None, None],
        "sizes": np.array([1.0]),
        "params": np.zeros(nb.N_PARAMS),
        "config": np.full(nb.N_CONFIG, np.nan),
    }
    run["params"][[nb.P_LOT, nb.P_SELL_LOT]] = 1.0
    run["params"][nb.P_PRICE_LIMIT] = np.nan
    config = run["config"]
    config[[nb.C_INIT_CASH, nb.C_SIZE_TYPE, nb.C_ORDER_TYPE]] = [
        1_000.0,
        nb.SIZE_PERCENT,
        nb.MARKET,
    ]
    config[[nb.C_FILL_CLOSE, nb.C_STOPS_FIRST, nb.C_LIMIT_OFFSET, nb.C_STOP_OFFSET]] = 0.0

    general = _run_general(run, capacity)
    lean = _run_lean(run, capacity)

    assert lean[-1] is general[-1] is (capacity >= 7)
    assert len(general[3]) == (2 if general[-1] else 0)


@pytest.mark.parametrize(
    ("options", "is_lean"),
    [
        ({}, True),
        ({"symbol": "AAPL", "direction": "both", "stop_loss": 0.05}, True),
        ({"symbol": "BTC/USDT", "fill": "close", "size_type": "volatility_target"}, True),
        ({"order_type": "limit", "limit_offset": 0.01}, False),
        ({"max_volume_share": 0.1}, False),
        ({"symbol": "600519.SH"}, False),
    ],
    ids=["plain", "us-both-stops", "crypto-close-vol", "limit", "volume-cap", "a-share-t1"],
)
def test_run_signals_picks_the_lean_kernel_only_when_it_applies(
    options: dict[str, Any], is_lean: bool
) -> None:
    index = pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC")
    close = 100 * np.exp(np.cumsum(np.sin(np.arange(60)) * 0.02))
    bars = pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1e6},
        index=index.rename("timestamp"),
    )
    entries = pd.Series(np.arange(60) % 10 == 0, index=index)
    exits = pd.Series(np.arange(60) % 10 == 5, index=index)

    result = run_signals(bars, entries, exits, **options)

    lean_columns = nb.N_ORDER_FIELDS + 2
    assert (result._records.orders.shape[1] == lean_columns) is is_lean  # type: ignore[attr-defined]
    assert len(result.orders) > 0
