"""Performance statistics of a backtest: return, risk, trade and benchmark metrics.

Every ratio follows the conventions of empyrical, so that library serves as a cross-check:

* Period returns are simple returns of the equity curve, one per bar. Without
  ``initial_equity`` the first equity value is the base and a curve of N values gives N-1
  returns; with it, the first return is ``equity[0] / initial_equity - 1`` (N returns).
* ``volatility`` = std(r, ddof=1) * sqrt(periods_per_year).
* ``sharpe`` = mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year).
* ``sortino`` = mean(r - rf) * periods_per_year / downside risk, where the downside risk is
  sqrt(mean(min(r - rf, 0) ** 2)) * sqrt(periods_per_year): the mean runs over every period,
  not only the losing ones (empyrical's ``downside_risk``).
* ``cagr`` = growth ** (periods_per_year / number of returns) - 1 (years counted in bars).
* ``max_drawdown`` = min(equity / running peak - 1), a fraction <= 0; the starting value
  counts as a peak.
* ``calmar`` = cagr / |max_drawdown|.
* ``beta`` = cov(r, b) / var(b) with population moments; ``alpha`` =
  (1 + mean(r - rf - beta * (b - rf))) ** periods_per_year - 1 (annualised by compounding).
* ``information_ratio`` = mean(r - b) / std(r - b, ddof=1) * sqrt(periods_per_year):
  empyrical's ``excess_sharpe`` annualised.
* ``rf`` is the per-period rate (1 + risk_free_rate) ** (1 / periods_per_year) - 1, where
  ``risk_free_rate`` is annual.
* ``turnover`` is annualised: traded notional (entries and exits) per year divided by the
  average equity. Buying and selling the whole account once a year gives 2.0.

Values that are undefined (no trades, zero volatility, no losing trade for the profit factor,
no benchmark) are None rather than NaN or infinity, so the dictionary is valid JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.errors import ConfigError, DataError

__all__ = [
    "MONTH_COLUMNS",
    "STAT_KEYS",
    "BacktestResultLike",
    "StatValue",
    "benchmark_equity",
    "compute_metrics",
    "compute_stats",
    "drawdown_series",
    "monthly_returns",
    "periods_per_year_for",
]

StatValue = float | int | str | None
FloatArray = npt.NDArray[np.float64]

STAT_KEYS: tuple[str, ...] = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "max_drawdown_duration",
    "max_drawdown_duration_days",
    "calmar",
    "win_rate",
    "profit_factor",
    "expectancy",
    "avg_win",
    "avg_loss",
    "best_trade",
    "worst_trade",
    "num_trades",
    "avg_bars_held",
    "exposure",
    "turnover",
    "alpha",
    "beta",
    "information_ratio",
    "benchmark_return",
    "start",
    "end",
    "final_equity",
)
MONTH_COLUMNS: tuple[str, ...] = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_NS_PER_DAY = 86_400 * 10**9


class BacktestResultLike(Protocol):
    """The attributes of a backtest result that the statistics read."""

    @property
    def equity(self) -> pd.Series: ...

    @property
    def trades(self) -> pd.DataFrame: ...

    @property
    def positions(self) -> pd.Series | pd.DataFrame | None: ...

    @property
    def settings(self) -> Mapping[str, Any]: ...

    @property
    def benchmark(self) -> pd.Series | None: ...


def compute_stats(result: BacktestResultLike) -> dict[str, StatValue]:
    """Return the summary statistics of a backtest result (keys in ``STAT_KEYS``).

    Reads ``settings["periods_per_year"]`` (required), ``settings["cash"]`` (the starting
    cash, so fees paid on the first bar count) and ``settings["risk_free_rate"]`` (annual,
    default 0). Raises ConfigError without ``periods_per_year``; see ``compute_metrics``.
    """
    settings = result.settings
    periods = settings.get("periods_per_year")
    if periods is None:
        raise ConfigError("The backtest settings lack 'periods_per_year' to annualise metrics.")
    cash = settings.get("cash")
    return compute_metrics(
        result.equity,
        result.trades,
        periods_per_year=float(periods),
        benchmark=result.benchmark,
        positions_value=result.positions,
        risk_free_rate=float(settings.get("risk_free_rate", 0.0)),
        initial_equity=None if cash is None else float(cash),
    )


def compute_metrics(
    equity: pd.Series,
    trades: pd.DataFrame,
    *,
    periods_per_year: float,
    benchmark: pd.Series | None = None,
    positions_value: pd.Series | pd.DataFrame | None = None,
    turnover_notional: float | None = None,
    risk_free_rate: float = 0.0,
    initial_equity: float | None = None,
) -> dict[str, StatValue]:
    """Compute the statistics of an equity curve and its trade log (keys in ``STAT_KEYS``).

    `equity` is the account value per bar (DatetimeIndex); `trades` has the columns pnl,
    return and bars_held (entry_time, exit_time, quantity, entry_price and exit_price for
    exposure and turnover when `positions_value` and `turnover_notional` are not given).
    `benchmark` holds benchmark prices, forward-filled onto the equity index. A bar counts
    as exposed when `positions_value` (per bar, or one column per symbol) is non-zero.
    `risk_free_rate` is an annual fraction. The module docstring lists the formulas.
    Raises DataError for an empty curve or one with missing values, ConfigError for a
    non-positive `periods_per_year`.

    >>> import pandas as pd
    >>> curve = pd.Series([100.0, 110.0, 99.0], index=pd.date_range("2024-01-01", periods=3))
    >>> stats = compute_metrics(curve, pd.DataFrame(), periods_per_year=252)
    >>> round(stats["max_drawdown"], 6), stats["win_rate"]
    (-0.1, None)
    """
    curve = _check_equity(equity)
    if not periods_per_year > 0:
        raise ConfigError(f"periods_per_year must be positive, not {periods_per_year}.")
    values = curve.to_numpy(dtype=np.float64)
    anchored = values if initial_equity is None else np.concatenate(([initial_equity], values))
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = anchored[1:] / anchored[:-1] - 1.0
    rf = (1.0 + risk_free_rate) ** (1.0 / periods_per_year) - 1.0
    stats: dict[str, StatValue] = {}
    stats.update(_return_metrics(anchored, returns, periods_per_year, rf))
    stats.update(_drawdown_metrics(anchored, curve.index, stats["cagr"]))
    stats.update(_trade_metrics(trades))
    stats["exposure"] = _exposure(curve.index, trades, positions_value)
    stats["turnover"] = _turnover(values, trades, turnover_notional, periods_per_year)
    stats.update(_benchmark_metrics(curve.index, returns, benchmark, periods_per_year, rf))
    stats["start"] = curve.index[0].isoformat()
    stats["end"] = curve.index[-1].isoformat()
    stats["final_equity"] = _number(values[-1])
    return {key: stats[key] for key in STAT_KEYS}


def drawdown_series(equity: pd.Series) -> pd.Series:
    """Return the drawdown of `equity` per bar: value / running peak - 1 (a fraction <= 0)."""
    curve = _check_equity(equity)
    peak = curve.cummax()
    return (curve / peak - 1.0).rename("drawdown")


def periods_per_year_for(index: pd.DatetimeIndex, market_annualisation: float) -> float:
    """Estimate the number of bars per year of a bar index, to annualise metrics.

    Daily bars give `market_annualisation` (sessions per year: 252 for equities, 365 for
    crypto). Intraday bars (median spacing under 18 hours) give the median number of bars
    per UTC calendar date times `market_annualisation`: 24 * 365 for hourly crypto. Weekly,
    monthly, quarterly and yearly bars give 52, 12, 4 and 1; other spacings 365.25 days
    divided by the median spacing. Fewer than two bars give `market_annualisation`.

    >>> import pandas as pd
    >>> hours = pd.date_range("2024-01-01", periods=24 * 30, freq="h", tz="UTC")
    >>> periods_per_year_for(hours, 365)
    8760.0
    """
    if len(index) < 2:
        return float(market_annualisation)
    spacing_days = float(np.median(np.diff(index.as_unit("ns").asi8))) / _NS_PER_DAY
    if spacing_days < 0.75:
        days = index.as_unit("ns").asi8 // _NS_PER_DAY  # sorted bars: equal days are adjacent
        per_date = np.diff(np.flatnonzero(np.r_[True, days[1:] != days[:-1], True]))
        return float(np.median(per_date)) * float(market_annualisation)
    if spacing_days < 4:
        return float(market_annualisation)
    for low, high, periods in ((4, 10, 52.0), (25, 35, 12.0), (80, 100, 4.0), (350, 380, 1.0)):
        if low <= spacing_days < high:
            return periods
    return 365.25 / spacing_days


def benchmark_equity(prices: pd.Series, index: pd.DatetimeIndex, initial_cash: float) -> pd.Series:
    """Return buy and hold of `prices` as an account value on `index`, starting at `initial_cash`.

    Prices are forward-filled onto `index`; bars before the first price hold the cash. Raises
    DataError when no price falls on or before the end of `index` or the first is not positive.
    """
    aligned = _align_prices(prices, index)
    valid = aligned.dropna()
    if valid.empty:
        raise DataError("The benchmark has no price within the backtest period.")
    first = float(valid.iloc[0])
    if not first > 0:
        raise DataError(f"The benchmark's first price must be positive, not {first}.")
    return (aligned / first * float(initial_cash)).fillna(float(initial_cash)).rename("benchmark")


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Return the compounded return of each calendar month (UTC) as years x months.

    Columns are ``MONTH_COLUMNS`` (Jan..Dec) and ``Year``, the compounded return of the
    months present in that year; months without bars are NaN. The first month is measured
    from the first equity value, later months from the previous month's last value.
    """
    curve = _check_equity(equity)
    month_end = curve.resample("ME").last().dropna()
    previous = month_end.shift(1)
    previous.iloc[0] = curve.iloc[0]
    returns = month_end / previous - 1.0
    frame = pd.DataFrame(
        {"year": month_end.index.year, "month": month_end.index.month, "r": returns.to_numpy()}
    )
    table = frame.pivot(index="year", columns="month", values="r").reindex(columns=range(1, 13))
    table.columns = list(MONTH_COLUMNS)
    table["Year"] = (1.0 + table[list(MONTH_COLUMNS)]).prod(axis=1, min_count=1) - 1.0
    table.index.name = "year"
    return table


