"""Market data use cases: load, fetch, import and list bars.

Where bars come from, in order: the local store (what was fetched or imported), then
the bundled samples. A coarser timeframe than what is held is resampled on the fly,
respecting the market's sessions. Online providers are only called by :meth:`fetch`
or when a load names them; they fetch only the ranges the store is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vibetrading.domain.data import (
    CleaningReport,
    FetchedBars,
    Timeframe,
    adjust_bars,
    clean_bars,
    resolve_range,
)
from vibetrading.domain.data.resample import infer_timeframe, resample_bars
from vibetrading.domain.trading import Symbol, parse_symbol
from vibetrading.domain.trading.symbols import close_matches
from vibetrading.errors import ConfigError, CorruptData, EmptyData, UnknownSymbol
from vibetrading.services.ports import (
    BarCache,
    BarFileReader,
    BarStore,
    MarketDataProvider,
    ProgressCallback,
    StoredBarsInfo,
    SymbolListing,
)

__all__ = ["FetchReport", "ImportReport", "MarketDataService"]

_LOCAL_SOURCES = ("sample", "demo")


@dataclass
class FetchReport:
    """What a fetch did: the ranges asked for, the bars added, the cleaning done."""

    symbol: str
    provider: str
    timeframe: str
    requested: list[tuple[str | None, str | None]] = field(default_factory=list)
    bars_added: int = 0
    bars_total: int = 0
    start: str | None = None
    end: str | None = None
    is_synthetic: bool = False
    notes: list[str] = field(default_factory=list)
    cleaning: CleaningReport | None = None


@dataclass
class ImportReport:
    """What an import did: how the file was read and what cleaning changed."""

    symbol: str
    market: str
    calendar: str | None
    timeframe: str
    source: str
    rows: int
    start: str | None
    end: str | None
    detection: list[str]
    cleaning: CleaningReport
    replaced: str | None = None


class MarketDataService:
    """Load, fetch, import and list bars over a store, providers and an optional cache."""

    def __init__(
        self,
        *,
        store: BarStore,
        providers: Mapping[str, Callable[[], MarketDataProvider]],
        cache: BarCache | None = None,
        read_file: BarFileReader | None = None,
        clock: Callable[[], pd.Timestamp] = lambda: pd.Timestamp.now(tz="UTC"),
    ) -> None:
        self.store = store
        self._factories = dict(providers)
        self._providers: dict[str, MarketDataProvider] = {}
        self.cache = cache
        self.read_file = read_file
        self.clock = clock

    @property
    def provider_names(self) -> list[str]:
        """Return the names of every configured provider."""
        return list(self._factories)

    def provider(self, name: str) -> MarketDataProvider:
        """Return the provider called `name`, building it on first use."""
        if name not in self._providers:
            if name not in self._factories:
                raise ConfigError(
                    f"Unknown provider {name!r}: use one of {', '.join(self._factories)}."
                )
            self._providers[name] = self._factories[name]()
        return self._providers[name]

    # -- symbols -------------------------------------------------------------------------

    def resolve_symbol(self, text: str) -> Symbol:
        """Parse `text`, accepting the names of imported series that are not market symbols."""
        try:
            return parse_symbol(text)
        except UnknownSymbol as e:
            name = text.strip().upper()
            if any(info.symbol == name for info in self.store.list()):
                return Symbol.generic(name)
            available = [listing.symbol for listing in self.list_symbols()]
            suggestions = dict.fromkeys(e.suggestions + close_matches(text, available))
            raise UnknownSymbol(
                str(e).split(" Did you mean")[0], suggestions=list(suggestions)[:3]
            ) from None

    def list_symbols(self) -> list[SymbolListing]:
        """Return every series available now: stored ones first, then the bundled samples."""
        listings = [
            SymbolListing(
                symbol=info.symbol,
                source=info.source,
                timeframe=info.timeframe,
                start=info.range[0],
                end=info.range[1],
                bars=info.rows,
                description="synthetic demo data" if info.is_synthetic else "stored",
                is_synthetic=info.is_synthetic,
            )
            for info in self.store.list()
        ]
        held = {(listing.symbol, listing.timeframe) for listing in listings}
        sample = self.provider("sample").list_symbols()
        return listings + [s for s in sample if (s.symbol, s.timeframe) not in held]

    # -- loading -------------------------------------------------------------------------

    def load_bars(
        self,
        symbol: str | Symbol,
        *,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        timeframe: str | Timeframe = Timeframe.D1,
        provider: str | None = None,
        adjusted: bool = True,
    ) -> pd.DataFrame:
        """Return the Bars frame of `symbol` between `start` and `end` (inclusive).

        Prices are split- and dividend-adjusted when the source gave the factors and
        `adjusted` is true. ``bars.attrs`` holds ``symbol``, ``timeframe``, ``source``,
        ``synthetic`` and ``adjusted``. Raises UnknownSymbol (with close matches) when
        nothing is available, EmptyData when the range holds no bars.
        """
        resolved = symbol if isinstance(symbol, Symbol) else self.resolve_symbol(symbol)
        frame = Timeframe.parse(timeframe)
        first, last = resolve_range(start, end, timezone=resolved.timezone, timeframe=frame)
        key = f"{resolved.code}|{frame.value}|{first}|{last}|{provider}|{adjusted}"
        version = self._version(resolved, frame, provider)
        if (
            self.cache is not None
            and version
            and (hit := self.cache.get(f"{key}|{version}")) is not None
        ):
            return hit
        fetched, source_timeframe = self._locate(resolved, frame, provider, first, last)
        bars = adjust_bars(fetched.bars, fetched.adj_factor if adjusted else None)
        if source_timeframe is not frame:
            bars = resample_bars(bars, frame, calendar=self._calendar(resolved))
        bars = bars.loc[first:last] if first is not None or last is not None else bars
        if len(bars) == 0:
            raise EmptyData(self._empty_message(resolved, frame, first, last, fetched))
        bars.attrs.update(
            symbol=resolved.code,
            timeframe=frame.value,
            source=fetched.source,
            synthetic=fetched.is_synthetic,
            adjusted=adjusted and fetched.adj_factor is not None,
        )
        if self.cache is not None and version:
            self.cache.set(f"{key}|{version}", bars)
        return bars

    def _version(self, symbol: Symbol, timeframe: Timeframe, provider: str | None) -> str | None:
        if provider == "demo":
            return None
        infos = [self.store.info(symbol.code, tf) for tf in _finer_or_equal(timeframe)]
        return ",".join(i.sha256[:16] for i in infos if i is not None) or "sample"

    def _locate(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        provider: str | None,
        first: pd.Timestamp | None,
        last: pd.Timestamp | None,
    ) -> tuple[FetchedBars, Timeframe]:
        if provider in _LOCAL_SOURCES:
            return self._from_provider(symbol, timeframe, provider, first, last)
        if provider is not None:
            self.fetch(symbol, provider=provider, start=first, end=last, timeframe=timeframe)
        for candidate in _finer_or_equal(timeframe):
            stored = self._read_store(symbol, candidate, first, last)
            if stored is not None:
                return stored, candidate
        return self._from_provider(symbol, timeframe, "sample", first, last)

    def _read_store(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        first: pd.Timestamp | None,
        last: pd.Timestamp | None,
    ) -> FetchedBars | None:
        try:
            return self.store.read(symbol.code, timeframe, start=first, end=last)
        except CorruptData as e:
            info = self._safe_info(symbol, timeframe)
            if info is None or info.source not in self._factories:
                raise CorruptData(
                    f"{e} It came from {info.source if info else 'an import'}, which cannot be "
                    f"refetched: import the file again (vibetrading data import FILE --symbol "
                    f"{symbol.code})."
                ) from e
            self.store.delete(symbol.code, timeframe)
            self.fetch(
                symbol,
                provider=info.source,
                start=info.range[0],
                end=info.range[1],
                timeframe=timeframe,
            )
            return self.store.read(symbol.code, timeframe, start=first, end=last)

    def _safe_info(self, symbol: Symbol, timeframe: Timeframe) -> StoredBarsInfo | None:
        try:
            return self.store.info(symbol.code, timeframe)
        except CorruptData:
            return None

    def _from_provider(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        name: str,
        first: pd.Timestamp | None,
        last: pd.Timestamp | None,
    ) -> tuple[FetchedBars, Timeframe]:
        source = self.provider(name)
        native = getattr(source, "native_timeframe", lambda _s: timeframe)(symbol)
        if native is None:
            raise self._unknown(symbol)
        if _rank(native) > _rank(timeframe):
            raise EmptyData(
                f"{symbol.code} is only available as {native.value} bars from {name}; ask for "
                f"--timeframe {native.value} or coarser."
            )
        return source.fetch_bars(symbol, timeframe=native, start=first, end=last), native

    def _unknown(self, symbol: Symbol) -> UnknownSymbol:
        available = [listing.symbol for listing in self.list_symbols()]
        return UnknownSymbol(
            f"No data for {symbol.code} ({symbol.market.value} market) in the local store or "
            f"the bundled samples. Fetch it (vibetrading data fetch {symbol.code} --provider "
            f"{_suggest_provider(symbol)}), import a file (vibetrading data import FILE --symbol "
            f"{symbol.code}) or store synthetic bars to try it (vibetrading data fetch "
            f"{symbol.code} --provider demo).",
            suggestions=[
                match
                for match in dict.fromkeys(
                    close_matches(symbol.code, available) + close_matches(symbol.code)
                )
                if match != symbol.code
            ][:3],
        )

    def _empty_message(
        self,
        symbol: Symbol,
        timeframe: Timeframe,
        first: pd.Timestamp | None,
        last: pd.Timestamp | None,
        fetched: FetchedBars,
    ) -> str:
        try:
            held = self._locate(symbol, timeframe, None, None, None)[0].bars.index
        except (EmptyData, UnknownSymbol):
            held = fetched.bars.index
        span = f"{held[0].date()} to {held[-1].date()}" if len(held) else "nothing"
        asked = f"{_day(first)} to {_day(last)}"
        return (
            f"No {symbol.code} {timeframe.value} bars from {asked}; {fetched.source} holds {span}."
        )

    def _calendar(self, symbol: Symbol) -> Any | None:
        return None if symbol.is_continuous else symbol.calendar

    # -- fetching and importing ----------------------------------------------------------

    def fetch(
        self,
        symbol: str | Symbol,
        *,
        provider: str,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        timeframe: str | Timeframe = Timeframe.D1,
        progress: ProgressCallback | None = None,
    ) -> FetchReport:
        """Download the ranges of `symbol` the store is missing and store them.

        Bars already held are not fetched again; a different provider's series is
        replaced. Returns a report of what was added and cleaned.
        """
        resolved = symbol if isinstance(symbol, Symbol) else self.resolve_symbol(symbol)
        frame = Timeframe.parse(timeframe)
        first, last = resolve_range(start, end, timezone=resolved.timezone, timeframe=frame)
        source = self.provider(provider)
        info = self._safe_info(resolved, frame)
        existing = self._existing(resolved, frame, info, provider)
        report = FetchReport(symbol=resolved.code, provider=provider, timeframe=frame.value)
        held = existing.bars.index if existing else None
        ranges = _missing_ranges(first, last, held, bar=_bar_length(frame))
        if existing is not None and info is not None and not ranges:
            report.notes.append("already stored: nothing to fetch")
            report.bars_total, report.start, report.end = info.rows, info.start, info.end
            report.is_synthetic = info.is_synthetic
            return report
        if info is not None and existing is None:
            report.notes.append(f"replaced the {info.source} series")
        pieces = [existing] if existing is not None else []
        for index, (lo, hi) in enumerate(ranges):
            report.requested.append((_iso(lo), _iso(hi)))
            step = _scaled(progress, index, len(ranges))
            try:
                pieces.append(
                    source.fetch_bars(resolved, timeframe=frame, start=lo, end=hi, progress=step)
                )
            except EmptyData:
                if existing is None:
                    raise
                report.notes.append(f"no bars from {_day(lo)} to {_day(hi)}")
        merged = _merge(pieces, provider)
        cleaned, report.cleaning = clean_bars(
            merged.bars, timeframe=frame, calendar=self._calendar(resolved)
        )
        stored = self.store.write(
            resolved.code,
            frame,
            FetchedBars(
                cleaned, merged.source, merged.adj_factor, merged.is_synthetic, merged.notes
            ),
            fetched_at=self.clock().isoformat(),
        )
        report.bars_added = stored.rows - (len(existing.bars) if existing else 0)
        report.bars_total, report.start, report.end = stored.rows, stored.start, stored.end
        report.is_synthetic = stored.is_synthetic
        if progress is not None:
            progress(1.0, f"{resolved.code}: {stored.rows} bars stored")
        return report

    def _existing(
        self, symbol: Symbol, timeframe: Timeframe, info: StoredBarsInfo | None, provider: str
    ) -> FetchedBars | None:
        if info is None or info.source != provider:
            return None
        try:
            return self.store.read(symbol.code, timeframe)
        except CorruptData:
            self.store.delete(symbol.code, timeframe)
            return None

    def import_file(
        self,
        path: Path | str,
        *,
        symbol: str,
        timeframe: str | Timeframe | None = None,
        timezone: str | None = None,
    ) -> ImportReport:
        """Read a CSV or Parquet file, clean it and store it under `symbol`.

        Names that are not market symbols are stored as generic series. Naive times are
        read in `timezone` (default: UTC). The report lists the detected columns, every
        assumption and every cleaning change.
        """
        if self.read_file is None:
            raise ConfigError("This service was built without a file reader: import is off.")
        try:
            resolved = parse_symbol(symbol)
        except UnknownSymbol:
            resolved = Symbol.generic(symbol)
        frame, detection = self.read_file(Path(path), timezone)
        chosen = (
            Timeframe.parse(timeframe)
            if timeframe
            else infer_timeframe(pd.DatetimeIndex(frame.index).dropna().unique().sort_values())
        )
        cleaned, cleaning = clean_bars(frame, timeframe=chosen, calendar=self._calendar(resolved))
        if len(cleaned) == 0:
            raise EmptyData(
                f"{path}: no usable bars left after cleaning ({'; '.join(cleaning.lines())})."
            )
        previous = self._safe_info(resolved, chosen)
        source = f"import:{Path(path).name}"
        stored = self.store.write(
            resolved.code,
            chosen,
            FetchedBars(cleaned, source, notes=detection),
            fetched_at=self.clock().isoformat(),
        )
        return ImportReport(
            symbol=resolved.code,
            market=resolved.market.value,
            calendar=None if resolved.is_continuous else resolved.calendar_name,
            timeframe=chosen.value,
            source=source,
            rows=stored.rows,
            start=stored.start,
            end=stored.end,
            detection=detection,
            cleaning=cleaning,
            replaced=previous.source if previous else None,
        )


_ORDER = list(Timeframe)


def _rank(timeframe: Timeframe) -> int:
    return _ORDER.index(timeframe)


def _finer_or_equal(timeframe: Timeframe) -> list[Timeframe]:
    return [timeframe, *reversed(_ORDER[: _rank(timeframe)])]


def _suggest_provider(symbol: Symbol) -> str:
    from vibetrading.domain.trading import Market

    return {Market.CRYPTO: "ccxt", Market.SH: "akshare", Market.SZ: "akshare"}.get(
        symbol.market, "yfinance"
    )


def _day(value: pd.Timestamp | None) -> str:
    return str(value.date()) if value is not None else "…"


def _iso(value: pd.Timestamp | None) -> str | None:
    return value.isoformat() if value is not None else None


def _bar_length(timeframe: Timeframe) -> pd.Timedelta:
    lengths = {Timeframe.D1: 1, Timeframe.W1: 7, Timeframe.MN1: 28}
    return timeframe.offset if timeframe.is_intraday else pd.Timedelta(days=lengths[timeframe])


def _missing_ranges(
    first: pd.Timestamp | None,
    last: pd.Timestamp | None,
    held: pd.DatetimeIndex | None,
    *,
    bar: pd.Timedelta,
) -> list[tuple[pd.Timestamp | None, pd.Timestamp | None]]:
    """Return the parts of [first, last] outside the held bars; the last bar covers `bar`."""
    if held is None or len(held) == 0:
        return [(first, last)]
    ranges: list[tuple[pd.Timestamp | None, pd.Timestamp | None]] = []
    if first is None or first < held[0]:
        ranges.append((first, held[0] - pd.Timedelta(1, "ns")))
    if last is None or last >= held[-1] + bar:
        ranges.append((held[-1] + bar, last))
    return ranges


def _scaled(progress: ProgressCallback | None, index: int, count: int) -> ProgressCallback | None:
    if progress is None:
        return None
    return lambda fraction, text: progress((index + fraction) / count, text)


def _merge(pieces: list[FetchedBars], provider: str) -> FetchedBars:
    frames = [p.bars for p in pieces if len(p.bars)]
    if not frames:
        raise EmptyData(f"{provider} returned no bars for the requested range.")
    bars = pd.concat(frames)
    keep = ~bars.index.duplicated(keep="last")
    bars = bars[keep].sort_index()
    factors = [p.adj_factor for p in pieces if p.adj_factor is not None]
    factor = None
    if factors:
        factor = pd.concat(factors)
        factor = factor[~factor.index.duplicated(keep="last")].reindex(bars.index)
    notes = list(dict.fromkeys(n for p in pieces for n in p.notes))
    return FetchedBars(bars, provider, factor, any(p.is_synthetic for p in pieces), notes)
