"""The result of run_signals: frames built on first access behave as frames built at once."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from vibetrading.domain.backtest import BacktestResult, run_signals
from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.backtest.result import expand_fills

FrameFactory = Callable[..., pd.DataFrame]
SignalFactory = Callable[[pd.DataFrame, Sequence[int]], pd.Series]

WAVE = [(100.0 + d, 102.0 + d, 98.0 + d, 100.0 + d) for d in (0, 2, 4, 3, 1, -1, 0, 2, 5, 6)]
MARKETS = [{}, {"symbol": "600519.SH"}]  # the lean kernel, then the general one


@pytest.mark.parametrize("options", MARKETS, ids=["lean", "general"])
def test_result_survives_a_pickle_round_trip(
    frame: FrameFactory, signal: SignalFactory, options: dict[str, str]
) -> None:
    bars = frame(WAVE)
    result = run_signals(bars, signal(bars, [0, 6]), signal(bars, [3]), **options)

    copy = pickle.loads(pickle.dumps(result))  # noqa: S301 - our own object

    assert isinstance(copy, BacktestResult)
    pd.testing.assert_frame_equal(copy.trades, result.trades)
    pd.testing.assert_frame_equal(copy.orders, result.orders)
    pd.testing.assert_series_equal(copy.cash, result.cash)
    pd.testing.assert_frame_equal(copy.positions, result.positions)


@pytest.mark.parametrize("options", MARKETS, ids=["lean", "general"])
def test_result_replace_keeps_the_other_frames(
    frame: FrameFactory, signal: SignalFactory, options: dict[str, str]
) -> None:
    bars = frame(WAVE)
    result = run_signals(bars, signal(bars, [0]), signal(bars, [3]), **options)

    other = dataclasses.replace(result, settings={**result.settings, "note": "copy"})

    assert other.settings["note"] == "copy"
    pd.testing.assert_frame_equal(other.trades, result.trades)
    pd.testing.assert_series_equal(other.cash, result.cash)


def test_result_cash_and_positions_follow_the_fills(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(WAVE)

    result = run_signals(bars, signal(bars, [0, 6]), signal(bars, [3]), cash=10_000)

    held = [0, 98, 98, 98, 0, 0, 0, 97, 97, 97]  # filled at the next open, all in
    assert result.positions["ASSET"].tolist() == held
    assert result.cash.iloc[0] == 10_000
    assert result.cash.iloc[1] == pytest.approx(10_000 - 98 * 102.0)
    np.testing.assert_allclose(
        result.equity, result.cash + result.positions["ASSET"] * bars["close"]
    )


def test_expand_fills_holds_the_value_after_each_bars_last_fill() -> None:
    orders = np.zeros((3, nb.N_ORDER_FIELDS + 2))
    orders[:, nb.O_BAR] = [2, 2, 4]
    orders[:, nb.O_CASH_AFTER] = [50.0, 70.0, 90.0]

    values = expand_fills(orders, nb.O_CASH_AFTER, 10.0, 6)

    assert values.tolist() == [10.0, 10.0, 70.0, 70.0, 90.0, 90.0]


def test_expand_fills_without_fills_is_the_value_before() -> None:
    orders = np.zeros((0, nb.N_ORDER_FIELDS + 2))

    values = expand_fills(orders, nb.O_POSITION_AFTER, 0.0, 3)

    assert values.tolist() == [0.0, 0.0, 0.0]