def _check_equity(equity: pd.Series) -> pd.Series:
    if not isinstance(equity.index, pd.DatetimeIndex):
        raise DataError("The equity curve needs a DatetimeIndex.")
    if len(equity) == 0:
        raise DataError("The equity curve is empty: the backtest produced no bars.")
    curve = equity.astype(np.float64)
    if curve.isna().any():
        raise DataError("The equity curve has missing values; fill or drop them first.")
    return curve


def _number(value: float | np.floating[Any]) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None


def _zero_dispersion(values: FloatArray) -> bool:
    # Equal values have std exactly zero but their float mean can differ in the last bit.
    return bool(values.max() == values.min())


def _return_metrics(
    anchored: FloatArray, returns: FloatArray, periods: float, rf: float
) -> dict[str, StatValue]:
    count = len(returns)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = anchored[-1] / anchored[0]
        cagr = growth ** (1.0 / (count / periods)) - 1.0 if count else np.nan
    stats: dict[str, StatValue] = {
        "total_return": _number(growth - 1.0),
        "cagr": _number(cagr),
        "volatility": None,
        "sharpe": None,
        "sortino": None,
    }
    if count < 2:
        return stats
    excess = returns - rf
    stats["volatility"] = _number(np.std(returns, ddof=1) * np.sqrt(periods))
    if not _zero_dispersion(excess):
        stats["sharpe"] = _number(np.mean(excess) / np.std(excess, ddof=1) * np.sqrt(periods))
    downside = np.sqrt(np.mean(np.square(np.clip(excess, None, 0.0)))) * np.sqrt(periods)
    if downside > 0:
        stats["sortino"] = _number(np.mean(excess) * periods / downside)
    return stats


