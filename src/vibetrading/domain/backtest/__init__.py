"""Backtesting: the compiled execution kernel, the signal engine and its result."""

from vibetrading.domain.backtest.engine import run_signals
from vibetrading.domain.backtest.result import BacktestResult

# compute_stats (stats.py) joins these exports once the statistics module lands.
__all__ = ["BacktestResult", "run_signals"]
