"""VibeTrading: a trading idea in plain words, a typed strategy, an honest backtest."""

from vibetrading.errors import VibeTradingError

__version__ = "0.1.0"

__all__ = ["VibeTradingError", "__version__"]
