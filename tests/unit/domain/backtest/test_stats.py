"""Tests of the backtest statistics, cross-checked against empyrical."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import empyrical  # type: ignore[import-untyped]  # ships no type information
import numpy as np
import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.backtest.stats import (
    MONTH_COLUMNS,
    STAT_KEYS,
    benchmark_equity,
    compute_metrics,
    compute_stats,
    drawdown_series,
    monthly_returns,
    periods_per_year_for,
)
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol
from vibetrading.errors import ConfigError, DataError

REL = 1e-9


@dataclass
class FakeResult:
    equity: pd.Series
    trades: pd.DataFrame = field(default_factory=pd.DataFrame)
    positions: pd.Series | pd.DataFrame | None = None
    settings: dict[str, Any] = field(default_factory=lambda: {"periods_per_year": 252})
    benchmark: pd.Series | None = None


def _curve(values: list[float], *, freq: str = "D", start: str = "2024-01-01") -> pd.Series:
    index = pd.date_range(start, periods=len(values), freq=freq, tz="UTC")
    return pd.Series(values, index=index, dtype=np.float64, name="equity")


def _random_curve(seed: int, periods: int = 1_500) -> pd.Series:
    rng = np.random.default_rng(seed)
    returns = rng.normal(0.0004, 0.012, periods)
    return _curve(list(100_000.0 * np.cumprod(1.0 + returns)))


@pytest.fixture(scope="module")
def spx_close() -> pd.Series:
    """The closes of the bundled S&P 500 sample, 1999-2018."""
    return SampleProvider().fetch_bars(Symbol.parse("SPX"), timeframe=Timeframe.D1).bars["close"]


@pytest.fixture(scope="module")
def ixic_close() -> pd.Series:
    """The closes of the bundled NASDAQ Composite sample, 1999-2018."""
    bars = SampleProvider().fetch_bars(Symbol.parse("IXIC"), timeframe=Timeframe.D1).bars
    return bars["close"]


def _empyrical_reference(returns: pd.Series, periods: float, rf: float) -> dict[str, float]:
    return {
        "sharpe": empyrical.sharpe_ratio(returns, risk_free=rf, annualization=periods),
        "sortino": empyrical.sortino_ratio(returns, required_return=rf, annualization=periods),
        "max_drawdown": empyrical.max_drawdown(returns),
        "volatility": empyrical.annual_volatility(returns, annualization=periods),
        "cagr": empyrical.cagr(returns, annualization=periods),
        "calmar": empyrical.calmar_ratio(returns, annualization=periods),
    }


METRICS = ["sharpe", "sortino", "max_drawdown", "volatility", "cagr", "calmar"]


@pytest.mark.parametrize("risk_free_rate", [0.0, 0.03], ids=["rf0", "rf3pct"])
@pytest.mark.parametrize("metric", METRICS, ids=METRICS)
def test_compute_metrics_spx_buy_and_hold_matches_empyrical(
    spx_close: pd.Series, metric: str, risk_free_rate: float
) -> None:
    equity = spx_close / spx_close.iloc[0] * 100_000.0
    returns = equity.pct_change().iloc[1:]
    rf = (1.0 + risk_free_rate) ** (1.0 / 252) - 1.0

    stats = compute_metrics(
        equity, pd.DataFrame(), periods_per_year=252, risk_free_rate=risk_free_rate
    )

    expected = _empyrical_reference(returns, 252, rf)[metric]
    assert stats[metric] == pytest.approx(expected, rel=REL)


@pytest.mark.parametrize(
    ("seed", "periods"),
    [(1, 252), (2, 365), (3, 8_760), (4, 52)],
    ids=["equities", "crypto", "hourly", "weekly"],
)
def test_compute_metrics_random_curves_match_empyrical(seed: int, periods: float) -> None:
    equity = _random_curve(seed)
    returns = equity.pct_change().iloc[1:]

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=periods)

    reference = _empyrical_reference(returns, periods, 0.0)
    assert {m: stats[m] for m in METRICS} == pytest.approx(reference, rel=REL)


@pytest.mark.parametrize("risk_free_rate", [0.0, 0.02], ids=["rf0", "rf2pct"])
def test_compute_metrics_nasdaq_against_spx_matches_empyrical_alpha_beta(
    spx_close: pd.Series, ixic_close: pd.Series, risk_free_rate: float
) -> None:
    equity = ixic_close / ixic_close.iloc[0] * 50_000.0
    returns = equity.pct_change().iloc[1:].rename("strategy")
    bench_returns = spx_close.pct_change().iloc[1:].rename("benchmark")
    rf = (1.0 + risk_free_rate) ** (1.0 / 252) - 1.0

    stats = compute_metrics(
        equity,
        pd.DataFrame(),
        periods_per_year=252,
        benchmark=spx_close,
        risk_free_rate=risk_free_rate,
    )

    alpha, beta = empyrical.alpha_beta(returns, bench_returns, risk_free=rf, annualization=252)
    information = empyrical.excess_sharpe(returns, bench_returns) * np.sqrt(252)
    assert stats["alpha"] == pytest.approx(alpha, rel=REL)
    assert stats["beta"] == pytest.approx(beta, rel=REL)
    assert stats["information_ratio"] == pytest.approx(information, rel=REL)


@pytest.mark.parametrize("seed", [5, 6, 7], ids=["seed5", "seed6", "seed7"])
def test_compute_metrics_random_benchmark_matches_empyrical_alpha_beta(seed: int) -> None:
    equity = _random_curve(seed)
    benchmark = _random_curve(seed + 100).rename("benchmark")
    returns = equity.pct_change().iloc[1:]
    bench_returns = benchmark.pct_change().iloc[1:]

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=365, benchmark=benchmark)

    alpha, beta = empyrical.alpha_beta(returns, bench_returns, annualization=365)
    assert (stats["alpha"], stats["beta"]) == pytest.approx((alpha, beta), rel=REL)


def test_compute_metrics_any_input_returns_every_key_in_order() -> None:
    equity = _curve([100.0, 101.0, 99.0])

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252)

    assert tuple(stats) == STAT_KEYS


def test_compute_metrics_no_trades_gives_none_for_trade_metrics() -> None:
    equity = _curve([100.0, 101.0, 99.0, 102.0])

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252)

    trade_keys = ["win_rate", "profit_factor", "expectancy", "avg_win", "avg_loss"]
    assert [stats[k] for k in trade_keys] == [None] * len(trade_keys)
    assert (stats["num_trades"], stats["exposure"], stats["turnover"]) == (0, 0.0, 0.0)


def test_compute_metrics_flat_equity_gives_none_ratios() -> None:
    equity = _curve([100.0] * 10)

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252)

    assert (stats["sharpe"], stats["sortino"], stats["calmar"]) == (None, None, None)
    assert (stats["volatility"], stats["max_drawdown"], stats["total_return"]) == (0.0, 0.0, 0.0)


def test_compute_metrics_single_bar_gives_none_for_dispersion() -> None:
    equity = _curve([100.0])

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252)

    assert (stats["cagr"], stats["volatility"], stats["sharpe"]) == (None, None, None)
    assert stats["final_equity"] == 100.0


def test_compute_metrics_no_losing_day_gives_none_sortino() -> None:
    equity = _curve([100.0, 101.0, 103.0, 104.0])

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252)

    assert stats["sortino"] is None
    assert stats["sharpe"] is not None


@pytest.mark.parametrize(
    "equity",
    [
        _curve([100.0] * 5),
        _curve([100.0, 0.0, 0.0]),
        _curve([100.0, 120.0, 80.0, 130.0]),
    ],
    ids=["flat", "wiped-out", "volatile"],
)
def test_compute_metrics_edge_curves_give_strict_json(equity: pd.Series) -> None:
    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252, benchmark=equity * 2)

    text = json.dumps(stats, allow_nan=False)

    assert json.loads(text) == stats


def _trades() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["SPX"] * 4,
            "direction": ["long"] * 4,
            "entry_time": pd.to_datetime(
                ["2024-01-02", "2024-01-05", "2024-01-08", "2024-01-09"], utc=True
            ),
            "entry_price": [10.0, 20.0, 10.0, 50.0],
            "exit_time": pd.to_datetime(
                ["2024-01-04", "2024-01-07", "2024-01-09", pd.NaT], utc=True
            ),
            "exit_price": [20.0, 10.0, 13.0, np.nan],
            "quantity": [10.0, 5.0, 10.0, 1.0],
            "pnl": [100.0, -50.0, 30.0, 0.0],
            "return": [1.0, -0.5, 0.3, 0.0],
            "bars_held": [2, 2, 1, 3],
            "exit_reason": ["signal", "stop_loss", "take_profit", "end"],
            "fees": [0.0] * 4,
        }
    )


def test_compute_metrics_trade_log_gives_trade_statistics() -> None:
    equity = _curve([1_000.0] * 12)

    stats = compute_metrics(equity, _trades(), periods_per_year=252)

    assert stats["num_trades"] == 4
    assert stats["win_rate"] == pytest.approx(0.5)
    assert stats["profit_factor"] == pytest.approx(130.0 / 50.0)
    assert stats["expectancy"] == pytest.approx(20.0)
    assert (stats["avg_win"], stats["avg_loss"]) == pytest.approx((0.65, -0.5))
    assert (stats["best_trade"], stats["worst_trade"]) == pytest.approx((1.0, -0.5))
    assert stats["avg_bars_held"] == pytest.approx(2.0)


def test_compute_metrics_only_winners_gives_none_profit_factor() -> None:
    trades = _trades().iloc[[0, 2]]

    stats = compute_metrics(_curve([1_000.0] * 12), trades, periods_per_year=252)

    assert stats["profit_factor"] is None
    assert stats["win_rate"] == 1.0


def test_compute_metrics_trades_without_positions_gives_exposure_from_holding_bars() -> None:
    equity = _curve([1_000.0] * 10)

    stats = compute_metrics(equity, _trades(), periods_per_year=252)

    # Held: Jan 2-3, Jan 5-6, Jan 8 and Jan 9 to the end (Jan 10): 7 of 10 bars.
    assert stats["exposure"] == pytest.approx(0.7)


def test_compute_metrics_position_series_gives_fraction_of_bars_held() -> None:
    equity = _curve([100.0] * 8)
    positions = pd.Series([0, 1, 1, 0, -2, 0, 0, 3], index=equity.index, dtype=float)

    stats = compute_metrics(equity, _trades(), periods_per_year=252, positions_value=positions)

    assert stats["exposure"] == pytest.approx(4 / 8)


def test_compute_metrics_position_frame_counts_any_symbol_held() -> None:
    equity = _curve([100.0] * 4)
    positions = pd.DataFrame({"A": [0, 1, 0, 0], "B": [0, 1, 1, 0]}, index=equity.index)

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252, positions_value=positions)

    assert stats["exposure"] == pytest.approx(0.5)


def test_compute_metrics_full_round_trip_a_year_gives_turnover_two() -> None:
    equity = _curve([1_000.0] * 252)
    trades = pd.DataFrame({"quantity": [10.0], "entry_price": [100.0], "exit_price": [100.0]})

    stats = compute_metrics(equity, trades, periods_per_year=252)

    assert stats["turnover"] == pytest.approx(2.0)


def test_compute_metrics_explicit_notional_overrides_trades() -> None:
    equity = _curve([1_000.0] * 126)

    stats = compute_metrics(equity, _trades(), periods_per_year=252, turnover_notional=3_000.0)

    assert stats["turnover"] == pytest.approx(6.0)


def test_compute_metrics_recovered_drawdown_gives_peak_to_recovery_duration() -> None:
    equity = _curve([100.0, 120.0, 110.0, 90.0, 115.0, 125.0, 120.0])

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252)

    assert stats["max_drawdown"] == pytest.approx(90.0 / 120.0 - 1.0)
    assert (stats["max_drawdown_duration"], stats["max_drawdown_duration_days"]) == (4, 4.0)


def test_compute_metrics_unrecovered_drawdown_runs_to_last_bar() -> None:
    equity = _curve([100.0, 90.0, 95.0], freq="7D")

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=52)

    assert (stats["max_drawdown_duration"], stats["max_drawdown_duration_days"]) == (2, 14.0)


def test_compute_metrics_initial_equity_counts_first_bar_loss() -> None:
    equity = _curve([99.0, 110.0])

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252, initial_equity=100.0)

    assert stats["total_return"] == pytest.approx(0.1)
    assert stats["max_drawdown"] == pytest.approx(-0.01)


def test_compute_metrics_initial_equity_matches_empyrical_on_all_returns() -> None:
    equity = _random_curve(11)
    returns = pd.concat([pd.Series([equity.iloc[0] / 90_000.0 - 1.0]), equity.pct_change()[1:]])

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252, initial_equity=90_000.0)

    reference = _empyrical_reference(returns.reset_index(drop=True), 252, 0.0)
    assert {m: stats[m] for m in METRICS} == pytest.approx(reference, rel=REL)


def test_compute_metrics_benchmark_gives_benchmark_return_and_beta() -> None:
    equity = _curve([100.0, 102.0, 101.0, 105.0])
    benchmark = pd.Series([10.0, 10.2, 10.1, 10.5], index=equity.index)

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252, benchmark=benchmark)

    assert stats["benchmark_return"] == pytest.approx(0.05)
    assert stats["beta"] == pytest.approx(1.0)
    assert stats["information_ratio"] is None  # no active return to scale


def test_compute_metrics_no_benchmark_gives_none_benchmark_metrics() -> None:
    stats = compute_metrics(_curve([100.0, 101.0, 100.5]), pd.DataFrame(), periods_per_year=252)

    keys = ["alpha", "beta", "information_ratio", "benchmark_return"]
    assert [stats[k] for k in keys] == [None] * 4


def test_compute_metrics_start_end_and_final_equity_describe_the_curve() -> None:
    equity = _curve([100.0, 101.0, 150.0])

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252)

    assert (stats["start"], stats["end"]) == (
        "2024-01-01T00:00:00+00:00",
        "2024-01-03T00:00:00+00:00",
    )
    assert stats["final_equity"] == 150.0


@pytest.mark.parametrize(
    "equity",
    [
        pd.Series([], dtype=float, index=pd.DatetimeIndex([], tz="UTC")),
        _curve([100.0, np.nan, 101.0]),
        pd.Series([1.0, 2.0]),
    ],
    ids=["empty", "missing-value", "no-datetime-index"],
)
def test_compute_metrics_unusable_curve_raises_data_error(equity: pd.Series) -> None:
    with pytest.raises(DataError):
        compute_metrics(equity, pd.DataFrame(), periods_per_year=252)


def test_compute_metrics_non_positive_periods_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="periods_per_year"):
        compute_metrics(_curve([1.0, 2.0]), pd.DataFrame(), periods_per_year=0)


def test_compute_stats_result_uses_settings_cash_and_periods() -> None:
    equity = _curve([99.0, 110.0, 121.0])
    result = FakeResult(equity, settings={"periods_per_year": 365, "cash": 100.0})

    stats = compute_stats(result)

    assert stats["total_return"] == pytest.approx(0.21)
    assert stats["cagr"] == pytest.approx(1.21 ** (365 / 3) - 1.0)


def test_compute_stats_result_passes_benchmark_and_positions() -> None:
    equity = _curve([100.0, 102.0, 101.0, 105.0])
    positions = pd.Series([0.0, 1.0, 1.0, 0.0], index=equity.index)
    benchmark = pd.Series([10.0, 10.5, 10.4, 11.0], index=equity.index)
    result = FakeResult(equity, positions=positions, benchmark=benchmark)

    stats = compute_stats(result)

    assert stats["exposure"] == pytest.approx(0.5)
    assert stats["benchmark_return"] == pytest.approx(0.1)


def test_compute_stats_missing_periods_per_year_raises_config_error() -> None:
    result = FakeResult(_curve([100.0, 101.0]), settings={"cash": 100.0})

    with pytest.raises(ConfigError, match="periods_per_year"):
        compute_stats(result)


def test_drawdown_series_curve_gives_fraction_below_running_peak() -> None:
    equity = _curve([100.0, 120.0, 90.0, 130.0])

    drawdown = drawdown_series(equity)

    assert drawdown.tolist() == pytest.approx([0.0, 0.0, -0.25, 0.0])


@pytest.mark.parametrize(
    ("freq", "periods", "annualisation", "expected"),
    [
        ("D", 400, 365, 365.0),
        ("B", 400, 252, 252.0),
        ("h", 24 * 60, 365, 24 * 365.0),
        ("15min", 4 * 24 * 20, 260, 96 * 260.0),
        ("W", 200, 252, 52.0),
        ("MS", 60, 252, 12.0),
        ("QS", 40, 252, 4.0),
        ("YS", 10, 252, 1.0),
        ("D", 1, 252, 252.0),
    ],
    ids=["daily", "business", "hourly", "15min", "weekly", "monthly", "quarterly", "yearly", "one"],
)
def test_periods_per_year_for_regular_index_gives_bars_per_year(
    freq: str, periods: int, annualisation: float, expected: float
) -> None:
    index = pd.date_range("2020-01-01", periods=periods, freq=freq, tz="UTC")

    estimate = periods_per_year_for(index, annualisation)

    assert estimate == pytest.approx(expected)


def test_periods_per_year_for_us_session_hours_gives_bars_per_session_times_sessions() -> None:
    days = pd.bdate_range("2024-01-01", periods=60, tz="UTC")
    index = pd.DatetimeIndex(
        [d + pd.Timedelta(hours=14) + pd.Timedelta(hours=h) for d in days for h in range(7)]
    )

    estimate = periods_per_year_for(index, 252)

    assert estimate == pytest.approx(7 * 252.0)


def test_periods_per_year_for_irregular_spacing_gives_year_over_median_spacing() -> None:
    index = pd.date_range("2020-01-01", periods=30, freq="14D", tz="UTC")

    estimate = periods_per_year_for(index, 252)

    assert estimate == pytest.approx(365.25 / 14)


def test_benchmark_equity_prices_give_buy_and_hold_from_starting_cash() -> None:
    index = pd.date_range("2024-01-01", periods=5, freq="D", tz="UTC")
    prices = pd.Series([50.0, 55.0, 60.0], index=index[[1, 2, 4]])

    equity = benchmark_equity(prices, index, 1_000.0)

    assert equity.tolist() == pytest.approx([1_000.0, 1_000.0, 1_100.0, 1_100.0, 1_200.0])


def test_benchmark_equity_naive_prices_are_taken_as_utc() -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    prices = pd.Series([10.0, 20.0, 30.0], index=index.tz_localize(None))

    equity = benchmark_equity(prices, index, 10.0)

    assert equity.tolist() == pytest.approx([10.0, 20.0, 30.0])


def test_benchmark_equity_prices_after_the_period_raises_data_error() -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    prices = pd.Series([10.0], index=pd.DatetimeIndex(["2025-01-01"], tz="UTC"))

    with pytest.raises(DataError, match="no price"):
        benchmark_equity(prices, index, 10.0)


def test_monthly_returns_curve_gives_compounded_months_and_year_total() -> None:
    index = pd.DatetimeIndex(
        ["2023-12-15", "2023-12-29", "2024-01-31", "2024-02-29", "2024-03-15"], tz="UTC"
    )
    equity = pd.Series([100.0, 110.0, 121.0, 108.9, 119.79], index=index)

    table = monthly_returns(equity)

    assert list(table.columns) == [*MONTH_COLUMNS, "Year"]
    assert list(table.index) == [2023, 2024]
    assert table.loc[2023, "Dec"] == pytest.approx(0.10)
    assert table.loc[2024, ["Jan", "Feb", "Mar"]].tolist() == pytest.approx([0.10, -0.10, 0.10])
    assert table.loc[2024, "Year"] == pytest.approx(119.79 / 110.0 - 1.0)
    assert np.isnan(table.loc[2024, "Apr"])


def test_monthly_returns_product_of_years_gives_total_return(spx_close: pd.Series) -> None:
    table = monthly_returns(spx_close)

    total = float(np.prod(1.0 + table["Year"].to_numpy()) - 1.0)

    assert total == pytest.approx(spx_close.iloc[-1] / spx_close.iloc[0] - 1.0, rel=REL)


def test_benchmark_equity_non_positive_first_price_raises_data_error() -> None:
    index = pd.date_range("2024-01-01", periods=2, freq="D", tz="UTC")

    with pytest.raises(DataError, match="positive"):
        benchmark_equity(pd.Series([0.0, 1.0], index=index), index, 10.0)


def test_compute_metrics_naive_index_gives_exposure_from_trades() -> None:
    equity = pd.Series([100.0] * 4, index=pd.date_range("2024-01-01", periods=4, freq="D"))
    trades = pd.DataFrame(
        {"entry_time": pd.to_datetime(["2024-01-02"]), "exit_time": pd.to_datetime(["2024-01-04"])}
    )

    stats = compute_metrics(equity, trades, periods_per_year=252)

    assert stats["exposure"] == pytest.approx(0.5)


def test_compute_metrics_trades_without_times_give_none_exposure() -> None:
    trades = pd.DataFrame({"pnl": [1.0]})

    stats = compute_metrics(_curve([100.0, 101.0]), trades, periods_per_year=252)

    assert stats["exposure"] is None


def test_compute_metrics_aware_benchmark_on_naive_curve_is_aligned_as_utc() -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="D")
    equity = pd.Series([100.0, 110.0, 121.0], index=index)
    benchmark = pd.Series([1.0, 2.0, 4.0], index=index.tz_localize("UTC"))

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252, benchmark=benchmark)

    assert stats["benchmark_return"] == pytest.approx(3.0)


def test_compute_metrics_benchmark_without_prices_gives_none() -> None:
    equity = _curve([100.0, 101.0])
    benchmark = pd.Series([np.nan, np.nan], index=equity.index)

    stats = compute_metrics(equity, pd.DataFrame(), periods_per_year=252, benchmark=benchmark)

    assert (stats["benchmark_return"], stats["beta"]) == (None, None)
