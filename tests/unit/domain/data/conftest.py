"""Fixtures for the market-data domain tests: calendars and minute bars inside sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vibetrading.domain.data.sessions import session_segments
from vibetrading.domain.trading import get_calendar

MinuteBarsFactory = Callable[..., pd.DataFrame]
NS_PER_MINUTE = 60_000_000_000


@pytest.fixture(scope="session")
def nyse() -> Any:
    """The New York Stock Exchange calendar."""
    return get_calendar("XNYS")


@pytest.fixture(scope="session")
def hkex() -> Any:
    """The Hong Kong Exchange calendar, with its lunch break."""
    return get_calendar("XHKG")


@pytest.fixture(scope="session")
def always_open() -> Any:
    """The 24/7 calendar of crypto markets."""
    return get_calendar("24/7")


@pytest.fixture(scope="session")
def make_minute_bars() -> MinuteBarsFactory:
    """Build one-minute bars at every minute of the calendar's segments between two dates.

    ``keep_fraction`` below 1 drops minutes at random; volumes are whole numbers from 1
    to 99 (``unit_volume=True`` sets every volume to 1).
    """

    def make(
        calendar: Any,
        start: str,
        end: str,
        *,
        seed: int = 0,
        keep_fraction: float = 1.0,
        unit_volume: bool = False,
    ) -> pd.DataFrame:
        first, last = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
        starts, ends, _ = session_segments(calendar, first, last)
        counts = (ends - starts) // NS_PER_MINUTE
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        stamps = np.repeat(starts, counts) + offsets * NS_PER_MINUTE
        stamps = stamps[(stamps >= first.value) & (stamps < last.value + 86_400_000_000_000)]
        rng = np.random.default_rng(seed)
        if keep_fraction < 1:
            stamps = stamps[rng.random(len(stamps)) < keep_fraction]
        return _random_bars(stamps, rng, unit_volume=unit_volume)

    return make


def _random_bars(
    stamps: np.ndarray, rng: np.random.Generator, *, unit_volume: bool
) -> pd.DataFrame:
    size = len(stamps)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, size)))
    open_ = close * np.exp(rng.normal(0, 0.0005, size))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.001, size))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.001, size))
    volume = np.ones(size) if unit_volume else rng.integers(1, 100, size).astype(np.float64)
    index = pd.DatetimeIndex(stamps.astype("datetime64[ns]"), name="timestamp").tz_localize("UTC")
    data = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    return pd.DataFrame(data, index=index)
