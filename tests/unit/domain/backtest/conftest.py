"""Builders of tiny bar frames and signals for the engine tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import pytest

Row = Sequence[float]
FrameFactory = Callable[..., pd.DataFrame]
SignalFactory = Callable[[pd.DataFrame, Sequence[int]], pd.Series]


def build_frame(
    rows: Sequence[Row],
    *,
    start: str = "2024-01-01",
    freq: str = "D",
    index: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Return Bars from (open, high, low, close[, volume]) rows; volume defaults to 1e6."""
    if index is None:
        index = pd.date_range(start, periods=len(rows), freq=freq, tz="UTC", name="timestamp")
    data = np.array([list(r) + [1e6] * (5 - len(r)) for r in rows], dtype=np.float64)
    columns = ["open", "high", "low", "close", "volume"]
    return pd.DataFrame(data, index=index.as_unit("ns"), columns=columns)


def build_signal(bars: pd.DataFrame, true_at: Sequence[int]) -> pd.Series:
    """Return a boolean Series on the bars' index, True at the given positions."""
    values = np.zeros(len(bars), dtype=np.bool_)
    values[list(true_at)] = True
    return pd.Series(values, index=bars.index)


@pytest.fixture
def frame() -> FrameFactory:
    """Build Bars from rows of (open, high, low, close[, volume])."""
    return build_frame


@pytest.fixture
def signal() -> SignalFactory:
    """Build a boolean signal True at the given bar positions."""
    return build_signal


@pytest.fixture
def flat_bars() -> pd.DataFrame:
    """Ten daily bars at 100 with a 1-point range."""
    return build_frame([(100.0, 101.0, 99.0, 100.0)] * 10)
