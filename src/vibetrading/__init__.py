"""VibeTrading: a trading idea in plain words, a typed strategy, an honest backtest.

The library API, loaded lazily so that ``import vibetrading`` stays fast::

    >>> import vibetrading as vt
    >>> bars = vt.load_bars("SPX", start="2008-01-01", end="2008-12-31")
    >>> len(bars)
    253
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vibetrading.errors import VibeTradingError

if TYPE_CHECKING:
    from vibetrading.backtest import Backtest, BacktestResult, run_signals, sweep
    from vibetrading.data import load as load_bars
    from vibetrading.domain.strategy import StrategySpec, load_spec
    from vibetrading.domain.strategy.dsl import parse_strategy
    from vibetrading.domain.trading import Symbol

__version__ = "0.1.0"

__all__ = [
    "Backtest",
    "BacktestResult",
    "StrategySpec",
    "Symbol",
    "VibeTradingError",
    "__version__",
    "load_bars",
    "load_spec",
    "parse_strategy",
    "run_signals",
    "sweep",
]

_LAZY = {
    "Backtest": ("vibetrading.backtest", "Backtest"),
    "BacktestResult": ("vibetrading.backtest", "BacktestResult"),
    "run_signals": ("vibetrading.backtest", "run_signals"),
    "sweep": ("vibetrading.backtest", "sweep"),
    "load_bars": ("vibetrading.data", "load"),
    "StrategySpec": ("vibetrading.domain.strategy", "StrategySpec"),
    "load_spec": ("vibetrading.domain.strategy", "load_spec"),
    "parse_strategy": ("vibetrading.domain.strategy.dsl", "parse_strategy"),
    "Symbol": ("vibetrading.domain.trading", "Symbol"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    raise AttributeError(f"module 'vibetrading' has no attribute {name!r}")
