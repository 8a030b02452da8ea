"""Backtesting: the compiled execution kernel, the signal engine, sweeps and statistics."""

from vibetrading.domain.backtest.engine import run_signals
from vibetrading.domain.backtest.overfitting import (
    deflated_sharpe_ratio,
    probability_of_backtest_overfitting,
)
from vibetrading.domain.backtest.result import BacktestResult
from vibetrading.domain.backtest.stats import compute_stats
from vibetrading.domain.backtest.sweep import SweepResult, sweep_crossover
from vibetrading.domain.backtest.sweep_spec import sweep_spec
from vibetrading.domain.backtest.walkforward import WalkForwardResult, walk_forward

__all__ = [
    "BacktestResult",
    "SweepResult",
    "WalkForwardResult",
    "compute_stats",
    "deflated_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "run_signals",
    "sweep_crossover",
    "sweep_spec",
    "walk_forward",
]
