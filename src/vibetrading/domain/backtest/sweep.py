"""Parameter sweeps: thousands of backtests in one compiled pass, one row of metrics each.

``sweep_crossover`` tries every (fast, slow) moving-average pair with fast < slow on every
symbol: each distinct window's average is computed once per symbol, then one parallel
kernel simulates all (symbol, pair) columns with the engine's fill, cost and stop rules and
keeps only their metrics. ``sweep_spec`` (``sweep_spec.py``) varies the parameters of a
StrategySpec (paths such as ``entry.left.params.period``), compiles each combination's
signals with the memoising compiler and runs them all in one kernel call.

Every column is the backtest ``run_signals`` would give for the same signals on one symbol
(long or short, market orders, ``fill`` at the next open or the close, costs, lots,
slippage, stop-loss, take-profit, trailing stop); the metrics follow ``compute_stats``.
Sweeps do not model T+1, price limits, volume caps or holding limits: results for symbols
with such rules carry a note, and the chosen parameters deserve a full backtest.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.backtest import kernels as nb
from vibetrading.domain.backtest import sweep_kernels as sk
from vibetrading.domain.backtest._sweep_inputs import (
    SymbolInput,
    frames_of,
    metrics_table,
    stack_rows,
    sweep_notes,
    symbol_params,
    symbols_for,
)
from vibetrading.domain.trading.symbols import Symbol
from vibetrading.errors import ConfigError, DataError

__all__ = [
    "LOWER_IS_BETTER",
    "METRICS",
    "CrossoverGrid",
    "SweepResult",
    "SweepSettings",
    "crossover_pairs",
    "sweep_crossover",
]

Fill = Literal["next_open", "close"]
MovingAverage = Literal["sma", "ema"]
FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.int64]
Progress: TypeAlias = Callable[[int, int], None]

METRICS: tuple[str, ...] = sk.METRIC_NAMES
"""The metric columns of a sweep, named as in ``compute_stats``."""
LOWER_IS_BETTER: frozenset[str] = frozenset({"volatility"})
"""Metrics where the smallest value is the best; for all others the largest is."""

_KINDS = {"sma": sk.SMA, "ema": sk.EMA}
_SIZE_TYPES = {"percent": nb.SIZE_PERCENT, "cash": nb.SIZE_CASH, "quantity": nb.SIZE_QUANTITY}


@dataclass(frozen=True)
class SweepSettings:
    """The run options shared by every column of a sweep (see ``run_signals``)."""

    cash: float = 100_000.0
    fee_rate: float = 0.0
    slippage_bps: float = 0.0
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None
    fill: Fill = "next_open"
    periods_per_year: float = 252.0
    size: float = 1.0
    size_type: Literal["percent", "cash", "quantity"] = "percent"
    direction: Literal["long", "short"] = "long"

    def check(self) -> None:
        """Raise ConfigError for an option outside its range."""
        choices = (
            ("fill", ("next_open", "close")),
            ("direction", ("long", "short")),
            ("size_type", tuple(_SIZE_TYPES)),
        )
        for name, allowed in choices:
            if getattr(self, name) not in allowed:
                shown = ", ".join(repr(a) for a in allowed)
                raise ConfigError(f"{name}={getattr(self, name)!r} is not one of {shown}.")
        for name in ("cash", "size", "periods_per_year"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigError(f"{name} must be a positive number, not {value!r}.")
        if self.size_type == "percent" and self.size > 1:
            raise ConfigError(f"size={self.size} is over 100% of equity; there is no margin.")
        if not 0 <= self.fee_rate < 1 or not self.slippage_bps >= 0:
            raise ConfigError("fee_rate must be in [0, 1) and slippage_bps >= 0.")
        self._check_stops()

    def _check_stops(self) -> None:
        for name in ("stop_loss", "trailing_stop"):
            value = getattr(self, name)
            if value is not None and not 0 < value < 1:
                raise ConfigError(f"{name}={value!r} must be a fraction in (0, 1): 0.05 is 5%.")
        target = self.take_profit
        if target is not None and not (math.isfinite(target) and target > 0):
            raise ConfigError(f"take_profit={target!r} must be a fraction > 0: 0.1 is 10%.")

    def config(self) -> FloatArray:
        """Return the options as one row of the kernels' ``C_*`` layout."""
        config = np.full(nb.N_CONFIG, np.nan)
        config[nb.C_INIT_CASH] = self.cash
        config[nb.C_SIZE_TYPE] = _SIZE_TYPES[self.size_type]
        config[nb.C_FILL_CLOSE] = 1.0 if self.fill == "close" else 0.0
        for index, value in (
            (nb.C_STOP_LOSS, self.stop_loss),
            (nb.C_TAKE_PROFIT, self.take_profit),
            (nb.C_TRAILING_STOP, self.trailing_stop),
        ):
            if value is not None:
                config[index] = value
        return config

    @property
    def direction_sign(self) -> int:
        """Return +1 for long, -1 for short."""
        return 1 if self.direction == "long" else -1


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The metrics of every parameter set tried, one row each.

    * ``table``: columns ``symbol``, the parameters (``fast``, ``slow`` for crossovers, the
      grid paths for specs) and ``METRICS``; NaN where a metric is undefined (no trade, flat
      equity).
    * ``parameters``: the parameter column names, in grid order.
    * ``returns``: with ``keep_returns``, {symbol: bar returns (bars x rows of that symbol,
      columns labelled by the table's row labels)}; else None.
    * ``settings``: the options of the run; ``notes``: what the sweep did not model.
    """

    table: pd.DataFrame
    parameters: tuple[str, ...]
    settings: dict[str, Any]
    returns: dict[str, pd.DataFrame] | None = None
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.table)

    def ranked(self, metric: str = "sharpe", *, symbol: str | None = None) -> pd.DataFrame:
        """Return the rows from best to worst by `metric`; undefined values come last.

        The largest value is the best except for ``LOWER_IS_BETTER`` metrics. `symbol`
        keeps that symbol's rows only.
        """
        _check_metric(metric)
        table = self.table if symbol is None else self.table[self.table["symbol"] == symbol]
        if symbol is not None and table.empty:
            raise ConfigError(f"No rows for symbol {symbol!r}; have {self.symbols}.")
        ascending = metric in LOWER_IS_BETTER
        return table.sort_values(metric, ascending=ascending, na_position="last", kind="stable")

    def top(
        self, n: int = 10, metric: str = "sharpe", *, symbol: str | None = None
    ) -> pd.DataFrame:
        """Return the `n` best rows by `metric` (see ``ranked``)."""
        return self.ranked(metric, symbol=symbol).head(n)

    def best(self, metric: str = "sharpe", *, symbol: str | None = None) -> pd.Series:
        """Return the best row by `metric` (its label is the row's position in ``table``).

        Raises DataError when no row has a defined `metric` (for example no trade at all).
        """
        ranked = self.ranked(metric, symbol=symbol)
        if ranked.empty or pd.isna(ranked[metric].iloc[0]):
            raise DataError(f"No parameter set has a defined {metric}: none of them traded.")
        return ranked.iloc[0]

    def grid(
        self,
        metric: str = "sharpe",
        *,
        rows: str | None = None,
        columns: str | None = None,
        symbol: str | None = None,
    ) -> pd.DataFrame:
        """Return `metric` as a table of `rows` x `columns` parameter values.

        Defaults to the first two parameters (fast x slow for crossovers). Several symbols
        are averaged (NaN ignored) unless `symbol` picks one. Missing combinations (fast >=
        slow) are NaN.
        """
        _check_metric(metric)
        names = list(self.parameters)
        rows = rows or names[0]
        columns = columns or (names[1] if len(names) > 1 else names[0])
        table = self.table if symbol is None else self.table[self.table["symbol"] == symbol]
        return table.pivot_table(index=rows, columns=columns, values=metric, aggfunc="mean")

    @property
    def symbols(self) -> list[str]:
        """Return the symbols swept, in order."""
        return list(dict.fromkeys(self.table["symbol"]))


class CrossoverGrid:
    """Bars of one or more symbols with the moving average of every window computed once.

    Prices are stacked into padded (symbols, bars) arrays; each symbol keeps its own bars
    (no alignment across symbols). ``run`` simulates any set of (fast, slow) pairs on any
    range of bar positions; ``sweep_crossover`` and the walk-forward use it.
    """

    def __init__(
        self,
        bars: Mapping[str, pd.DataFrame] | pd.DataFrame,
        *,
        windows: Sequence[int],
        indicator: MovingAverage = "sma",
        symbol: SymbolInput = None,
    ) -> None:
        if indicator not in _KINDS:
            raise ConfigError(f"indicator={indicator!r} is not one of 'sma', 'ema'.")
        frames = frames_of(bars)
        self.codes: tuple[str, ...] = tuple(frames)
        self.symbols: list[Symbol | None] = symbols_for(symbol, self.codes)
        self.indexes: list[pd.DatetimeIndex] = [frames[c].index for c in self.codes]
        self.lengths = np.array([len(f) for f in frames.values()], dtype=np.int64)
        self.windows: tuple[int, ...] = tuple(sorted(set(_check_windows(windows, "windows"))))
        self._position = {w: i for i, w in enumerate(self.windows)}
        width = int(self.lengths.max())
        self.prices = {
            name: stack_rows([frames[c][name].to_numpy() for c in self.codes], width)
            for name in ("open", "high", "low", "close")
        }
        with sk.limited_threads(len(self.codes) * len(self.windows)):
            self.averages = sk.moving_averages_nb(
                self.prices["close"],
                self.lengths,
                np.array(self.windows, dtype=np.int64),
                _KINDS[indicator],
            )
        self.indicator = indicator

    def run(
        self,
        settings: SweepSettings,
        pairs: Sequence[tuple[int, int]],
        *,
        symbols: Sequence[int] | None = None,
        start: int = 0,
        stop: int | None = None,
        keep_returns: bool = False,
    ) -> tuple[FloatArray, IntArray, FloatArray | None]:
        """Simulate every pair on every chosen symbol; return (metrics, symbol of each, returns).

        Columns are symbol-major: all pairs of the first symbol, then the next. `start` and
        `stop` are bar positions (stop exclusive, clipped to each symbol's bars); averages
        before `start` decide the first crossover. Returns metrics (columns, N_METRICS),
        the symbol position of each column and, with `keep_returns`, the bar returns
        (columns, bars), zero outside the simulated bars.
        """
        settings.check()
        chosen = np.arange(len(self.codes)) if symbols is None else np.asarray(symbols)
        fast = np.array([self._position[f] for f, _ in pairs], dtype=np.int64)
        slow = np.array([self._position[s] for _, s in pairs], dtype=np.int64)
        column_symbol = np.repeat(chosen, len(pairs)).astype(np.int64)
        width = self.prices["close"].shape[1]
        returns = np.zeros((len(column_symbol), width) if keep_returns else (1, 0))
        ends = self.lengths if stop is None else np.minimum(self.lengths, stop)
        with sk.limited_threads(len(column_symbol)):
            metrics = self._simulate(
                settings, column_symbol, fast, slow, chosen, start, ends, returns
            )
        return metrics, column_symbol, returns if keep_returns else None

    def _simulate(
        self,
        settings: SweepSettings,
        column_symbol: IntArray,
        fast: IntArray,
        slow: IntArray,
        chosen: IntArray,
        start: int,
        ends: IntArray,
        returns: FloatArray,
    ) -> FloatArray:
        return sk.sweep_crossover_nb(
            self.prices["open"],
            self.prices["high"],
            self.prices["low"],
            self.prices["close"],
            np.minimum(np.full(len(self.codes), start, dtype=np.int64), ends),
            ends.astype(np.int64),
            self.averages,
            column_symbol,
            np.tile(fast, len(chosen)),
            np.tile(slow, len(chosen)),
            symbol_params(
                self.symbols, fee_rate=settings.fee_rate, slippage_bps=settings.slippage_bps
            ),
            settings.config(),
            float(settings.size),
            settings.direction_sign,
            float(settings.periods_per_year),
            returns,
        )

    def notes(self) -> tuple[str, ...]:
        """Return what the sweep does not model for these symbols (T+1, price limits)."""
        return sweep_notes(self.symbols)


def sweep_crossover(
    bars: Mapping[str, pd.DataFrame] | pd.DataFrame,
    *,
    fast: Sequence[int],
    slow: Sequence[int],
    indicator: MovingAverage = "sma",
    cash: float = 100_000,
    fee_rate: float = 0.0,
    slippage_bps: float = 0.0,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_stop: float | None = None,
    fill: Fill = "next_open",
    periods_per_year: float = 252,
    direction: Literal["long", "short"] = "long",
    symbol: SymbolInput = None,
    keep_returns: bool = False,
    progress: Progress | None = None,
) -> SweepResult:
    """Backtest every moving-average crossover (fast < slow) on every symbol; return metrics.

    `bars` is one Bars frame or {code: bars}. A column enters all in (whole units, or the
    symbol's lots) when the `fast`-bar average crosses above the `slow`-bar one (a[t-1] <=
    b[t-1] and a[t] > b[t], read at the close) and exits when it crosses below; orders fill
    at the next open (or the close with ``fill="close"``). `indicator` "sma" or "ema" is
    TA-Lib's average, bit for bit. `symbol` (a Symbol, a code, or a dict per code) brings
    the market's lots and costs; `fee_rate` > 0 replaces the commission rate and
    `slippage_bps` > 0 the slippage. Stops are fractions of the entry price. Metrics are
    annualised with `periods_per_year`. `progress(done, total)` is called after each symbol
    (each is then its own kernel call). `keep_returns` keeps every column's bar returns
    (8 bytes x bars x rows: mind the memory on big sweeps).

    Raises ConfigError for bad options or no pair with fast < slow, DataError for bars
    that break the Bars contract.

    >>> from vibetrading.testing.factories import make_bars
    >>> result = sweep_crossover(make_bars(500), fast=[5, 10], slow=[20, 50])
    >>> len(result), list(result.table.columns[:3])
    (4, ['symbol', 'fast', 'slow'])
    """
    settings = SweepSettings(
        cash=cash, fee_rate=fee_rate, slippage_bps=slippage_bps, stop_loss=stop_loss,
        take_profit=take_profit, trailing_stop=trailing_stop, fill=fill,
        periods_per_year=periods_per_year, direction=direction,
    )  # fmt: skip
    settings.check()
    pairs = crossover_pairs(fast, slow)
    windows = sorted({w for pair in pairs for w in pair})
    grid = CrossoverGrid(bars, windows=windows, indicator=indicator, symbol=symbol)
    batches: list[list[int]] = (
        [[j] for j in range(len(grid.codes))] if progress else [list(range(len(grid.codes)))]
    )
    metrics, owners, returns = [], [], []
    for batch in batches:
        values, owner, bar_returns = grid.run(
            settings, pairs, symbols=batch, keep_returns=keep_returns
        )
        metrics.append(values)
        owners.append(owner)
        returns.append(bar_returns)
        if progress is not None:
            progress(batch[-1] + 1, len(grid.codes))
    owner = np.concatenate(owners)
    repeats = len(owner) // max(len(pairs), 1)
    table = metrics_table(
        [grid.codes[j] for j in owner],
        {"fast": [f for f, _ in pairs] * repeats, "slow": [s for _, s in pairs] * repeats},
        np.concatenate(metrics),
    )
    kept = None
    if keep_returns:
        kept = _returns_by_symbol(
            grid, owner, np.concatenate([r for r in returns if r is not None])
        )
    return SweepResult(
        table=table,
        parameters=("fast", "slow"),
        settings={**_settings_dict(settings), "indicator": indicator},
        returns=kept,
        notes=grid.notes(),
    )


def crossover_pairs(fast: Sequence[int], slow: Sequence[int]) -> list[tuple[int, int]]:
    """Return every (fast, slow) window pair with fast < slow, fast-major, duplicates dropped.

    Raises ConfigError for windows that are not whole numbers >= 1 or when no pair has
    fast < slow.
    """
    fast_windows = list(dict.fromkeys(_check_windows(fast, "fast")))
    slow_windows = list(dict.fromkeys(_check_windows(slow, "slow")))
    pairs = [(f, s) for f in fast_windows for s in slow_windows if f < s]
    if not pairs:
        raise ConfigError("No (fast, slow) pair has fast < slow: widen the ranges.")
    return pairs


def _check_windows(values: Sequence[int], name: str) -> list[int]:
    windows = list(values)
    if not windows:
        raise ConfigError(f"{name} needs at least one window.")
    for value in windows:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ConfigError(f"{name} windows must be whole numbers of bars >= 1, not {value!r}.")
    return [int(v) for v in windows]


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        hints = difflib.get_close_matches(metric, METRICS, n=3)
        hint = f" Did you mean: {', '.join(hints)}?" if hints else ""
        raise ConfigError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.{hint}")


def _returns_by_symbol(
    grid: CrossoverGrid, owner: IntArray, returns: FloatArray
) -> dict[str, pd.DataFrame]:
    kept = {}
    for j, code in enumerate(grid.codes):
        rows = np.flatnonzero(owner == j)
        if len(rows):
            length = int(grid.lengths[j])
            kept[code] = pd.DataFrame(
                returns[rows, :length].T, index=grid.indexes[j], columns=pd.Index(rows)
            )
    return kept


def _settings_dict(settings: SweepSettings) -> dict[str, Any]:
    return dict(dataclasses.asdict(settings))
