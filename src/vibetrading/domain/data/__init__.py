"""Pure market-data logic: the Bars contract, sessions, cleaning, resampling, synthetic data."""

from vibetrading.domain.data.bars import (
    BAR_COLUMNS,
    FetchedBars,
    Timeframe,
    adjust_bars,
    check_bars,
    describe_bars,
    empty_bars,
    resolve_range,
)
from vibetrading.domain.data.cleaning import CleaningReport, clean_bars
from vibetrading.domain.data.resample import infer_timeframe, resample_bars
from vibetrading.domain.data.synthetic import generate_bars, seed_for

__all__ = [
    "BAR_COLUMNS",
    "CleaningReport",
    "FetchedBars",
    "Timeframe",
    "adjust_bars",
    "check_bars",
    "clean_bars",
    "describe_bars",
    "empty_bars",
    "generate_bars",
    "infer_timeframe",
    "resample_bars",
    "resolve_range",
    "seed_for",
]
