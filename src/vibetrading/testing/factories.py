"""Builders of test data."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_bars"]


def make_bars(
    n: int = 100,
    *,
    start: str = "2020-01-01",
    freq: str = "B",
    seed: int = 0,
    price: float = 100.0,
) -> pd.DataFrame:
    """Return `n` valid bars of a seeded random walk (business days by default)."""
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[price], close[:-1]])
    spread = np.abs(rng.normal(0, 0.005, n)) * close
    index = pd.date_range(start, periods=n, freq=freq, tz="UTC", name="timestamp").as_unit("ns")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": rng.integers(1_000, 10_000, n).astype(np.float64),
        },
        index=index,
    )