def _drawdown_metrics(
    anchored: FloatArray, index: pd.DatetimeIndex, cagr: StatValue
) -> dict[str, StatValue]:
    peak = np.maximum.accumulate(anchored)
    with np.errstate(divide="ignore", invalid="ignore"):
        drawdown = anchored / peak - 1.0
    worst = float(np.min(drawdown))
    positions = np.arange(len(anchored))
    peak_position = np.maximum.accumulate(np.where(anchored >= peak, positions, 0))
    since_peak = positions - peak_position
    last_under = int(np.argmax(since_peak))
    bars, days = 0, 0.0
    if since_peak[last_under] > 0:
        # The bar after the longest spell regains the peak, unless the spell runs to the end.
        end = min(last_under + 1, len(anchored) - 1)
        start = int(peak_position[last_under])
        nanos = index.as_unit("ns").asi8
        stamps = nanos if len(anchored) == len(index) else np.r_[nanos[0], nanos]
        bars, days = end - start, float(stamps[end] - stamps[start]) / _NS_PER_DAY
    calmar = None
    if isinstance(cagr, float) and worst < 0:
        calmar = _number(cagr / abs(worst))
    return {
        "max_drawdown": _number(worst),
        "max_drawdown_duration": bars,
        "max_drawdown_duration_days": days,
        "calmar": calmar,
    }


def _column(trades: pd.DataFrame, name: str) -> FloatArray:
    if name not in trades.columns:
        return np.full(len(trades), np.nan)
    return np.asarray(pd.to_numeric(trades[name], errors="coerce"), dtype=np.float64)


def _mean(values: FloatArray) -> float | None:
    finite = values[np.isfinite(values)]
    return _number(np.mean(finite)) if len(finite) else None


def _trade_metrics(trades: pd.DataFrame) -> dict[str, StatValue]:
    pnl, ret = _column(trades, "pnl"), _column(trades, "return")
    closed = np.isfinite(pnl)
    wins, losses = closed & (pnl > 0), closed & (pnl < 0)
    gross_loss = -float(np.sum(pnl[losses]))
    finite_returns = ret[np.isfinite(ret)]
    return {
        "win_rate": _number(np.mean(wins[closed])) if closed.any() else None,
        "profit_factor": _number(np.sum(pnl[wins]) / gross_loss) if gross_loss > 0 else None,
        "expectancy": _mean(pnl),
        "avg_win": _mean(ret[wins]),
        "avg_loss": _mean(ret[losses]),
        "best_trade": _number(finite_returns.max()) if len(finite_returns) else None,
        "worst_trade": _number(finite_returns.min()) if len(finite_returns) else None,
        "num_trades": len(trades),
        "avg_bars_held": _mean(_column(trades, "bars_held")),
    }


