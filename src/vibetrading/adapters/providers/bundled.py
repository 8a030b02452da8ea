"""The ``sample`` provider: real market history shipped inside PyPI packages, no network.

* ``arch`` (NCSA licence, a core dependency): S&P 500 (``SPX``) and NASDAQ Composite
  (``IXIC``) daily OHLCV 1999-2018, and the VIX close (``VIX``) 2014-2018.
* ``backtesting`` (AGPL-3.0, the optional ``samples`` extra): GOOG daily 2004-2013, EURUSD
  hourly 2017-2018, BTC/USD monthly 2012-2024.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from vibetrading.domain.data import FetchedBars, Timeframe, clean_bars
from vibetrading.domain.trading import Symbol
from vibetrading.errors import ConfigError, EmptyData, UnknownSymbol
from vibetrading.services.ports import ProgressCallback, SymbolListing

__all__ = ["SAMPLES", "SampleProvider", "SampleSeries"]


@dataclass(frozen=True)
class SampleSeries:
    """One bundled series: where it comes from and its native timeframe."""

    symbol: str
    timeframe: Timeframe
    package: str
    description: str
    loader: Callable[[], pd.DataFrame]


def _package_file(package: str, *parts: str) -> Path:
    # find_spec locates the package without importing it: importing arch or backtesting
    # pulls in scipy, statsmodels or bokeh, seconds of start-up for a CSV file.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"This sample ships with the optional package {package!r}: "
            "pip install 'vibetrading[samples]'."
        )
    return Path(spec.submodule_search_locations[0], *parts)


def _arch(name: str) -> pd.DataFrame:
    frame = pd.read_csv(
        _package_file("arch", "data", name, f"{name}.csv.gz"), index_col="Date", na_values=["."]
    )
    frame.index = pd.to_datetime(frame.index)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "vix" in frame.columns:  # the VIX sample is a close-only series
        close = frame["vix"].astype(np.float64)
        frame = pd.DataFrame(
            {"open": close, "high": close, "low": close, "close": close, "volume": 0.0}
        )
    return frame


def _backtesting(name: str) -> pd.DataFrame:
    # backtesting.py is AGPL-3.0: we only read its bundled sample files.
    path = _package_file("backtesting", "test", f"{name}.csv")
    frame = pd.read_csv(path, index_col=0)
    frame.index = pd.to_datetime(frame.index)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if name == "BTCUSD":  # monthly rows are dated at month end; label bars by period start
        frame.index = pd.DatetimeIndex(frame.index).to_period("M").to_timestamp()
    return frame


SAMPLES: dict[str, SampleSeries] = {
    s.symbol: s
    for s in (
        SampleSeries("SPX", Timeframe.D1, "arch", "S&P 500 index, daily", lambda: _arch("sp500")),
        SampleSeries(
            "IXIC", Timeframe.D1, "arch", "NASDAQ Composite index, daily", lambda: _arch("nasdaq")
        ),
        SampleSeries(
            "VIX", Timeframe.D1, "arch", "CBOE VIX, daily close only", lambda: _arch("vix")
        ),
        SampleSeries(
            "GOOG",
            Timeframe.D1,
            "backtesting",
            "Alphabet (Google) stock, daily",
            lambda: _backtesting("GOOG"),
        ),
        SampleSeries(
            "EURUSD",
            Timeframe.H1,
            "backtesting",
            "Euro / US dollar, hourly",
            lambda: _backtesting("EURUSD"),
        ),
        SampleSeries(
            "BTC/USD",
            Timeframe.MN1,
            "backtesting",
            "Bitcoin in US dollars, monthly",
            lambda: _backtesting("BTCUSD"),
        ),
    )
}


@lru_cache(maxsize=16)
def _load(symbol: str) -> pd.DataFrame:
    frame = SAMPLES[symbol].loader()
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
    bars, _ = clean_bars(frame, timeframe=SAMPLES[symbol].timeframe)  # VIX has holiday gaps
    bars.flags.allows_duplicate_labels = False
    return bars


class SampleProvider:
    """Serve the bundled real samples; every other symbol is an UnknownSymbol."""

    name = "sample"

    def native_timeframe(self, symbol: Symbol) -> Timeframe | None:
        """Return the timeframe the sample ships in, or None when there is no sample."""
        series = SAMPLES.get(symbol.code)
        return series.timeframe if series else None

    def fetch_bars(
        self,
        symbol: Symbol,
        *,
        timeframe: Timeframe,
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
        progress: ProgressCallback | None = None,
    ) -> FetchedBars:
        series = SAMPLES.get(symbol.code)
        if series is None:
            raise UnknownSymbol(f"No bundled sample for {symbol.code}.", suggestions=list(SAMPLES))
        if timeframe is not series.timeframe:
            raise EmptyData(
                f"The {symbol.code} sample is {series.timeframe.value} bars; ask for that "
                "timeframe, or resample it."
            )
        bars = _load(symbol.code)
        bars = bars.loc[start:end] if start is not None or end is not None else bars
        if progress is not None:
            progress(1.0, f"{symbol.code}: {len(bars)} bars")
        return FetchedBars(bars=bars.copy(), source=self.name)

    def list_symbols(self) -> list[SymbolListing]:
        listings = []
        for code, series in SAMPLES.items():
            try:
                bars = _load(code)
            except ConfigError:
                continue
            listings.append(
                SymbolListing(
                    symbol=code,
                    source=self.name,
                    timeframe=series.timeframe.value,
                    start=bars.index[0],
                    end=bars.index[-1],
                    bars=len(bars),
                    description=f"{series.description} ({series.package})",
                )
            )
        return listings
