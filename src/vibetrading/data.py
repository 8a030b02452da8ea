"""Market data for notebooks and scripts.

Example::

    >>> from vibetrading import data
    >>> bars = data.load("SPX", start="2008-01-01", end="2008-12-31")
    >>> len(bars), round(bars["close"].iloc[-1], 2)
    (253, 903.25)
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from vibetrading.bootstrap import build_market_data
from vibetrading.services.market_data import MarketDataService
from vibetrading.services.ports import SymbolListing

__all__ = ["list_symbols", "load", "service"]


@lru_cache(maxsize=1)
def service() -> MarketDataService:
    """Return the process-wide market-data service built from the settings."""
    return build_market_data()


def load(
    symbol: str,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    timeframe: str = "1d",
    *,
    provider: str | None = None,
    adjusted: bool = True,
) -> pd.DataFrame:
    """Return the Bars frame of `symbol`: UTC index, float64 open, high, low, close, volume.

    Looks in the local store, then the bundled samples; `provider` (``yfinance``, ``ccxt``,
    ``akshare``, ``polygon``, ``demo``) fetches what is missing first. ``bars.attrs`` says
    where the bars came from and whether they are synthetic.
    """
    return service().load_bars(
        symbol, start=start, end=end, timeframe=timeframe, provider=provider, adjusted=adjusted
    )


def list_symbols() -> list[SymbolListing]:
    """Return every series available without a network call."""
    return service().list_symbols()
