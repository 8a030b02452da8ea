"""Fixtures for the indicator tests: the bundled real S&P 500 daily bars."""

from __future__ import annotations

import numpy as np
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
def spx_data(spx: pd.DataFrame) -> dict[str, np.ndarray]:
    """The SPX bar fields as numpy arrays, plus ``timestamp`` in int64 nanoseconds."""
    data = {column: spx[column].to_numpy() for column in spx.columns}
    data["timestamp"] = spx.index.asi8
    return data
