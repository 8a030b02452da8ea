"""Market-data speed: store loads and session-aware resampling, against plain pandas."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from _timing import Case, measure, print_cases
from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.adapters.store.parquet_store import ParquetBarStore
from vibetrading.domain.data import FetchedBars, Timeframe
from vibetrading.domain.data.resample import resample_bars
from vibetrading.domain.data.sessions import session_segments
from vibetrading.domain.trading import get_calendar
from vibetrading.services.market_data import MarketDataService


def minute_bars(n: int) -> pd.DataFrame:
    """Return `n` one-minute NYSE bars inside real sessions, a seeded random walk."""
    calendar = get_calendar("XNYS")
    starts, ends, _ = session_segments(
        calendar, pd.Timestamp("2010-01-04"), pd.Timestamp("2024-12-31")
    )
    minutes = [np.arange(s, e, 60_000_000_000) for s, e in zip(starts, ends, strict=True)]
    stamps = np.concatenate(minutes)[:n]
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.0005, len(stamps))))
    open_ = np.concatenate([[100.0], close[:-1]])
    wiggle = np.abs(rng.normal(0, 0.0003, len(stamps))) * close
    index = pd.DatetimeIndex(stamps.astype("datetime64[ns]"), name="timestamp").tz_localize("UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + wiggle,
            "low": np.minimum(open_, close) - wiggle,
            "close": close,
            "volume": rng.integers(100, 10_000, len(stamps)).astype(float),
        },
        index=index,
    )


def run() -> list[Case]:
    root = Path(tempfile.mkdtemp(prefix="vt-bench-"))
    store = ParquetBarStore(root / "bars")
    service = MarketDataService(store=store, providers={"sample": SampleProvider})
    cases = []

    daily = service.load_bars("SPX", start="2009-01-01", end="2018-12-31")
    store.write("TENY", Timeframe.D1, FetchedBars(daily, "bench"), fetched_at="bench")
    csv_daily = root / "teny.csv"
    daily.to_csv(csv_daily)
    ours = measure(lambda: service.load_bars("TENY"), repeat=21)
    peer = measure(lambda: pd.read_csv(csv_daily, index_col=0, parse_dates=True), repeat=21)
    cases.append(
        Case(
            f"10 years of daily bars from the store ({len(daily)})",
            ours,
            "pandas.read_csv",
            peer,
            "well under 20 ms",
        )
    )

    minutes = minute_bars(1_000_000)
    store.write("MINUTES", Timeframe.M1, FetchedBars(minutes, "bench"), fetched_at="bench")
    parquet_plain = root / "minutes.parquet"
    minutes.to_parquet(parquet_plain)
    ours = measure(lambda: store.read("MINUTES", Timeframe.M1), repeat=7)
    peer = measure(lambda: pd.read_parquet(parquet_plain), repeat=7)
    cases.append(
        Case("1,000,000 1m bars from Parquet", ours, "pandas.read_parquet", peer, "under 200 ms")
    )

    calendar = get_calendar("XNYS")
    aggregation = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    ours = measure(lambda: resample_bars(minutes, Timeframe.H1, calendar=calendar), repeat=7)
    peer = measure(lambda: minutes.resample("1h").agg(aggregation).dropna(), repeat=7)
    cases.append(
        Case(
            "resample 1,000,000 1m bars to 1h (sessions)",
            ours,
            "pandas.resample (no sessions)",
            peer,
            "under 300 ms",
        )
    )
    print_cases("Market data", cases)
    return cases


if __name__ == "__main__":
    run()
