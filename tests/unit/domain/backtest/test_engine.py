"""Tests of run_signals: fills, sizing, directions, order types, results and input checks."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

from vibetrading.domain.backtest import BacktestResult, run_signals
from vibetrading.domain.backtest.result import TRADE_COLUMNS
from vibetrading.domain.trading import Symbol
from vibetrading.errors import ConfigError, DataError, UnknownSymbol

FrameFactory = Callable[..., pd.DataFrame]
SignalFactory = Callable[[pd.DataFrame, Sequence[int]], pd.Series]

RISING = [
    (100.0, 101.0, 99.0, 100.0),
    (102.0, 104.0, 101.0, 103.0),
    (104.0, 106.0, 103.0, 105.0),
    (106.0, 108.0, 105.0, 107.0),
    (108.0, 110.0, 107.0, 109.0),
]


def test_run_signals_next_open_fill_buys_at_next_open(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), cash=10_000)

    trade = result.trades.iloc[0]
    assert trade.entry_time == bars.index[1]
    assert trade.entry_price == 102.0
    assert trade.exit_time == bars.index[3]
    assert trade.exit_price == 106.0
    assert trade.quantity == 98.0  # floor(10_000 / 102)


def test_run_signals_close_fill_trades_at_signal_close(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), cash=10_000, fill="close")

    trade = result.trades.iloc[0]
    assert (trade.entry_time, trade.entry_price) == (bars.index[0], 100.0)
    assert (trade.exit_time, trade.exit_price) == (bars.index[2], 105.0)
    assert trade.pnl == pytest.approx(100 * 5.0)
    assert result.final_equity == pytest.approx(10_500.0)


def test_run_signals_equity_is_cash_plus_position_at_close(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(bars, signal(bars, [0]), signal(bars, []), cash=10_000)

    expected = result.cash + result.positions["ASSET"] * bars["close"]
    pd.testing.assert_series_equal(result.equity, expected, check_names=False)
    assert list(result.positions["ASSET"]) == [0.0, 98.0, 98.0, 98.0, 98.0]


def test_run_signals_open_position_closes_with_end_reason(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(bars, signal(bars, [0]), signal(bars, []), cash=10_000)

    trade = result.trades.iloc[0]
    assert trade.exit_reason == "end"
    assert trade.exit_time == bars.index[-1]
    assert trade.exit_price == 109.0
    assert len(result.orders) == 1


def test_run_signals_entry_and_exit_on_one_bar_cancel_out(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(bars, signal(bars, [1]), signal(bars, [1]), cash=10_000)

    assert result.trades.empty
    assert result.final_equity == 10_000.0


def test_run_signals_entry_while_holding_does_not_add(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(bars, signal(bars, [0, 1, 2]), signal(bars, []), cash=10_000)

    assert len(result.orders) == 1
    assert result.positions["ASSET"].iloc[-1] == 98.0


@pytest.mark.parametrize(
    ("size", "size_type", "quantity"),
    [
        (0.5, "percent", 49.0),  # 5_000 / 102
        (3_000.0, "cash", 29.0),  # 3_000 / 102
        (7.0, "quantity", 7.0),
        (1_000.0, "quantity", 98.0),  # capped by the cash
        (1.0, "equal_weight", 98.0),
    ],
    ids=["percent", "cash", "quantity", "quantity-capped-by-cash", "equal-weight"],
)
def test_run_signals_size_types_set_the_quantity(
    frame: FrameFactory, signal: SignalFactory, size: float, size_type: str, quantity: float
) -> None:
    bars = frame(RISING)

    result = run_signals(
        bars,
        signal(bars, [0]),
        signal(bars, []),
        cash=10_000,
        size=size,
        size_type=size_type,  # type: ignore[arg-type]
    )

    assert result.trades.quantity.iloc[0] == quantity


def test_run_signals_volatility_target_scales_by_realised_volatility(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    closes = [100.0, 101.0, 100.0, 101.0, 100.0, 101.0, 100.0, 101.0]
    bars = frame([(c, c + 0.5, c - 0.5, c) for c in closes])
    returns = pd.Series(closes).pct_change()
    realised = returns.rolling(5).std().iloc[6] * math.sqrt(252)
    weight = 0.15 / realised

    result = run_signals(
        bars,
        signal(bars, [6]),
        signal(bars, []),
        cash=10_000,
        size=0.15,
        size_type="volatility_target",
        vol_lookback=5,
        fill="close",
    )

    assert result.trades.quantity.iloc[0] == math.floor(weight * 10_000 / 100.0)


def test_run_signals_volatility_target_waits_for_lookback(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(
        bars, signal(bars, [0]), signal(bars, []), size=0.15, size_type="volatility_target"
    )

    assert result.trades.empty


def test_run_signals_fee_rate_leaves_room_for_the_fee(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0)] * 3)

    result = run_signals(bars, signal(bars, [0]), signal(bars, []), cash=10_000, fee_rate=0.01)

    order = result.orders.iloc[0]
    assert order.quantity == 99.0  # 100 units would cost 10_100 with the fee
    assert order.fees == pytest.approx(99.0)
    assert result.cash.iloc[-1] == pytest.approx(10_000 - 9_900 - 99)


def test_run_signals_slippage_moves_fills_against_the_trader(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), slippage_bps=10)

    trade = result.trades.iloc[0]
    assert trade.entry_price == pytest.approx(102.0 * 1.001)
    assert trade.exit_price == pytest.approx(106.0 * 0.999)


def test_run_signals_short_profits_when_price_falls(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame([(o, o + 1, o - 3, o - 2) for o in (110.0, 108.0, 106.0, 104.0, 102.0)])

    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), cash=10_000, direction="short")

    trade = result.trades.iloc[0]
    assert trade.direction == "short"
    assert trade.quantity == 92.0  # floor(10_000 / 108)
    assert trade.pnl == pytest.approx(92 * (108.0 - 104.0))
    assert result.positions["ASSET"].iloc[1] == -92.0


def test_run_signals_both_directions_reverse_on_opposite_entry(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)

    result = run_signals(
        bars,
        signal(bars, [0]),
        signal(bars, []),
        direction="both",
        short_entries=signal(bars, [2]),
        short_exits=signal(bars, []),
        cash=10_000,
    )

    assert list(result.trades.direction) == ["long", "short"]
    assert result.trades.exit_time.iloc[0] == result.trades.entry_time.iloc[1] == bars.index[3]
    assert list(result.orders.side) == ["buy", "sell", "sell"]


@pytest.mark.parametrize(
    ("order_type", "offset", "row", "price"),
    [
        ("limit", {"limit_offset": 0.02}, (100.0, 101.0, 97.0, 99.0), 98.0),
        ("limit", {"limit_offset": 0.02}, (97.0, 98.0, 96.0, 97.0), 97.0),
        ("stop", {"stop_offset": 0.02}, (101.0, 103.0, 100.0, 102.0), 102.0),
        ("stop", {"stop_offset": 0.02}, (104.0, 105.0, 103.0, 104.0), 104.0),
        ("stop_limit", {"stop_offset": 0.02, "limit_offset": 0.01}, (101, 103, 100, 102), 102.0),
    ],
    ids=["limit-inside", "limit-gap", "stop-inside", "stop-gap", "stop-limit-at-stop"],
)
def test_run_signals_entry_order_types_fill_by_their_rules(
    frame: FrameFactory,
    signal: SignalFactory,
    order_type: str,
    offset: dict[str, float],
    row: tuple[float, float, float, float],
    price: float,
) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0), row, (100.0, 101.0, 99.0, 100.0)])

    result = run_signals(
        bars,
        signal(bars, [0]),
        signal(bars, []),
        order_type=order_type,  # type: ignore[arg-type]
        **offset,  # type: ignore[arg-type]
    )

    order = result.orders.iloc[0]
    assert order.price == pytest.approx(price)
    assert order.timestamp == bars.index[1]
    assert order.order_type == order_type


def test_run_signals_unfilled_limit_order_waits(frame: FrameFactory, signal: SignalFactory) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0)] * 3 + [(99.0, 99.5, 97.0, 98.0)])

    result = run_signals(
        bars, signal(bars, [0]), signal(bars, []), order_type="limit", limit_offset=0.02
    )

    assert result.orders.timestamp.iloc[0] == bars.index[3]
    assert result.orders.price.iloc[0] == 98.0


def test_run_signals_stop_limit_gapping_over_its_limit_rests_as_limit(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    rows = [(100.0, 101.0, 99.0, 100.0), (105.0, 106.0, 104.0, 105.0), (104, 105, 102.5, 103)]
    bars = frame(rows)

    result = run_signals(
        bars,
        signal(bars, [0]),
        signal(bars, []),
        order_type="stop_limit",
        stop_offset=0.02,
        limit_offset=0.01,
    )

    # Stop 102, limit 103.02: bar 1 gaps through both and never comes back to the limit;
    # the triggered order rests as a limit and fills in bar 2.
    order = result.orders.iloc[0]
    assert order.timestamp == bars.index[2]
    assert order.price == pytest.approx(102.0 * 1.01)
    assert order.order_type == "limit"


def test_run_signals_multi_asset_aligns_on_union_and_shares_cash(frame: FrameFactory) -> None:
    days = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC", name="timestamp")
    a = frame([(10.0, 10.5, 9.5, 10.0)] * 4, index=days)
    b = frame([(20.0, 21.0, 19.0, 20.0), (22.0, 23.0, 21.0, 22.0)], index=days[[0, 2]])
    entries = {"A": pd.Series([True, False, False, False], index=a.index), "B": b.close > 0}
    exits = {"A": pd.Series(False, index=a.index), "B": pd.Series(False, index=b.index)}

    result = run_signals({"A": a, "B": b}, entries, exits, cash=1_000, size_type="equal_weight")

    assert list(result.equity.index) == list(days)
    assert list(result.positions.columns) == ["A", "B"]
    assert result.positions["A"].iloc[1] == 50.0  # 500 / 10 at bar 1's open
    assert result.positions["B"].iloc[2] == 22.0  # B has no bar 1: its order waits for bar 2
    assert set(result.orders.timestamp[result.orders.symbol == "B"]) == {days[2]}
    b_value = result.positions["B"].iloc[3] * 22.0  # valued at its last close on day 3
    assert result.equity.iloc[3] == pytest.approx(result.cash.iloc[3] + 50 * 10.0 + b_value)


def test_run_signals_mixed_currencies_without_fx_rejected(flat_bars: pd.DataFrame) -> None:
    signals = {"AAPL": flat_bars.close > 0, "0700.HK": flat_bars.close > 0}

    with pytest.raises(ConfigError, match="HKD"):
        run_signals(
            {"AAPL": flat_bars, "0700.HK": flat_bars},
            signals,
            signals,
            symbol={"AAPL": "AAPL", "0700.HK": "0700.HK"},
        )


def test_run_signals_fx_converts_prices_to_the_base_currency(
    flat_bars: pd.DataFrame, signal: SignalFactory
) -> None:
    rate = pd.Series(0.5, index=flat_bars.index[:1])

    result = run_signals(
        flat_bars,
        signal(flat_bars, [0]),
        signal(flat_bars, []),
        symbol="0700.HK",
        fx={"HKD": rate},
        base_currency="USD",
        cash=10_000,
    )

    assert result.trades.entry_price.iloc[0] == 50.0
    assert result.settings["currency"] == "USD"
    assert flat_bars.open.iloc[1] == 100.0  # the caller's bars are not scaled


def test_run_signals_result_settings_hold_cash_and_periods(flat_bars: pd.DataFrame) -> None:
    result = run_signals(flat_bars, flat_bars.close < 0, flat_bars.close < 0, cash=5_000)

    assert result.settings["cash"] == 5_000.0
    assert result.settings["periods_per_year"] == 252.0
    assert result.periods_per_year == 252.0
    assert result.symbols == ("ASSET",)
    assert result.symbol == "ASSET"


@pytest.mark.parametrize(
    ("freq", "symbol", "expected"),
    [("D", None, 252.0), ("D", "BTC/USDT", 365.0), ("h", None, 24 * 252.0), ("W", None, 52.0)],
    ids=["daily", "crypto-daily", "hourly", "weekly"],
)
def test_run_signals_periods_per_year_follow_bar_spacing(
    frame: FrameFactory, freq: str, symbol: str | None, expected: float
) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0)] * 72, freq=freq)
    never = bars.close < 0

    result = run_signals(bars, never, never, symbol=symbol)

    assert result.periods_per_year == expected


def test_run_signals_given_periods_per_year_and_benchmark_kept(flat_bars: pd.DataFrame) -> None:
    never = flat_bars.close < 0
    benchmark = flat_bars.close.rename("SPX")

    result = run_signals(flat_bars, never, never, periods_per_year=12, benchmark=benchmark)

    assert result.periods_per_year == 12.0
    assert result.benchmark is not None
    assert list(result.benchmark) == list(benchmark)


def test_run_signals_returns_start_from_cash_and_drawdown_nonpositive(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0), (100.0, 101.0, 89.0, 90.0), (90, 96, 89, 95)])

    result = run_signals(bars, signal(bars, [0]), signal(bars, []), cash=10_000, fill="close")

    assert result.returns.iloc[0] == 0.0
    assert result.returns.iloc[1] == pytest.approx(-0.1)
    assert result.drawdown.iloc[1] == pytest.approx(-0.1)
    assert result.drawdown.iloc[2] == pytest.approx(-0.05)


def test_backtest_result_to_dict_has_the_trade_fields(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)
    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), cash=10_000)

    data = result.to_dict()

    assert set(data["trades"][0]) == set(TRADE_COLUMNS)
    assert data["trades"][0]["entry_time"] == "2024-01-02T00:00:00+00:00"
    assert data["trades"][0]["exit_reason"] == "signal"
    assert data["equity"][0] == {"timestamp": "2024-01-01T00:00:00+00:00", "equity": 10_000.0}
    assert data["final_equity"] == result.final_equity


def test_backtest_result_to_json_is_strict_json(frame: FrameFactory, signal: SignalFactory) -> None:
    bars = frame(RISING)
    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), stop_loss=0.5)

    text = result.to_json()

    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert data["settings"]["take_profit"] is None
    assert data["orders"][0]["side"] == "buy"


def test_backtest_result_stats_summarise_the_run(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame(RISING)
    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), cash=10_000)

    stats = result.stats

    assert stats["final_equity"] == pytest.approx(result.final_equity)
    assert stats["num_trades"] == 1
    assert result.to_dict(include_stats=True)["stats"]["num_trades"] == 1


def test_run_signals_accepts_naive_index_signals(frame: FrameFactory) -> None:
    bars = frame(RISING)
    naive = pd.Series([True, False, False, False, False], index=bars.index.tz_localize(None))

    result = run_signals(bars, naive, ~naive & False)

    assert isinstance(result, BacktestResult)
    assert len(result.trades) == 1


def test_run_signals_parses_symbol_codes(flat_bars: pd.DataFrame, signal: SignalFactory) -> None:
    result = run_signals(
        flat_bars, signal(flat_bars, [0]), signal(flat_bars, []), symbol="aapl", cash=10_000
    )

    assert result.symbols == ("AAPL",)
    assert result.orders.fees.iloc[0] == pytest.approx(1.0)  # the $1 minimum commission


def test_run_signals_unknown_symbol_rejected(flat_bars: pd.DataFrame) -> None:
    never = flat_bars.close < 0

    with pytest.raises(UnknownSymbol):
        run_signals(flat_bars, never, never, symbol="not a symbol!")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cash": -1.0}, "cash"),
        ({"fill": "open"}, "fill"),
        ({"stop_loss": 1.5}, "stop_loss"),
        ({"trailing_stop": 0.0}, "trailing_stop"),
        ({"take_profit": -0.1}, "take_profit"),
        ({"take_profit": 1.5, "direction": "short"}, "short"),
        ({"size": 1.5}, "margin"),
        ({"size_type": "kelly"}, "size_type"),
        ({"fee_rate": -0.01}, "fee_rate"),
        ({"fee_rate": 1.0}, "fee_rate"),
        ({"max_volume_share": 2.0}, "max_volume_share"),
        ({"max_holding_bars": 0}, "max_holding_bars"),
        ({"periods_per_year": 0}, "periods_per_year"),
        ({"order_type": "iceberg"}, "order_type"),
        ({"direction": "short", "symbol": "600519.SH"}, "short"),
        ({"short_entries": pd.Series(dtype=bool)}, "direction='both'"),
    ],
    ids=[
        "negative-cash",
        "unknown-fill",
        "stop-over-one",
        "zero-trailing",
        "negative-target",
        "short-target-over-one",
        "size-over-equity",
        "unknown-size-type",
        "negative-fee",
        "fee-of-one",
        "volume-share-over-one",
        "zero-holding",
        "zero-periods",
        "unknown-order-type",
        "a-share-short",
        "short-signals-without-both",
    ],
)
def test_run_signals_invalid_options_rejected(
    flat_bars: pd.DataFrame, options: dict[str, object], message: str
) -> None:
    never = flat_bars.close < 0

    with pytest.raises(ConfigError, match=message):
        run_signals(flat_bars, never, never, **options)  # type: ignore[arg-type]


def test_run_signals_misaligned_signal_rejected(flat_bars: pd.DataFrame) -> None:
    short = pd.Series(False, index=flat_bars.index[:-1])

    with pytest.raises(DataError, match="not aligned"):
        run_signals(flat_bars, short, flat_bars.close < 0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.ones(10), "boolean"),
        (np.array([True] * 9 + [None], dtype=object), "missing"),
        (np.ones(3, dtype=bool), "one value per bar"),
    ],
    ids=["float", "nan", "wrong-length"],
)
def test_run_signals_bad_signal_values_rejected(
    flat_bars: pd.DataFrame, values: np.ndarray, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        run_signals(flat_bars, values, flat_bars.close < 0)


def test_run_signals_nullable_boolean_signal_accepted(flat_bars: pd.DataFrame) -> None:
    entries = (flat_bars.close > 0).astype("boolean")

    result = run_signals(flat_bars, entries, flat_bars.close < 0)

    assert len(result.orders) == 1


def test_run_signals_missing_prices_rejected(frame: FrameFactory) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0), (np.nan, 101.0, 99.0, 100.0)])
    never = pd.Series(False, index=bars.index)

    with pytest.raises(DataError, match="missing or non-positive open"):
        run_signals(bars, never, never)


def test_run_signals_unsorted_bars_rejected(frame: FrameFactory) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0)] * 3).iloc[::-1]
    never = pd.Series(False, index=bars.index)

    with pytest.raises(DataError, match="sorted"):
        run_signals(bars, never, never)


def test_run_signals_dict_signals_must_cover_every_code(flat_bars: pd.DataFrame) -> None:
    never = flat_bars.close < 0

    with pytest.raises(DataError, match="missing: B"):
        run_signals({"A": flat_bars, "B": flat_bars}, {"A": never}, {"A": never, "B": never})


def test_run_signals_dict_bars_need_dict_signals(flat_bars: pd.DataFrame) -> None:
    never = flat_bars.close < 0

    with pytest.raises(DataError, match="dict"):
        run_signals({"A": flat_bars, "B": flat_bars}, never, never)


def test_run_signals_one_frame_with_symbol_dict_rejected(flat_bars: pd.DataFrame) -> None:
    never = flat_bars.close < 0

    with pytest.raises(ConfigError, match="one symbol"):
        run_signals(flat_bars, never, never, symbol={"A": "AAPL"})


def test_run_signals_symbol_object_used_as_given(flat_bars: pd.DataFrame) -> None:
    never = flat_bars.close < 0

    result = run_signals(flat_bars, never, never, symbol=Symbol.parse("MSFT"))

    assert result.symbols == ("MSFT",)
    assert result.settings["markets"] == {"MSFT": "US"}


@pytest.mark.parametrize(
    ("bars", "symbol", "error", "message"),
    [
        ([1.0, 2.0], None, DataError, "Bars DataFrame"),
        ({}, None, DataError, "non-empty dict"),
        ({"A": "not bars"}, None, DataError, "must be a DataFrame"),
        ("dict", "AAPL", ConfigError, "as a dict"),
        ("dict", {"Z": "AAPL"}, ConfigError, "without bars: Z"),
        ("frame", 42, ConfigError, "not int"),
    ],
    ids=["list", "empty-dict", "dict-of-strings", "one-symbol", "unknown-code", "bad-symbol"],
)
def test_run_signals_bad_bars_or_symbols_rejected(
    flat_bars: pd.DataFrame, bars: object, symbol: object, error: type[Exception], message: str
) -> None:
    never = flat_bars.close < 0
    given = {"dict": {"A": flat_bars}, "frame": flat_bars}.get(str(bars), bars)
    signals = {"A": never} if isinstance(given, dict) else never

    with pytest.raises(error, match=message):
        run_signals(given, signals, signals, symbol=symbol)  # type: ignore[arg-type]


def test_run_signals_non_canonical_bars_converted(frame: FrameFactory) -> None:
    bars = frame(RISING)
    bars["volume"] = bars["volume"].astype(np.int64)
    bars.index = bars.index.tz_localize(None)

    result = run_signals(bars, bars.close > 0, bars.close < 0)

    assert str(result.equity.index.tz) == "UTC"
    assert len(result.orders) == 1


def test_run_signals_volume_share_needs_volume(frame: FrameFactory) -> None:
    bars = frame(RISING)
    bars.loc[bars.index[2], "volume"] = np.nan
    never = bars.close < 0

    with pytest.raises(DataError, match="volume"):
        run_signals(bars, never, never, max_volume_share=0.1)


def test_run_signals_frame_signal_rejected(flat_bars: pd.DataFrame) -> None:
    signals = pd.DataFrame({"a": flat_bars.close > 0})

    with pytest.raises(DataError, match="boolean Series"):
        run_signals(flat_bars, signals, flat_bars.close < 0)


def test_run_signals_object_array_of_bools_accepted(flat_bars: pd.DataFrame) -> None:
    entries = np.array([True] + [False] * 9, dtype=object)

    result = run_signals(flat_bars, entries, np.zeros(10, dtype=bool))

    assert len(result.orders) == 1


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ([0.5] * 10, "must be a Series"),
        (pd.Series(0.5, index=pd.date_range("2024-01-05", periods=3, tz="UTC")), "no positive"),
    ],
    ids=["not-a-series", "starts-late"],
)
def test_run_signals_bad_fx_rejected(flat_bars: pd.DataFrame, rate: object, message: str) -> None:
    never = flat_bars.close < 0

    with pytest.raises(DataError, match=message):
        run_signals(
            flat_bars, never, never, symbol="0700.HK", fx={"HKD": rate}, base_currency="USD"
        )


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("MS", 12.0), ("QS", 4.0), ("14D", 365.25 / 14)],
    ids=["monthly", "quarterly", "fortnightly"],
)
def test_run_signals_periods_per_year_for_long_bars(
    frame: FrameFactory, freq: str, expected: float
) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0)] * 12, freq=freq)
    never = bars.close < 0

    result = run_signals(bars, never, never)

    assert result.periods_per_year == pytest.approx(expected)


def test_run_signals_benchmark_must_be_a_series(flat_bars: pd.DataFrame) -> None:
    never = flat_bars.close < 0

    with pytest.raises(DataError, match="benchmark"):
        run_signals(flat_bars, never, never, benchmark=[1.0, 2.0])


def test_backtest_result_to_json_converts_numpy_settings(flat_bars: pd.DataFrame) -> None:
    never = flat_bars.close < 0
    result = run_signals(flat_bars, flat_bars.close > 0, never, size=np.float64(0.5))

    data = json.loads(result.to_json())

    assert data["settings"]["size"] == 0.5


def test_run_signals_short_squeeze_can_leave_cash_negative(
    frame: FrameFactory, signal: SignalFactory
) -> None:
    bars = frame([(100.0, 101.0, 99.0, 100.0)] * 2 + [(300.0, 310.0, 290.0, 300.0)] * 3)

    result = run_signals(bars, signal(bars, [0]), signal(bars, [2]), direction="short")

    assert result.cash.iloc[-1] == pytest.approx(100_000 + 1_000 * 100.0 - 1_000 * 300.0)
    assert result.final_equity == pytest.approx(-100_000.0)
    assert result.trades.pnl.iloc[0] == pytest.approx(-200_000.0)
