"""Fixtures for the strategy tests: the bundled real S&P 500 daily bars."""

from __future__ import annotations

import pandas as pd
import pytest

from vibetrading.adapters.providers.bundled import SampleProvider
from vibetrading.domain.data import Timeframe
from vibetrading.domain.trading import Symbol


@pytest.fixture(scope="session")
def spx() -> pd.DataFrame:
    """S&P 500 daily bars, 1999-2018 (real data bundled with arch)."""
    return SampleProvider().fetch_bars(Symbol.parse("SPX"), timeframe=Timeframe.D1).bars


@pytest.fixture(scope="session")
def ixic() -> pd.DataFrame:
    """NASDAQ Composite daily bars, 1999-2018 (real data bundled with arch)."""
    return SampleProvider().fetch_bars(Symbol.parse("IXIC"), timeframe=Timeframe.D1).bars
