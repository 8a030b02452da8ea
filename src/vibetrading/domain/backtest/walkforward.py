"""Walk-forward optimisation: choose parameters on the past, judge them on what follows.

The bars are cut into consecutive windows. On each train window the crossover sweep picks
the best (fast, slow) pair by a metric; that pair then trades the test window that
follows, which it has never seen. The out-of-sample windows are stitched into one equity
curve, and the in-sample and out-of-sample figures are set side by side: a strategy whose
out-of-sample results collapse was fitted to noise.

Windows are bar positions. Rolling (the default): train on the `train_bars` bars before
each test window. Anchored: train on every bar from the first up to the test window.
Test windows start after the first `train_bars` bars and follow each other every
`step_bars` bars (default `test_bars`: back to back); only whole test windows are used.
Indicators read the bars before a window (no look-ahead: they never read later bars), so
a window's first signal needs no warm-up inside it. Each window starts flat with the
starting cash; a position still open at its end is valued at its last close.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from vibetrading.domain.backtest.stats import compute_metrics
from vibetrading.domain.backtest.sweep import (
    LOWER_IS_BETTER,
    METRICS,
    CrossoverGrid,
    Fill,
    MovingAverage,
    SweepSettings,
    crossover_pairs,
)
from vibetrading.domain.trading.symbols import Symbol
from vibetrading.errors import ConfigError

__all__ = ["SUMMARY_METRICS", "WalkForwardResult", "walk_forward"]

SUMMARY_METRICS: tuple[str, ...] = (
    "total_return",
    "cagr",
    "sharpe",
    "max_drawdown",
    "win_rate",
    "num_trades",
    "exposure",
)
"""The metrics compared in and out of sample in ``WalkForwardResult.summary``."""


@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """What a walk-forward optimisation chose and how it fared out of sample.

    * ``windows``: one row per window: ``train_start``, ``train_end``, ``test_start``,
      ``test_end`` (UTC timestamps of the first and last bar), the chosen ``fast`` and
      ``slow`` (NaN when no pair had a defined metric: that window stays flat),
      ``in_sample`` and ``out_of_sample`` (the metric on each), and the test window's
      ``total_return`` and ``num_trades``.
    * ``equity``: the out-of-sample equity, test windows chained by compounding.
    * ``summary``: ``SUMMARY_METRICS`` as rows; columns ``in_sample`` and
      ``out_of_sample`` (means over windows) and ``stitched`` (of ``equity``).
    """

    windows: pd.DataFrame
    equity: pd.Series
    summary: pd.DataFrame
    metric: str
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def efficiency(self) -> float:
        """Return mean out-of-sample metric / mean in-sample metric (NaN when undefined).

        Near 1: the choice held up; near 0 or negative: it was fitted to the past.
        """
        in_sample = float(self.windows["in_sample"].mean())
        out_sample = float(self.windows["out_of_sample"].mean())
        if not (math.isfinite(in_sample) and math.isfinite(out_sample)) or in_sample == 0:
            return math.nan
        return out_sample / in_sample


def walk_forward(
    bars: pd.DataFrame,
    *,
    fast: Sequence[int],
    slow: Sequence[int],
    train_bars: int,
    test_bars: int,
    step_bars: int | None = None,
    anchored: bool = False,
    metric: str = "sharpe",
    indicator: MovingAverage = "sma",
    cash: float = 100_000,
    fee_rate: float = 0.0,
    slippage_bps: float = 0.0,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_stop: float | None = None,
    fill: Fill = "next_open",
    periods_per_year: float = 252,
    symbol: Symbol | str | None = None,
) -> WalkForwardResult:
    """Walk a moving-average crossover sweep forward through one symbol's `bars`.

    On each train window every (fast, slow) pair with fast < slow is backtested and the
    best by `metric` (a ``sweep.METRICS`` name) is kept; it is then backtested on the test
    window that follows. `train_bars`, `test_bars` and `step_bars` count bars; the module
    docstring describes the windows. Other options as in ``sweep_crossover``.

    Raises ConfigError for bad window sizes (step shorter than the test window, or bars too
    few for one train and one test window) and for the options ``sweep_crossover`` refuses.

    >>> from vibetrading.testing.factories import make_bars
    >>> result = walk_forward(
    ...     make_bars(800), fast=[5, 10], slow=[20, 50], train_bars=400, test_bars=100
    ... )
    >>> len(result.windows), list(result.summary.columns)
    (4, ['in_sample', 'out_of_sample', 'stitched'])
    """
    if metric not in METRICS:
        raise ConfigError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")
    step = test_bars if step_bars is None else step_bars
    starts = _test_starts(len(bars), train_bars, test_bars, step)
    settings = SweepSettings(
        cash=cash, fee_rate=fee_rate, slippage_bps=slippage_bps, stop_loss=stop_loss,
        take_profit=take_profit, trailing_stop=trailing_stop, fill=fill,
        periods_per_year=periods_per_year,
    )  # fmt: skip
    settings.check()
    pairs = crossover_pairs(fast, slow)
    windows = sorted({w for pair in pairs for w in pair})
    grid = CrossoverGrid(bars, windows=windows, indicator=indicator, symbol=symbol)
    index = grid.indexes[0]
    windows_run = []
    for test_start in starts:
        train_start = 0 if anchored else test_start - train_bars
        window = _run_window(grid, settings, pairs, metric, train_start, test_start, test_bars)
        window.row.update(
            train_start=index[train_start],
            train_end=index[test_start - 1],
            test_start=index[test_start],
            test_end=index[test_start + test_bars - 1],
        )
        windows_run.append(window)
    table = pd.DataFrame([w.row for w in windows_run], columns=list(_WINDOW_COLUMNS))
    stitched = np.concatenate([w.returns for w in windows_run])
    equity_index = index[starts[0] : starts[-1] + test_bars]
    if step != test_bars:  # spaced windows: keep the bars actually traded
        equity_index = pd.DatetimeIndex(
            np.concatenate([index[s : s + test_bars].asi8 for s in starts]), tz="UTC"
        )
    equity = pd.Series(cash * np.cumprod(1.0 + stitched), index=equity_index, name="equity")
    return WalkForwardResult(
        windows=table,
        equity=equity,
        summary=_summary(windows_run, equity, settings),
        metric=metric,
        settings={
            **vars(settings),
            "train_bars": train_bars,
            "test_bars": test_bars,
            "step_bars": step,
            "anchored": anchored,
            "indicator": indicator,
        },
    )


_WINDOW_COLUMNS = (
    "train_start",
    "train_end",
    "test_start",
    "test_end",
    "fast",
    "slow",
    "in_sample",
    "out_of_sample",
    "total_return",
    "num_trades",
)


def _test_starts(length: int, train_bars: int, test_bars: int, step: int) -> list[int]:
    for name, value in (("train_bars", train_bars), ("test_bars", test_bars), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{name} must be a whole number of bars >= 1, not {value!r}.")
    if step < test_bars:
        raise ConfigError(
            f"step_bars={step} is shorter than test_bars={test_bars}: test windows would overlap."
        )
    if train_bars + test_bars > length:
        raise ConfigError(
            f"{length} bars are too few for one train window of {train_bars} and one test "
            f"window of {test_bars} bars."
        )
    return list(range(train_bars, length - test_bars + 1, step))


def _run_window(
    grid: CrossoverGrid,
    settings: SweepSettings,
    pairs: list[tuple[int, int]],
    metric: str,
    train_start: int,
    test_start: int,
    test_bars: int,
) -> _Window:
    position = METRICS.index(metric)
    train, _, _ = grid.run(settings, pairs, start=train_start, stop=test_start)
    scores = train[:, position]
    if np.isnan(scores).all():  # nothing traded in sample: stay flat out of sample
        flat = np.full(len(METRICS), np.nan)
        row = dict.fromkeys(("fast", "slow", "in_sample", "out_of_sample"), np.nan)
        row.update(total_return=0.0, num_trades=0)
        return _Window(row, np.zeros(test_bars), flat, flat)
    signed = -scores if metric in LOWER_IS_BETTER else scores
    best = int(np.nanargmax(signed))
    stop = test_start + test_bars
    test, _, returns = grid.run(
        settings, [pairs[best]], start=test_start, stop=stop, keep_returns=True
    )
    row = {
        "fast": pairs[best][0],
        "slow": pairs[best][1],
        "in_sample": scores[best],
        "out_of_sample": test[0, position],
        "total_return": test[0, METRICS.index("total_return")],
        "num_trades": int(test[0, METRICS.index("num_trades")]),
    }
    bar_returns = np.zeros(test_bars) if returns is None else returns[0, test_start:stop]
    return _Window(row, bar_returns, train[best], test[0])


@dataclass(frozen=True)
class _Window:
    row: dict[str, Any]
    returns: npt.NDArray[np.float64]
    in_sample: npt.NDArray[np.float64]
    out_of_sample: npt.NDArray[np.float64]


def _summary(windows: list[_Window], equity: pd.Series, settings: SweepSettings) -> pd.DataFrame:
    positions = [METRICS.index(name) for name in SUMMARY_METRICS]
    with warnings.catch_warnings():  # a metric undefined in every window has no mean
        warnings.simplefilter("ignore", RuntimeWarning)
        in_sample = np.nanmean([w.in_sample[positions] for w in windows], axis=0)
        out_sample = np.nanmean([w.out_of_sample[positions] for w in windows], axis=0)
    summary = pd.DataFrame(
        {"in_sample": in_sample, "out_of_sample": out_sample, "stitched": np.nan},
        index=pd.Index(SUMMARY_METRICS, name="metric"),
    )
    stitched = compute_metrics(
        equity, pd.DataFrame(), periods_per_year=settings.periods_per_year,
        initial_equity=settings.cash,
    )  # fmt: skip
    for name in ("total_return", "cagr", "sharpe", "max_drawdown"):
        value = stitched[name]
        summary.loc[name, "stitched"] = np.nan if value is None else float(value)
    summary.loc["num_trades", "stitched"] = float(sum(w.row["num_trades"] for w in windows))
    return summary