def _exposure(
    index: pd.DatetimeIndex,
    trades: pd.DataFrame,
    positions_value: pd.Series | pd.DataFrame | None,
) -> float | None:
    if positions_value is not None:
        held = positions_value.reindex(index).fillna(0.0).abs()
        is_held = held.to_numpy(dtype=np.float64) != 0
        return float(np.mean(is_held if is_held.ndim == 1 else is_held.any(axis=1)))
    if len(trades) == 0:
        return 0.0
    if "entry_time" not in trades.columns:
        return None
    # Without positions, a trade holds the bars from its entry up to (not including) its exit.
    entries = _positions_of(index, trades["entry_time"], default=0)
    no_exit = pd.Series(pd.NaT, index=trades.index)
    exits = _positions_of(index, trades.get("exit_time", no_exit), default=len(index))
    steps = np.zeros(len(index) + 1)
    np.add.at(steps, entries, 1.0)
    np.add.at(steps, np.maximum(exits, entries), -1.0)
    return float(np.mean(np.cumsum(steps)[:-1] > 0))


def _positions_of(index: pd.DatetimeIndex, times: pd.Series, *, default: int) -> npt.NDArray[Any]:
    stamps = pd.to_datetime(times, utc=True)
    if index.tz is None:
        stamps = stamps.dt.tz_localize(None)
    found = index.searchsorted(pd.DatetimeIndex(stamps.fillna(index[0])), side="left")
    return np.where(stamps.isna().to_numpy(), default, found)


def _turnover(
    values: FloatArray, trades: pd.DataFrame, notional: float | None, periods: float
) -> float | None:
    if notional is None:
        quantity = np.abs(_column(trades, "quantity"))
        legs = quantity * _column(trades, "entry_price"), quantity * _column(trades, "exit_price")
        notional = float(sum(np.nansum(leg) for leg in legs))
    years = len(values) / periods
    average = float(np.mean(values))
    if years <= 0 or average <= 0:
        return None
    return _number(notional / years / average)


def _align_prices(prices: pd.Series, index: pd.DatetimeIndex) -> pd.Series:
    series = pd.to_numeric(prices, errors="coerce").astype(np.float64)
    series.index = pd.DatetimeIndex(series.index)
    if index.tz is not None:
        if series.index.tz is None:
            series.index = series.index.tz_localize("UTC")
        series.index = series.index.tz_convert(index.tz)
    elif series.index.tz is not None:
        series.index = series.index.tz_convert("UTC").tz_localize(None)
    series = series[~series.index.duplicated(keep="last")].sort_index().dropna()
    return series.reindex(series.index.union(index)).ffill().reindex(index)


def _benchmark_metrics(
    index: pd.DatetimeIndex,
    returns: FloatArray,
    benchmark: pd.Series | None,
    periods: float,
    rf: float,
) -> dict[str, StatValue]:
    stats: dict[str, StatValue] = dict.fromkeys(
        ("alpha", "beta", "information_ratio", "benchmark_return")
    )
    if benchmark is None:
        return stats
    prices = _align_prices(benchmark, index).to_numpy(dtype=np.float64)
    valid = prices[np.isfinite(prices)]
    if len(valid) == 0:
        return stats
    stats["benchmark_return"] = _number(valid[-1] / valid[0] - 1.0)
    if len(returns) == len(prices):  # returns start at the initial equity: bar 0 is a zero
        prices = np.r_[prices[0], prices]
    with np.errstate(divide="ignore", invalid="ignore"):
        bench = prices[1:] / prices[:-1] - 1.0
    both = np.isfinite(bench) & np.isfinite(returns)
    strategy, bench = returns[both], bench[both]
    if len(strategy) < 2:
        return stats
    centred = bench - np.mean(bench)
    variance = np.mean(np.square(centred))
    beta = np.mean(centred * strategy) / variance if variance >= 1e-30 else np.nan
    stats["beta"] = _number(beta)
    if np.isfinite(beta):
        excess = np.mean(strategy - rf - beta * (bench - rf))
        stats["alpha"] = _number((1.0 + excess) ** periods - 1.0)
    active = strategy - bench
    if not _zero_dispersion(active):
        ratio = np.mean(active) / np.std(active, ddof=1) * np.sqrt(periods)
        stats["information_ratio"] = _number(ratio)
    return stats
