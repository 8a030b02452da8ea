"""In-memory fakes, one per port; prefer them to mocks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd

from vibetrading.domain.data import FetchedBars, Timeframe, check_bars
from vibetrading.domain.trading import Symbol
from vibetrading.errors import EmptyData, UnknownSymbol
from vibetrading.services.ports import ProgressCallback, StoredBarsInfo, SymbolListing

__all__ = ["FakeProvider", "InMemoryBarStore"]


@dataclass
class FakeProvider:
    """A provider serving fixed frames per symbol code and recording every request."""

    frames: dict[str, pd.DataFrame]
    name: str = "fake"
    adj_factors: dict[str, pd.Series] = field(default_factory=dict)
    calls: list[tuple[str, pd.Timestamp | None, pd.Timestamp | None]] = field(default_factory=list)

    def fetch_bars(
        self,
        symbol: Symbol,
        *,
        timeframe: Timeframe,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        progress: ProgressCallback | None = None,
    ) -> FetchedBars:
        self.calls.append((symbol.code, start, end))
        if symbol.code not in self.frames:
            raise UnknownSymbol(f"{self.name} does not serve {symbol.code}.")
        bars = self.frames[symbol.code].loc[start:end]
        if len(bars) == 0:
            raise EmptyData(f"{self.name} has no {symbol.code} bars in that range.")
        if progress is not None:
            progress(1.0, "done")
        factor = self.adj_factors.get(symbol.code)
        return FetchedBars(
            bars=check_bars(bars),
            source=self.name,
            adj_factor=factor.reindex(bars.index) if factor is not None else None,
        )

    def list_symbols(self) -> list[SymbolListing]:
        return []


class InMemoryBarStore:
    """A BarStore kept in a dict."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, Timeframe], tuple[FetchedBars, StoredBarsInfo]] = {}

    def info(self, symbol: str, timeframe: Timeframe) -> StoredBarsInfo | None:
        entry = self.series.get((symbol, timeframe))
        return entry[1] if entry else None

    def list(self) -> list[StoredBarsInfo]:
        return [info for _, info in self.series.values()]

    def read(
        self,
        symbol: str,
        timeframe: Timeframe,
        *,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> FetchedBars | None:
        entry = self.series.get((symbol, timeframe))
        if entry is None:
            return None
        fetched = entry[0]
        bars = fetched.bars.loc[start:end]
        factor = fetched.adj_factor.loc[start:end] if fetched.adj_factor is not None else None
        return FetchedBars(bars.copy(), fetched.source, factor, fetched.is_synthetic, fetched.notes)

    def write(
        self, symbol: str, timeframe: Timeframe, fetched: FetchedBars, *, fetched_at: str
    ) -> StoredBarsInfo:
        bars = check_bars(fetched.bars, allow_empty=True)
        digest = hashlib.sha256(pd.util.hash_pandas_object(bars).to_numpy().tobytes()).hexdigest()
        info = StoredBarsInfo(
            symbol=symbol,
            timeframe=timeframe.value,
            source=fetched.source,
            fetched_at=fetched_at,
            adjustment="raw+factor" if fetched.adj_factor is not None else "raw",
            is_synthetic=fetched.is_synthetic,
            rows=len(bars),
            start=bars.index[0].isoformat() if len(bars) else None,
            end=bars.index[-1].isoformat() if len(bars) else None,
            sha256=digest,
            size=0,
            mtime_ns=0,
            notes=list(fetched.notes),
        )
        self.series[(symbol, timeframe)] = (
            FetchedBars(
                bars, fetched.source, fetched.adj_factor, fetched.is_synthetic, fetched.notes
            ),
            info,
        )
        return info

    def delete(self, symbol: str, timeframe: Timeframe) -> None:
        self.series.pop((symbol, timeframe), None)
