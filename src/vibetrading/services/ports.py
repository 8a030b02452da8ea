"""Protocols that adapters implement and services depend on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import pandas as pd

from vibetrading.domain.data import FetchedBars, Timeframe
from vibetrading.domain.trading import Symbol

__all__ = [
    "BarCache",
    "BarFileReader",
    "BarStore",
    "MarketDataProvider",
    "ProgressCallback",
    "StoredBarsInfo",
    "SymbolListing",
]

ProgressCallback = Callable[[float, str], None]
"""Called with the fraction done (0 to 1) and a short status text."""

BarFileReader = Callable[[Path, str | None], tuple[pd.DataFrame, list[str]]]
"""Read a user's bar file with naive times in the given timezone; return the uncleaned
OHLCV frame and one sentence per detection fact (columns found, assumptions made)."""


@dataclass(frozen=True)
class SymbolListing:
    """One symbol a provider can serve now, with what it holds."""

    symbol: str
    source: str
    timeframe: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    bars: int
    description: str = ""
    is_synthetic: bool = False


@runtime_checkable
class MarketDataProvider(Protocol):
    """A source of bars: bundled samples, a file, an online API or a generator."""

    name: str
    """Short provider name used on the command line (``sample``, ``yfinance``, ...)."""

    def fetch_bars(
        self,
        symbol: Symbol,
        *,
        timeframe: Timeframe,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        progress: ProgressCallback | None = None,
    ) -> FetchedBars:
        """Return bars for `symbol` between `start` and `end` (inclusive, UTC).

        Raises UnknownSymbol when the provider does not serve the symbol, EmptyData when
        the range holds no bars, ProviderError (or TemporaryProviderError) when the
        outside service fails.
        """
        ...

    def list_symbols(self) -> list[SymbolListing]:
        """Return the symbols available without a network call (may be empty)."""
        ...


@dataclass
class StoredBarsInfo:
    """The sidecar metadata of one stored series."""

    symbol: str
    timeframe: str
    source: str
    fetched_at: str
    adjustment: str  # "raw+factor" when adj_factor is stored, else "raw" or "adjusted"
    is_synthetic: bool
    rows: int
    start: str | None
    end: str | None
    sha256: str
    size: int
    mtime_ns: int
    notes: list[str] = field(default_factory=list)
    schema_version: int = 1

    @property
    def range(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """Return the first and last stored bar timestamps."""
        return (
            pd.Timestamp(self.start) if self.start else None,
            pd.Timestamp(self.end) if self.end else None,
        )


class BarStore(Protocol):
    """Local persistence of bars, one series per symbol and timeframe."""

    def info(self, symbol: str, timeframe: Timeframe) -> StoredBarsInfo | None:
        """Return the metadata of a stored series, or None."""
        ...

    def list(self) -> list[StoredBarsInfo]:
        """Return the metadata of every stored series."""
        ...

    def read(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> FetchedBars | None:
        """Return stored bars in the range, or None; raise CorruptData on a failed check."""
        ...

    def write(
        self, symbol: str, timeframe: Timeframe, fetched: FetchedBars, *, fetched_at: str
    ) -> StoredBarsInfo:
        """Replace the stored series with `fetched`."""
        ...

    def delete(self, symbol: str, timeframe: Timeframe) -> None:
        """Remove a stored series."""
        ...


class BarCache(Protocol):
    """A cache of hot bar ranges (in process, or Redis)."""

    def get(self, key: str) -> pd.DataFrame | None:
        """Return the cached frame under `key`, or None."""
        ...

    def set(self, key: str, bars: pd.DataFrame) -> None:
        """Cache `bars` under `key`."""
        ...
